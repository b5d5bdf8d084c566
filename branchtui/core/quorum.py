"""The quorum light of a meeting in progress (DOMAIN.md §4): for each act on the agenda,
are enough of those entitled to vote in the room? Computed from the attendance rows the
sheet already holds, so it can be redrawn after every mark without a query.

The thresholds are the rule set's (``general_quorum``, ``election_quorum``,
``committee_quorum``), counted exactly as ``votes.evaluate`` counts them: strictly more
than the share of the base.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from fractions import Fraction

from branchtui.core.enums import Act, AttendanceStatus
from branchtui.core.frozen import frozen
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.core.votes import needed_more_than


@frozen
class QuorumLight:
    """One act's light: ``needed`` of ``expected`` voters must be present; ``present``
    are."""

    act: Act
    expected: int
    present: int
    needed: int

    @property
    def met(self) -> bool:
        return self.present >= self.needed

    @property
    def missing(self) -> int:
        """How many more voters must arrive (0 once the quorum is met)."""
        return max(0, self.needed - self.present)


def quorum_share(act: Act, rules: RuleSet = DEFAULT_RULES) -> Fraction:
    """The share of voters that must be exceeded for ``act``."""
    if act is Act.COMMITTEE_DECISION:
        return rules.committee_quorum
    if act is Act.ELECTION:
        return rules.election_quorum
    return rules.general_quorum


def quorum_lights(
    acts: Iterable[Act],
    rows: Iterable[tuple[int, bool, AttendanceStatus | None]],
    committee: Collection[int] = (),
    rules: RuleSet = DEFAULT_RULES,
) -> tuple[QuorumLight, ...]:
    """One light per distinct act, in agenda order.

    ``rows`` are ``(member_id, can_vote, status)`` of the attendance sheet. Voters are
    rows with a vote that are not exempt (免 is not in 应到); present means 出席 or 迟到.
    For a 支委会 decision the base is ``committee`` (member ids of the 委员), and present
    are the 委员 marked present.
    """
    rows = list(rows)
    voters = [st for _mid, can_vote, st in rows
              if can_vote and st is not AttendanceStatus.EXEMPT]
    voters_present = sum(1 for st in voters if st is not None and st.is_present)
    members = set(committee)
    committee_present = sum(1 for mid, _cv, st in rows
                            if mid in members and st is not None and st.is_present)
    out: list[QuorumLight] = []
    for act in dict.fromkeys(acts):
        if act is Act.COMMITTEE_DECISION:
            expected, present = len(members), committee_present
        else:
            expected, present = len(voters), voters_present
        out.append(QuorumLight(act, expected, present,
                               needed_more_than(quorum_share(act, rules), expected)))
    return tuple(out)
