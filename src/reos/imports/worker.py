"""Preloaded by the fork server of the normalising workers: the normaliser and the tables it
reads (the ZIP table takes seconds to build), so every worker forks with them ready."""

from __future__ import annotations

from reos.imports import normalise

normalise.warm()
