"""Classifying an inbound text: opt-out, opt-in, help, human review, or nothing.

An exact keyword of the rule set — any case, any surrounding whitespace and punctuation, inner
spaces and hyphens folded ("opt-out", "Opt  Out") — is acted on at once. An opt-out keyword
inside a longer message ("please stop texting me") may or may not be an opt-out: a human
decides, and the person is paused meanwhile (FCC 24-24: revocation by any reasonable means).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from reos.compliance.ruleset import RuleSet

Outcome = Literal["opt_out", "opt_in", "help", "review", "none"]
_NON_WORD = re.compile(r"[^0-9A-Z]+")


@dataclass(frozen=True)
class Classification:
    outcome: Outcome
    keyword: str | None


def normalise(body: str) -> str:
    """Upper case, compatibility-folded, every run of non-alphanumerics one space, trimmed."""
    folded = unicodedata.normalize("NFKC", body).upper()
    return _NON_WORD.sub(" ", folded).strip()


def _phrases(rules: RuleSet) -> list[str]:
    # Longest first, so "OPT OUT" is named rather than "OUT" (which is no keyword anyway).
    return sorted(rules.opt_out, key=len, reverse=True)


def classify(body: str, *, opted_out: bool, rules: RuleSet) -> Classification:
    text = normalise(body)
    squeezed = text.replace(" ", "")
    for word in _phrases(rules):
        if text == word or squeezed == word.replace(" ", ""):
            return Classification("opt_out", word)
    if text in rules.opt_in:
        return Classification("opt_in", text)
    if text in rules.opt_in_when_opted_out:
        return Classification("opt_in", text) if opted_out else Classification("none", None)
    if text in rules.help:
        return Classification("help", text)
    padded = f" {text} "
    for word in _phrases(rules):
        if f" {word} " in padded:
            return Classification("review", word)
    return Classification("none", None)
