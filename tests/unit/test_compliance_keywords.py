"""Keyword classification of inbound texts: a table of message bodies and their outcome,
each worked out by hand from the keyword sets in ../shared/compliance-rules.md."""

from __future__ import annotations

import pytest

from reos.compliance.keywords import classify, normalise
from reos.compliance.ruleset import current

# (body, opted out already?, expected outcome, expected keyword)
TABLE: list[tuple[str, bool, str, str | None]] = [
    # Exact opt-out keywords in any case, with whitespace and punctuation around.
    ("STOP", False, "opt_out", "STOP"),
    ("stop", False, "opt_out", "STOP"),
    ("Stop", False, "opt_out", "STOP"),
    (" stop. ", False, "opt_out", "STOP"),
    ("Stop!", False, "opt_out", "STOP"),
    ("STOP!!!", False, "opt_out", "STOP"),
    ("\tstop\n", False, "opt_out", "STOP"),
    ('"Stop"', False, "opt_out", "STOP"),
    ("...stop...", False, "opt_out", "STOP"),
    ("STOPALL", False, "opt_out", "STOPALL"),
    ("stopall", False, "opt_out", "STOPALL"),
    ("Stop all", False, "opt_out", "STOPALL"),
    ("UNSUBSCRIBE", False, "opt_out", "UNSUBSCRIBE"),
    ("Unsubscribe.", False, "opt_out", "UNSUBSCRIBE"),
    ("cancel", False, "opt_out", "CANCEL"),
    ("END", False, "opt_out", "END"),
    ("end.", False, "opt_out", "END"),
    ("Quit", False, "opt_out", "QUIT"),
    ("REVOKE", False, "opt_out", "REVOKE"),
    ("optout", False, "opt_out", "OPT OUT"),
    ("OPTOUT", False, "opt_out", "OPT OUT"),
    ("opt out", False, "opt_out", "OPT OUT"),
    ("Opt-Out", False, "opt_out", "OPT OUT"),
    ("opt  out!", False, "opt_out", "OPT OUT"),
    ("ＳＴＯＰ", False, "opt_out", "STOP"),  # full-width letters fold to STOP
    ("stop", True, "opt_out", "STOP"),  # an opted-out person saying it again
    # Opt back in.
    ("START", True, "opt_in", "START"),
    ("start", False, "opt_in", "START"),
    ("Unstop", True, "opt_in", "UNSTOP"),
    ("UNSTOP.", True, "opt_in", "UNSTOP"),
    ("YES", True, "opt_in", "YES"),
    ("yes!", True, "opt_in", "YES"),
    ("Yes", False, "none", None),  # YES opts in only when opted out
    ("yes.", False, "none", None),
    # Help.
    ("HELP", False, "help", "HELP"),
    ("help?", False, "help", "HELP"),
    ("Info", False, "help", "INFO"),
    ("INFO.", True, "help", "INFO"),
    # A keyword inside a longer message: a human decides.
    ("please stop texting me", False, "review", "STOP"),
    ("I want to stop the foreclosure", False, "review", "STOP"),
    ("Stop calling me!!", False, "review", "STOP"),
    ("STOP STOP", False, "review", "STOP"),
    ("stop please", False, "review", "STOP"),
    ("Can you cancel the appointment?", False, "review", "CANCEL"),
    ("I'd like to unsubscribe from these", False, "review", "UNSUBSCRIBE"),
    ("how do I opt out", False, "review", "OPT OUT"),
    ("please opt-out my number", False, "review", "OPT OUT"),
    ("quit bothering me", False, "review", "QUIT"),
    ("at the end of the month", False, "review", "END"),
    ("I revoke my consent", False, "review", "REVOKE"),
    ("stopall now", False, "review", "STOPALL"),
    ("No. Stop.", False, "review", "STOP"),
    # Neither keyword nor keyword inside: nothing to do.
    ("Who is this?", False, "none", None),
    ("Maybe, what's your offer?", False, "none", None),
    ("I stopped by the house", False, "none", None),  # "stopped" is not "stop"
    ("unstoppable", False, "none", None),
    ("See you this weekend", False, "none", None),  # "weekend" is not "end"
    ("Please help me sell", False, "none", None),  # help inside a sentence is no keyword
    ("start the paperwork", False, "none", None),
    ("yes I am interested", True, "none", None),
    ("", False, "none", None),
    ("   ", False, "none", None),
    ("!!!", False, "none", None),
    ("Call me at 5pm", False, "none", None),
    ("NO", False, "none", None),
    ("cancellation fee?", False, "none", None),
]


def test_table_size() -> None:
    assert len(TABLE) >= 60


@pytest.mark.parametrize(("body", "opted_out", "outcome", "keyword"), TABLE, ids=[repr(r[0]) for r in TABLE])
def test_classify(body: str, opted_out: bool, outcome: str, keyword: str | None) -> None:
    found = classify(body, opted_out=opted_out, rules=current())
    assert (found.outcome, found.keyword) == (outcome, keyword)


def test_normalise_folds_case_punctuation_and_spaces() -> None:
    assert normalise("  Opt-Out!! ") == "OPT OUT"
    assert normalise("a\u00a0b") == "A B"
