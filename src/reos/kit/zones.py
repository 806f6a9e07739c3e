"""The time zones a team may be in: the tz database's names of places and its fixed zones
("UTC", "EST5EDT"), not the server's own `localtime`, the placeholder `Factory` (which reads
"-00"), nor the `posix/` and `right/` copies (the latter count leap seconds, so their clock is
off by them)."""

from __future__ import annotations

import functools
from zoneinfo import available_timezones

_NOT_A_PLACE = frozenset(("localtime", "Factory", "posixrules"))


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(
        z for z in available_timezones() if z not in _NOT_A_PLACE and not z.startswith(("posix/", "right/"))
    )
