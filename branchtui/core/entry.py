"""What a recorder types during a meeting, understood forgivingly: part of a name, a date
written the way people write dates."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

from branchtui.core import dates
from branchtui.core.enums import Act
from branchtui.core.ruleset import RuleSet

T = TypeVar("T")



def fold(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, no spaces, so that a name typed with
    a Chinese input method's full-width letters still matches."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def match_names(query: str, candidates: Iterable[tuple[T, str]],
                limit: int = 8) -> list[tuple[T, str]]:
    """Candidates whose name contains what was typed (no pinyin needed: "记录" finds
    "赵记录"). Names starting with it come first, then the others in roll order; an
    empty query gives everyone."""
    q = fold(query)
    first: list[tuple[T, str]] = []
    rest: list[tuple[T, str]] = []
    for value, name in candidates:
        folded = fold(name)
        if not q or folded.startswith(q):
            first.append((value, name))
        elif q in folded:
            rest.append((value, name))
    return (first + rest)[:limit]


def unique_match(query: str, candidates: Sequence[tuple[T, str]]) -> tuple[T, str] | None:
    """The one candidate meant by ``query``: an exact name, else the only name containing
    it; None when nothing or several match."""
    q = fold(query)
    if not q:
        return None
    exact = [c for c in candidates if fold(c[1]) == q]
    if len(exact) == 1:
        return exact[0]
    hits = [c for c in candidates if q in fold(c[1])]
    return hits[0] if len(hits) == 1 else None


def parse_day(text: str) -> date | None:
    """2026-12-31, 2026/12/31, 2026.12.31, 2026年12月31日, 20261231 (full-width digits
    too). None when the text is not a real date (see :func:`branchtui.core.dates.parse_day`)."""
    try:
        return dates.parse_day(text)
    except ValueError:
        return None


def needs_candidate(act: Act) -> bool:
    """Elections, admissions and confirmations are about a named person."""
    return act in (Act.ELECTION, Act.ADMISSION, Act.CONFIRMATION)


def counts_written(act: Act, rules: RuleSet) -> bool:
    """Written opinions of members who could not attend count for 接收预备党员 and 转正,
    when the rule set says so (as ``core.votes.evaluate`` judges them)."""
    return act in (Act.ADMISSION, Act.CONFIRMATION) and rules.written_opinions_count
