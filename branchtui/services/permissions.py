"""Who may do what. Roles come from positions held on the day of the call:

- system admin (``member.is_admin``): everything;
- 书记 / 副书记: the whole branch;
- 组织委员: roster and attendance of the branch;
- 党小组组长: their own group's meetings and members' leave;
- per meeting: convener (run it), moderator and recorder (run it, write minutes);
- member: own data, plus the records of meetings they were expected at;
- upper-level viewer (any post at an org above the branches): read-only over its subtree.

Every refusal names its reason through a catalogue key.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date
from typing import Any

from branchtui.core.enums import OrgKind, PositionRole
from branchtui.core.errors import PermissionDenied
from branchtui.core.frozen import cached_dataclass
from branchtui.services.base import Actor
from branchtui.store import models as m

LEADS = frozenset({PositionRole.SECRETARY, PositionRole.DEPUTY_SECRETARY})
ROSTER = LEADS | {PositionRole.ORGANIZATION}
COMMITTEE = frozenset(
    {
        PositionRole.SECRETARY,
        PositionRole.DEPUTY_SECRETARY,
        PositionRole.ORGANIZATION,
        PositionRole.PROPAGANDA,
        PositionRole.DISCIPLINE,
        PositionRole.COMMITTEE_MEMBER,
    }
)
UPPER_KINDS = frozenset(
    {OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH}
)


def ancestors(org_id: int) -> list[int]:
    """``org_id`` and every org above it, nearest first (the tree is a few levels deep)."""
    chain: list[int] = []
    current: int | None = org_id
    while current is not None and current not in chain:
        chain.append(current)
        current = m.Org.select(m.Org.parent).where(m.Org.id == current).scalar()
    return chain


def chain_in(parents: dict[int, int | None], org_id: int) -> list[int]:
    """``ancestors`` over a parent map already read (id -> parent id): for walking every
    org of the tree without a query per org and level."""
    chain: list[int] = []
    current: int | None = org_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


@cached_dataclass
class Grants:
    """The actor's roles on one day. Built inside the service's transaction."""

    actor: Actor
    day: date
    roles: dict[int, set[PositionRole]] = field(default_factory=dict)
    upper: set[int] = field(default_factory=set)  # orgs above branch level with a post
    # Org-tree facts asked for again and again within one call (the home screen asks
    # for each branch): read once per Grants, which lives one unit of work.
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, actor: Actor, day: date) -> Grants:
        g = cls(actor=actor, day=day)
        q = (
            m.Position.select(m.Position.org, m.Position.role, m.Org.kind)
            .join(m.Org)
            .where(
                (m.Position.member == actor.member_id)
                & (m.Position.starts <= day)
                & (m.Position.ends.is_null() | (m.Position.ends > day))
            )
            .tuples()
        )
        for org_id, role, kind in q:
            g.roles.setdefault(org_id, set()).add(PositionRole(role))
            if OrgKind(kind) in UPPER_KINDS:
                g.upper.add(org_id)
        return g

    # -- role questions -----------------------------------------------------------------

    @property
    def admin(self) -> bool:
        return self.actor.is_admin

    def at(self, org_id: int | None) -> set[PositionRole]:
        return self.roles.get(org_id, set()) if org_id is not None else set()

    def leads(self, branch_id: int) -> bool:
        return self.admin or bool(self.at(branch_id) & LEADS)

    def roster(self, branch_id: int) -> bool:
        return self.admin or bool(self.at(branch_id) & ROSTER)

    def group_leader(self, group_id: int | None) -> bool:
        return group_id is not None and PositionRole.GROUP_LEADER in self.at(group_id)

    def ancestors(self, org_id: int) -> list[int]:
        """``ancestors(org_id)``, remembered."""
        key = ("up", org_id)
        if key not in self._memo:
            self._memo[key] = ancestors(org_id)
        return self._memo[key]  # type: ignore[no-any-return]

    def views_from_above(self, branch_id: int) -> bool:
        return bool(self.upper) and bool(self.upper.intersection(self.ancestors(branch_id)))

    def officer_in(self, branch_id: int) -> bool:
        """Holds any post in the branch or one of its groups."""
        if self.at(branch_id):
            return True
        held = [org_id for org_id, roles in self.roles.items() if roles]
        if not held:
            return False
        parents = self._memo.get("parents")
        if parents is None:  # the parent of every org with a post: one query
            parents = self._memo["parents"] = dict(
                m.Org.select(m.Org.id, m.Org.parent).where(m.Org.id.in_(held)).tuples())
        return any(parents.get(org_id) == branch_id for org_id in held)

    def can_read_branch(self, branch_id: int) -> bool:
        return self.admin or self.officer_in(branch_id) or self.views_from_above(branch_id)

    def meeting_officer(self, meeting: m.Meeting) -> bool:
        me = self.actor.member_id
        return me in (meeting.convener_id, meeting.moderator_id, meeting.recorder_id)

    def can_schedule(self, branch_id: int, group_id: int | None) -> bool:
        return self.leads(branch_id) or self.group_leader(group_id)

    def can_run(self, meeting: m.Meeting) -> bool:
        """Open and close the meeting."""
        return (
            self.leads(meeting.branch_id)
            or self.meeting_officer(meeting)
            or self.group_leader(meeting.group_id)
        )

    def can_mark(self, meeting: m.Meeting) -> bool:
        return self.roster(meeting.branch_id) or self.can_run(meeting)

    def can_write_minutes(self, meeting: m.Meeting) -> bool:
        me = self.actor.member_id
        return (
            self.leads(meeting.branch_id)
            or me in (meeting.recorder_id, meeting.moderator_id)
            or self.group_leader(meeting.group_id)
        )

    def can_seal(self, meeting: m.Meeting) -> bool:
        return self.leads(meeting.branch_id) or self.actor.member_id == meeting.convener_id

    def expected_at(self, meeting_id: int) -> bool:
        return (
            m.Attendance.select()
            .where(
                (m.Attendance.meeting == meeting_id)
                & (m.Attendance.member == self.actor.member_id)
            )
            .exists()
        )

    def can_read_meeting(self, meeting: m.Meeting) -> bool:
        return (
            self.can_read_branch(meeting.branch_id)
            or self.meeting_officer(meeting)
            or self.expected_at(meeting.id)
        )

    def can_read_member(self, member_id: int) -> bool:
        if self.admin or member_id == self.actor.member_id:
            return True
        for branch_id, group_id in (
            m.Membership.select(m.Membership.branch, m.Membership.group)
            .where(m.Membership.member == member_id)
            .tuples()
        ):
            if (
                self.roster(branch_id)
                or self.leads(branch_id)
                or self.group_leader(group_id)
                or self.views_from_above(branch_id)
            ):
                return True
        return False

    def can_decide_leave(self, meeting: m.Meeting, member_group_id: int | None) -> bool:
        return self.leads(meeting.branch_id) or self.group_leader(
            meeting.group_id or member_group_id
        )

    # -- refusing -----------------------------------------------------------------------

    def require(self, allowed: bool, reason: str = "perm.generic") -> None:
        """Raise PermissionDenied with ``reason`` (a catalogue key) unless ``allowed``."""
        if not allowed:
            raise PermissionDenied(reason)
