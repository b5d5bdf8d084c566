"""Quorum and passing of votes (DOMAIN.md §4), and who may vote.

Every threshold is "strictly more than a share of a base", computed exactly with
``Fraction``. The verdict carries a message key and numbers so that a record can say why
a motion passed or failed ("赞成 15 票，未超过应到有表决权党员 30 人的半数（需 16 票），未通过").
Keys come in two forms: the plain key words the share as "half" (the default 1/2), the
``_share`` key names the share as a number ("4/5") for any other share a local rule sets.
"""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

from branchtui.core.enums import Act
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.model import MemberFacts
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet

HALF = Fraction(1, 2)

# Every reason key ``evaluate`` can return (each has a ``_share`` twin, see _keyed).
_REASON_BASES: tuple[str, ...] = (
    "rules.vote.no_quorum",
    "rules.vote.committee_no_quorum",
    "rules.vote.election_no_quorum",
    "rules.vote.passed",
    "rules.vote.failed",
    "rules.vote.committee_passed",
    "rules.vote.committee_failed",
    "rules.vote.election_passed",
    "rules.vote.election_failed",
    "rules.vote.election_passed_present",
    "rules.vote.election_failed_present",
    "rules.vote.written_passed",
    "rules.vote.written_failed",
)
REASON_KEYS: tuple[str, ...] = tuple(
    key for base in _REASON_BASES for key in (base, base + "_share")
)

# Every ValidationError key ``evaluate`` can raise.
_NEGATIVE_KEYS: dict[str, str] = {
    "entitled_expected": "rules.vote.negative.entitled_expected",
    "entitled_present": "rules.vote.negative.entitled_present",
    "yes": "rules.vote.negative.yes",
    "no": "rules.vote.negative.no",
    "abstain": "rules.vote.negative.abstain",
    "written_yes": "rules.vote.negative.written_yes",
    "written_no": "rules.vote.negative.written_no",
    "written_abstain": "rules.vote.negative.written_abstain",
}
ERROR_KEYS: tuple[str, ...] = (
    *_NEGATIVE_KEYS.values(),
    "rules.vote.present_exceeds_expected",
    "rules.vote.votes_exceed_present",
    "rules.vote.written_not_counted",
    "rules.vote.written_exceed_absent",
    "rules.bad_value",
)

_WRITTEN_ACTS = (Act.ADMISSION, Act.CONFIRMATION)


@frozen
class Tally:
    """Votes cast in the room, plus written opinions handed in before the meeting by
    members who could not attend (counted only for 接收预备党员/转正)."""

    yes: int
    no: int
    abstain: int
    written_yes: int = 0
    written_no: int = 0
    written_abstain: int = 0

    @property
    def in_room(self) -> int:
        """Votes cast by those present."""
        return self.yes + self.no + self.abstain

    @property
    def written(self) -> int:
        """Written opinions of any kind."""
        return self.written_yes + self.written_no + self.written_abstain


@frozen
class VoteBase:
    """Those entitled to vote: expected (应到) and present (实到). For
    ``Act.COMMITTEE_DECISION`` these are the committee size and the 委员 present."""

    entitled_expected: int
    entitled_present: int


@frozen
class VoteOutcome:
    """The verdict: quorum, pass, the thresholds used and a message key saying why."""

    quorum_met: bool
    passed: bool
    reason_key: str
    params: dict[str, object]
    needed_present: int
    needed_yes: int
    base: int


def needed_more_than(share: Fraction, of: int) -> int:
    """The smallest integer strictly greater than ``share * of`` (exact):
    4/5 of 200 -> 161, 1/2 of 30 -> 16, 1/2 of 31 -> 16, 1/2 of 0 -> 1."""
    return math.floor(Fraction(share) * of) + 1


def may_vote(member: MemberFacts, day: date) -> bool:
    """A full member (正式党员) on ``day`` who is not under 留党察看 then.
    预备党员 and members under 留党察看 attend but have no vote."""
    return member.is_full_on(day) and not member.under_discipline_on(day)


def _share_text(share: Fraction) -> str:
    return f"{share.numerator}/{share.denominator}"


def _keyed(base: str, share: Fraction) -> str:
    """The plain key words the share as "half"; any other share needs the numeric twin."""
    return base if share == HALF else base + "_share"


def _validate(act: Act, base: VoteBase, tally: Tally, counts_written: bool) -> None:
    numbers = {
        "entitled_expected": base.entitled_expected,
        "entitled_present": base.entitled_present,
        "yes": tally.yes,
        "no": tally.no,
        "abstain": tally.abstain,
        "written_yes": tally.written_yes,
        "written_no": tally.written_no,
        "written_abstain": tally.written_abstain,
    }
    for name, value in numbers.items():
        if value < 0:
            raise ValidationError(_NEGATIVE_KEYS[name], value=value)
    expected, present = base.entitled_expected, base.entitled_present
    if present > expected:
        raise ValidationError(
            "rules.vote.present_exceeds_expected", present=present, expected=expected
        )
    if tally.in_room > present:
        raise ValidationError(
            "rules.vote.votes_exceed_present", votes=tally.in_room, present=present
        )
    if tally.written and not counts_written:
        raise ValidationError(
            "rules.vote.written_not_counted", act=act.value, written=tally.written
        )
    if tally.written > expected - present:
        raise ValidationError(
            "rules.vote.written_exceed_absent",
            written=tally.written,
            absent=expected - present,
            expected=expected,
            present=present,
        )


def evaluate(act: Act, base: VoteBase, tally: Tally, rules: RuleSet = DEFAULT_RULES) -> VoteOutcome:
    """Judge a vote by DOMAIN.md §4 and ``rules``.

    - 党员大会决议: quorum when present > general_quorum of expected voters; passes when
      yes > pass_share of the expected voters (应到), not of those present.
    - 支委会: quorum when 委员 present > committee_quorum of the committee; passes when
      yes > pass_share of the committee.
    - 选举: quorum when present > election_quorum of expected voters; passes when yes >
      pass_share of the base, expected or present as ``rules.election_base`` says.
    - 接收预备党员/转正: quorum as a general decision; passes when yes plus written yes
      (only if ``rules.written_opinions_count``) > pass_share of expected full members.

    Without quorum nothing passes. Impossible numbers raise ValidationError.
    """
    counts_written = act in _WRITTEN_ACTS and rules.written_opinions_count
    _validate(act, base, tally, counts_written)
    expected, present = base.entitled_expected, base.entitled_present

    if act is Act.COMMITTEE_DECISION:
        quorum_share = rules.committee_quorum
    elif act is Act.ELECTION:
        quorum_share = rules.election_quorum
    else:
        quorum_share = rules.general_quorum

    if act is Act.ELECTION and rules.election_base not in ("expected", "present"):
        raise ValidationError("rules.bad_value", name="election_base", value=rules.election_base)
    on_present = act is Act.ELECTION and rules.election_base == "present"
    vote_base = present if on_present else expected

    yes_total = tally.yes + (tally.written_yes if counts_written else 0)
    needed_present = needed_more_than(quorum_share, expected)
    needed_yes = needed_more_than(rules.pass_share, vote_base)
    quorum_met = present >= needed_present
    passed = quorum_met and yes_total >= needed_yes

    if not quorum_met:
        if act is Act.COMMITTEE_DECISION:
            reason = _keyed("rules.vote.committee_no_quorum", quorum_share)
        elif act is Act.ELECTION:
            reason = _keyed("rules.vote.election_no_quorum", quorum_share)
        else:
            reason = _keyed("rules.vote.no_quorum", quorum_share)
    else:
        if act is Act.COMMITTEE_DECISION:
            stem = "rules.vote.committee_"
        elif act is Act.ELECTION:
            stem = "rules.vote.election_"
        elif counts_written:
            stem = "rules.vote.written_"
        else:
            stem = "rules.vote."
        verdict = "passed" if passed else "failed"
        suffix = "_present" if on_present else ""
        reason = _keyed(stem + verdict + suffix, rules.pass_share)

    params: dict[str, object] = {
        "act": act.value,
        "expected": expected,
        "present": present,
        "yes": tally.yes,
        "no": tally.no,
        "abstain": tally.abstain,
        "written_yes": tally.written_yes,
        "written_no": tally.written_no,
        "written_abstain": tally.written_abstain,
        "yes_total": yes_total,
        "base": vote_base,
        "needed_present": needed_present,
        "needed_yes": needed_yes,
        "quorum_share": _share_text(quorum_share),
        "pass_share": _share_text(rules.pass_share),
    }
    return VoteOutcome(
        quorum_met=quorum_met,
        passed=passed,
        reason_key=reason,
        params=params,
        needed_present=needed_present,
        needed_yes=needed_yes,
        base=vote_base,
    )
