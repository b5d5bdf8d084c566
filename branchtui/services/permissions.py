"""Who may do what: one table, ``RIGHTS``, and the code that reads it.

Every public service method has a row named ``"<service>.<method>"``. A row lists the
grants that allow the call, each a *role* held in a *scope* relative to what the call
acts on (its ``Target``):

========================  =====================================================
role @ scope              the actor ...
========================  =====================================================
admin @ all               has the administrator flag
anyone @ all              is any authenticated member (the method itself only ever
                          touches the actor's own rows: drafts, "my meetings")
member @ self             is the member acted on
member @ branch           is a member of the target's branch today
lead @ branch             is 书记 or 副书记 of the target's branch
roster @ branch           is 书记, 副书记 or 组织委员 of the target's branch
officer @ branch          holds any post in the target's branch or one of its groups
group_leader @ group      is 党小组组长 of the target's group
convener|moderator|
recorder @ meeting        has that role on the target meeting
attendee @ meeting        is on the target meeting's roll
upper @ below             holds any post (a viewer's included) at an organisation above
                          the target: the upper level reads
upper_lead @ below        is 书记 or 副书记 of an organisation above the target: the
                          upper level's named write rights
system @ -                no actor at all: identity look-ups made before anyone acts
========================  =====================================================

A row marked ``within`` also asks that the rights touched stay below the actor's own
(``Grants.within``): a key or a login name, a post, a move out of the branch, 留党察看.
Nobody grants, reaches or takes away rights above their own; the administrator is the
only exception.

Services never decide rights themselves: they build the ``Target`` (the branch, group,
meeting or member the call acts on) and call ``Grants.check(name, target)``; screens ask
``Grants.allows`` through the services' read methods to hide what is not allowed.
``tests/services/test_rights_table.py`` walks every row for every kind of actor.
"""

from __future__ import annotations

import threading
from dataclasses import field
from datetime import date
from enum import StrEnum
from typing import Any

from peewee import JOIN

from branchtui.core.enums import OrgKind, PositionRole
from branchtui.core.errors import PermissionDenied
from branchtui.core.frozen import cached_dataclass, frozen
from branchtui.services.actor import Actor
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
# How much a post weighs when one post-holder acts on another's rights (``within``).
RANK: dict[PositionRole, int] = {
    PositionRole.SECRETARY: 3,
    PositionRole.DEPUTY_SECRETARY: 2,
    PositionRole.ORGANIZATION: 1,
    PositionRole.PROPAGANDA: 1,
    PositionRole.DISCIPLINE: 1,
    PositionRole.COMMITTEE_MEMBER: 1,
    PositionRole.GROUP_LEADER: 1,
    PositionRole.VIEWER: 1,
}
ABOVE = 10  # leading an organisation above outweighs any post inside it


# -- the vocabulary of the table -------------------------------------------------------------


class Role(StrEnum):
    ADMIN = "admin"
    ANYONE = "anyone"
    MEMBER = "member"
    LEAD = "lead"
    ROSTER = "roster"
    OFFICER = "officer"
    GROUP_LEADER = "group_leader"
    CONVENER = "convener"
    MODERATOR = "moderator"
    RECORDER = "recorder"
    ATTENDEE = "attendee"
    UPPER = "upper"
    UPPER_LEAD = "upper_lead"
    SYSTEM = "system"


class Scope(StrEnum):
    ALL = "all"
    SELF = "self"
    GROUP = "group"
    BRANCH = "branch"
    MEETING = "meeting"
    BELOW = "below"
    NONE = "-"


@frozen
class Grant:
    role: Role
    scope: Scope

    def __str__(self) -> str:
        return f"{self.role}@{self.scope}"


@frozen
class Right:
    """One row: the grants that allow a call, the refusal's catalogue key, whether the
    call writes, and whether the rights it touches must stay within the actor's."""

    grants: tuple[Grant, ...]
    refusal: str
    writes: bool
    within: bool = False


def _g(spec: str) -> tuple[Grant, ...]:
    out = []
    for word in spec.split():
        role, _, scope = word.partition("@")
        out.append(Grant(Role(role), Scope(scope or "all")))
    return tuple(out)


def _r(spec: str, refusal: str, *, writes: bool, within: bool = False) -> Right:
    return Right(_g(spec), refusal, writes, within)


def _read(spec: str, refusal: str = "perm.read") -> Right:
    return _r(spec, refusal, writes=False)


def _write(spec: str, refusal: str, within: bool = False) -> Right:
    return _r(spec, refusal, writes=True, within=within)


# Grant sets used by many rows, spelled once.
ADMIN = "admin@all"
READ_BRANCH = f"{ADMIN} officer@branch upper@below"
READ_MEETING = (f"{READ_BRANCH} convener@meeting moderator@meeting recorder@meeting "
                "attendee@meeting")
READ_MEMBER = f"{ADMIN} member@self roster@branch group_leader@group upper@below"
SCHEDULE = f"{ADMIN} lead@branch group_leader@group"
RUN = f"{SCHEDULE} convener@meeting moderator@meeting recorder@meeting"
MARK = f"{RUN} roster@branch"
MINUTES = f"{ADMIN} lead@branch group_leader@group moderator@meeting recorder@meeting"
ROSTER_WRITE = f"{ADMIN} roster@branch"
LEAD_WRITE = f"{ADMIN} lead@branch"
SYSTEM = "system@-"
ANYONE = "anyone@all"

RIGHTS: dict[str, Right] = {
    # -- identity and set-up: asked before anyone acts ---------------------------------------
    "roster.actor_for_login": _read(SYSTEM),
    "roster.actor_for_member": _read(SYSTEM),
    "roster.member_for_key": _read(SYSTEM),
    "roster.is_empty": _read(SYSTEM),
    "roster.count_members": _read(SYSTEM),
    "roster.bootstrap": _write(SYSTEM, "perm.bootstrap_done"),
    "roster.rules_for": _read(SYSTEM),
    "roster.ping": _read(SYSTEM),
    "meetings.ping": _read(SYSTEM),
    "minutes.ping": _read(SYSTEM),
    "queries.ping": _read(SYSTEM),
    "drafts.ping": _read(SYSTEM),
    "presence.ping": _read(SYSTEM),
    # -- organisations ------------------------------------------------------------------------
    # A group is opened by its branch's leads; anything above a group by the administrator.
    "roster.create_org": _write(LEAD_WRITE, "perm.org"),
    # Whether a branch has a committee: its leads, or a lead of the organisation above
    # (the upper level approves a branch committee): a named upper-level write right.
    "roster.set_committee": _write(f"{LEAD_WRITE} upper_lead@below", "perm.org"),
    "roster.set_rules": _write(ADMIN, "perm.org"),
    # The local rules of an organisation and those above it, with their dates: whoever
    # reads the organisation.
    "roster.rule_history": _read(READ_BRANCH),
    # The zone "today" is reckoned in: the administrator, or a lead of the organisation
    # above (a branch abroad is the upper level's call, as its committee is).
    "roster.set_time_zone": _write(f"{ADMIN} upper_lead@below", "perm.org"),
    "roster.orgs": _read(ANYONE),
    "roster.my_branches": _read(ANYONE),
    "roster.subtree_branches": _read(f"{ADMIN} upper@below"),
    "roster.groups": _read(f"{READ_BRANCH} member@branch"),
    "roster.transfer_targets": _read(ROSTER_WRITE, "perm.roster"),
    # -- members --------------------------------------------------------------------------------
    "roster.add_member": _write(ROSTER_WRITE, "perm.roster"),
    "roster.update_member": _write(ROSTER_WRITE, "perm.roster"),
    # A login name decides who an OS account is: given to a member whose rights are within
    # the actor's, never to oneself (one's own login changes through the administrator).
    "roster.set_login": _write(LEAD_WRITE, "perm.login", within=True),
    "roster.set_admin": _write(ADMIN, "perm.admin_flag", within=True),
    "roster.get_member": _read(READ_MEMBER),
    "roster.roster": _read(READ_BRANCH),
    # Out of a branch: its leads only, and only people whose posts they may end.
    "roster.transfer": _write(LEAD_WRITE, "perm.transfer", within=True),
    # Between the groups of one branch: the roster officers.
    "roster.move_group": _write(ROSTER_WRITE, "perm.roster"),
    "roster.membership_history": _read(READ_MEMBER),
    "roster.membership_entries": _read(READ_MEMBER),
    "roster.position_entries": _read(READ_MEMBER),
    "roster.positions": _read(READ_MEMBER),
    "roster.exemptions": _read(READ_MEMBER),
    "roster.disciplines": _read(READ_MEMBER),
    "roster.rights": _read(READ_MEMBER),
    "roster.add_exemption": _write(ROSTER_WRITE, "perm.roster"),
    "roster.end_exemption": _write(ROSTER_WRITE, "perm.roster"),
    # 留党察看 takes the vote away: within the actor's rights.
    "roster.add_discipline": _write(ROSTER_WRITE, "perm.discipline", within=True),
    "roster.end_discipline": _write(ROSTER_WRITE, "perm.roster"),
    # 转正 and the admission dates decide who votes: within the actor's rights.
    "roster.confirm_full": _write(ROSTER_WRITE, "perm.status", within=True),
    "roster.set_status": _write(ROSTER_WRITE, "perm.status", within=True),
    # -- posts: granted and ended only below one's own ---------------------------------------
    "roster.appoint": _write(f"{LEAD_WRITE} upper_lead@below", "perm.posts", within=True),
    "roster.end_position": _write(f"{LEAD_WRITE} upper_lead@below", "perm.posts",
                                  within=True),
    "roster.start_term": _write(f"{LEAD_WRITE} upper_lead@below", "perm.roster"),
    # -- SSH keys: one's own, or a member whose rights are within one's own -----------------
    "roster.add_key": _write(f"{LEAD_WRITE} member@self", "perm.keys", within=True),
    "roster.remove_key": _write(f"{LEAD_WRITE} member@self", "perm.keys", within=True),
    "roster.list_keys": _read(READ_MEMBER),
    "roster.branch_keys": _read(LEAD_WRITE, "perm.keys"),
    # -- the audit of rights --------------------------------------------------------------------
    "roster.rights_audit": _read(f"{ADMIN} upper@below", "perm.audit"),
    # Anyone may ask where they would read the audit from: the answer is None for those
    # the row above refuses.
    "roster.audit_scope": _read(ANYONE),
    # -- scheduling ---------------------------------------------------------------------------
    "meetings.schedule": _write(SCHEDULE, "perm.schedule"),
    "meetings.reschedule": _write(SCHEDULE, "perm.schedule"),
    "meetings.cancel": _write(SCHEDULE, "perm.schedule"),
    "meetings.create_series": _write(SCHEDULE, "perm.schedule"),
    "meetings.create_group_series": _write(LEAD_WRITE, "perm.schedule"),
    "meetings.extend_series": _write(SCHEDULE, "perm.schedule"),
    "meetings.update_series": _write(SCHEDULE, "perm.schedule"),
    "meetings.cancel_series": _write(SCHEDULE, "perm.schedule"),
    "meetings.overlaps": _read(f"{READ_BRANCH} {SCHEDULE}"),
    "meetings.series_info": _read(f"{READ_BRANCH} {SCHEDULE}"),
    "meetings.schedule_scope": _read(ANYONE),
    "meetings.can_schedule": _read(ANYONE),
    "meetings.add_agenda_item": _write(f"{SCHEDULE} {MINUTES}", "perm.minutes"),
    # -- running a meeting --------------------------------------------------------------------
    "meetings.open": _write(RUN, "perm.run"),
    "meetings.close": _write(RUN, "perm.run"),
    "meetings.set_self_signin": _write(RUN, "perm.run"),
    "meetings.seal": _write(f"{LEAD_WRITE} convener@meeting", "perm.seal"),
    "meetings.mark": _write(MARK, "perm.mark"),
    "meetings.add_guest": _write(MARK, "perm.mark"),
    "meetings.sign_in": _write("attendee@meeting", "attendance.not_expected"),
    # -- leave --------------------------------------------------------------------------------
    "meetings.request_leave": _write("attendee@meeting", "attendance.not_expected"),
    "meetings.withdraw_leave": _write("member@self", "leave.not_yours"),
    "meetings.decide_leave": _write(SCHEDULE, "perm.leave"),
    "meetings.pending_leave": _read(ANYONE),
    "meetings.my_leave": _read(ANYONE),
    "meetings.may_decide_leave": _read(ANYONE),
    "meetings.member_leave": _read(READ_MEMBER),
    # -- reading meetings ---------------------------------------------------------------------
    "meetings.get": _read(READ_MEETING),
    "meetings.record": _read(READ_MEETING),
    "meetings.attendance_sheet": _read(READ_MEETING),
    "meetings.roll_preview": _read(READ_BRANCH),
    "meetings.find": _read(f"{READ_BRANCH} member@self"),
    "meetings.my_meetings": _read(ANYONE),
    "meetings.upcoming": _read(ANYONE),
    # -- minutes --------------------------------------------------------------------------------
    "minutes.add_speech": _write(MINUTES, "perm.minutes"),
    "minutes.edit_speech": _write(MINUTES, "perm.minutes"),
    "minutes.move_speech": _write(MINUTES, "perm.minutes"),
    "minutes.delete_speech": _write(MINUTES, "perm.minutes"),
    "minutes.record_decision": _write(MINUTES, "perm.minutes"),
    "minutes.add_problem": _write(MINUTES, "perm.minutes"),
    "minutes.add_criticism": _write(MINUTES, "perm.minutes"),
    "minutes.create_rectification": _write(MINUTES, "perm.minutes"),
    "minutes.record_review": _write(MINUTES, "perm.minutes"),
    "minutes.preview_vote": _read(READ_MEETING),
    "minutes.people": _read(READ_MEETING),
    "minutes.org_life_sheet": _read(READ_MEETING),
    "minutes.review_list": _read(READ_MEETING),
    # -- 整改 ------------------------------------------------------------------------------------
    "minutes.add_progress": _write(f"{ROSTER_WRITE} member@self", "perm.rect"),
    "minutes.progress": _read(f"{READ_BRANCH} member@self"),
    "minutes.verify": _write(LEAD_WRITE, "perm.verify"),
    "minutes.rectifications": _read(f"{READ_BRANCH} member@self roster@branch "
                                    "group_leader@group"),
    "minutes.tracker": _read(ANYONE),
    # -- 民主评议 --------------------------------------------------------------------------------
    "minutes.set_grades": _write(LEAD_WRITE, "perm.grade"),
    "minutes.grades": _read(READ_BRANCH),
    "minutes.appraisal_roster": _read(READ_BRANCH),
    # -- figures ----------------------------------------------------------------------------------
    "queries.compliance": _read(READ_BRANCH),
    "queries.current_quarter": _read(SYSTEM),
    "queries.member_history": _read(READ_MEMBER),
    "queries.member_year": _read(READ_MEMBER),
    "queries.member_years": _read(READ_MEMBER),
    "queries.member_lapse": _read(READ_MEMBER),
    "queries.member_rates": _read(READ_MEMBER),
    "queries.member_dossier": _read(READ_MEMBER),
    "queries.attendance_rates": _read(READ_BRANCH),
    "queries.warnings": _read(READ_BRANCH),
    "queries.roster_overview": _read(ROSTER_WRITE, "perm.roster"),
    "home.load": _read(ANYONE),
    # -- one's own drafts and presence ------------------------------------------------------
    "drafts.save": _write("member@self", "perm.generic"),
    "drafts.load": _read("member@self"),
    "drafts.mine": _read("member@self"),
    "drafts.clear": _write("member@self", "perm.generic"),
    "presence.beat": _read(READ_MEETING),
    "presence.edit": _read(f"{MARK} {MINUTES}", "perm.minutes"),
    "presence.who": _read(READ_MEETING),
    "presence.leave": _write("member@self", "perm.generic"),
}


# -- what a call acts on ---------------------------------------------------------------------


@frozen
class MeetingRef:
    id: int
    convener: int | None
    moderator: int | None
    recorder: int | None


@frozen
class Target:
    """What a call acts on. ``places`` are the (branch, group) pairs it lives in (a
    member may have several over time); ``org`` an organisation above branch level (a
    subtree read); ``member`` the member acted on; ``meeting`` the sitting; ``role`` a
    post being granted or ended (with ``places`` where); ``anywhere`` a question about
    the actor's posts anywhere (the branches a member may be moved to)."""

    places: tuple[tuple[int, int | None], ...] = ()
    org: int | None = None
    member: int | None = None
    meeting: MeetingRef | None = None
    role: PositionRole | None = None
    anywhere: bool = False

    def branches(self) -> list[int]:
        return [b for b, _ in self.places]


NOWHERE = Target()
ANYWHERE = Target(anywhere=True)


def branch_target(branch_id: int, group_id: int | None = None) -> Target:
    return Target(places=((branch_id, group_id),))


def meeting_target(row: Any, extra_group: int | None = None) -> Target:
    """A sitting (a ``Meeting`` or ``Series`` row). ``extra_group``: the member's own
    group, for leave asked for a branch-wide sitting (the group leader decides it)."""
    places = [(row.branch_id, row.group_id)]
    if extra_group is not None and row.group_id is None:
        places.append((row.branch_id, extra_group))
    ref = None
    if isinstance(row, m.Meeting):
        ref = MeetingRef(row.id, row.convener_id, row.moderator_id, row.recorder_id)
    return Target(places=tuple(places), meeting=ref)


def member_target(member_id: int, day: date | None = None, *, role: PositionRole | None = None,
                  org_id: int | None = None) -> Target:
    """A member: where they are on ``day``, or where they ever were (``day`` None: the
    reads of their history follow them). With ``role``: a post at ``org_id`` granted to or
    taken from them."""
    q = m.Membership.select(m.Membership.branch, m.Membership.group).where(
        m.Membership.member == member_id)
    if day is not None:
        q = q.where((m.Membership.starts <= day)
                    & (m.Membership.ends.is_null() | (m.Membership.ends > day)))
    places = tuple(dict.fromkeys(q.order_by(m.Membership.starts.desc()).tuples()))
    if org_id is not None:
        places = _org_places(org_id)
    return Target(places=places, member=member_id, role=role,
                  org=org_id if org_id is not None and not places else None)


def _org_places(org_id: int) -> tuple[tuple[int, int | None], ...]:
    kind, parent = (m.Org.select(m.Org.kind, m.Org.parent).where(m.Org.id == org_id)
                    .tuples().first() or (None, None))
    if kind == OrgKind.BRANCH.value:
        return ((org_id, None),)
    if kind == OrgKind.GROUP.value and parent is not None:
        return ((parent, org_id),)
    return ()


def org_target(org_id: int) -> Target:
    """An organisation: a branch or group as such, anything above as a subtree."""
    places = _org_places(org_id)
    return Target(places=places, org=None if places else org_id)


def self_target(actor: Actor) -> Target:
    return Target(member=actor.member_id)


# -- the table's reader ----------------------------------------------------------------------


class _Checked(threading.local):
    names: list[str] | None = None  # set by the rights test to see which rows a call used


checked = _Checked()


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
    """The actor's posts on one day, and the table's answers for them. Built inside the
    service's transaction."""

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
        # One statement: the member's row (for the administrator flag, read from the store
        # rather than from the Actor the caller built, so that a flag taken away takes
        # effect at the next call) and the posts held on the day, if any.
        q = (
            m.Member.select(m.Member.is_admin, m.Position.org, m.Position.role, m.Org.kind)
            .join(m.Position, JOIN.LEFT_OUTER, on=(
                (m.Position.member == m.Member.id) & (m.Position.starts <= day)
                & (m.Position.ends.is_null() | (m.Position.ends > day))))
            .join(m.Org, JOIN.LEFT_OUTER, on=(m.Position.org == m.Org.id))
            .where(m.Member.id == actor.member_id)
            .tuples()
        )
        admin = False
        for is_admin, org_id, role, kind in q:
            admin = bool(is_admin)
            if org_id is None:
                continue
            g.roles.setdefault(org_id, set()).add(PositionRole(role))
            if OrgKind(kind) in UPPER_KINDS:
                g.upper.add(org_id)
        g._memo["admin"] = admin
        return g

    # -- the table ----------------------------------------------------------------------

    def allows(self, name: str, target: Target = NOWHERE) -> bool:
        """The table's answer for ``name`` on ``target``."""
        right = RIGHTS[name]
        for grant in right.grants:
            if grant.role == Role.SYSTEM:
                return True
            # ``within`` does not apply to the administrator, nor to one's own keys.
            exempt = not right.within or grant.role == Role.ADMIN or grant.scope == Scope.SELF
            if self._holds(grant, target) and (exempt or self.within(target)):
                return True
        return False

    def check(self, name: str, target: Target = NOWHERE) -> None:
        """Raise ``PermissionDenied`` (the row's refusal) unless the table allows it."""
        if checked.names is not None:
            checked.names.append(name)
        if not self.allows(name, target):
            raise PermissionDenied(RIGHTS[name].refusal)

    def _holds(self, grant: Grant, t: Target) -> bool:
        role, me = grant.role, self.actor.member_id
        if role == Role.ADMIN:
            return self.admin
        if role == Role.ANYONE:
            return True
        if role == Role.MEMBER and grant.scope == Scope.SELF:
            return t.member is not None and t.member == me
        if grant.scope == Scope.MEETING:
            ref = t.meeting
            if ref is None:
                return False
            if role == Role.ATTENDEE:
                return self.expected_at(ref.id)
            return me == {Role.CONVENER: ref.convener, Role.MODERATOR: ref.moderator,
                          Role.RECORDER: ref.recorder}[role]
        if role == Role.MEMBER:  # member@branch
            branch = self.home_branch()
            return branch is not None and branch in t.branches()
        if role in (Role.LEAD, Role.ROSTER):
            wanted = LEADS if role == Role.LEAD else ROSTER
            if t.anywhere:
                return any(roles & wanted for oid, roles in self.roles.items()
                           if oid not in self.upper)
            return any(self.at(b) & wanted for b in t.branches())
        if role == Role.OFFICER:
            return any(self.officer_in(b) for b in t.branches())
        if role == Role.GROUP_LEADER:
            if t.anywhere:
                return any(PositionRole.GROUP_LEADER in roles for roles in self.roles.values())
            return any(grp is not None and PositionRole.GROUP_LEADER in self.at(grp)
                       for _b, grp in t.places)
        if role in (Role.UPPER, Role.UPPER_LEAD):
            if not self.upper:
                return False
            above = self._above(t)
            if role == Role.UPPER:
                return bool(self.upper & above)
            return any(self.at(o) & LEADS for o in self.upper & above)
        return False

    def _above(self, t: Target) -> set[int]:
        """The organisations above the target: an upper post there reaches it."""
        out: set[int] = set()
        for b in t.branches():
            out.update(self.ancestors(b)[1:])
        if t.org is not None:
            out.update(self.ancestors(t.org))
        return out

    # -- rights within rights -----------------------------------------------------------

    def authority(self, org_id: int) -> int:
        """How much the actor weighs at ``org_id``: leading an organisation above it
        outweighs any post inside; otherwise the actor's own post there."""
        if self.admin:
            return ABOVE * 10
        chain = self.ancestors(org_id)
        if any(self.at(o) & LEADS for o in chain[1:]):
            return ABOVE
        return max((RANK[r] for r in self.at(org_id)), default=0)

    def within(self, t: Target) -> bool:
        """Whether the rights the call touches stay below the actor's: the post granted or
        ended (``t.role``), and every right the member acted on holds (their posts, the
        administrator flag). Oneself is never strictly below oneself."""
        if self.admin:
            return True
        if t.role is not None:
            where = [grp if grp is not None else b for b, grp in t.places] or (
                [t.org] if t.org is not None else [])
            if not where or any(self.authority(o) <= RANK[t.role] for o in where):
                return False
        if t.member is None:
            return True
        if t.member == self.actor.member_id:
            # Only one's own keys are "within" (the member@self grant): a login, a post,
            # a move or a sanction on oneself goes through someone above.
            return False
        if m.Member.select(m.Member.is_admin).where(m.Member.id == t.member).scalar():
            return False
        for org_id, role in (
            m.Position.select(m.Position.org, m.Position.role)
            .where((m.Position.member == t.member) & (m.Position.starts <= self.day)
                   & (m.Position.ends.is_null() | (m.Position.ends > self.day)))
            .tuples()
        ):
            if self.authority(org_id) <= RANK[PositionRole(role)]:
                return False
        return True

    # -- role questions (the table's building blocks) -----------------------------------

    @property
    def admin(self) -> bool:
        flag = self._memo.get("admin")
        return self.actor.is_admin if flag is None else bool(flag)

    def at(self, org_id: int | None) -> set[PositionRole]:
        return self.roles.get(org_id, set()) if org_id is not None else set()

    def home_branch(self) -> int | None:
        """The branch the actor belongs to on the day."""
        if "home" not in self._memo:
            self._memo["home"] = (
                m.Membership.select(m.Membership.branch)
                .where((m.Membership.member == self.actor.member_id)
                       & (m.Membership.starts <= self.day)
                       & (m.Membership.ends.is_null() | (m.Membership.ends > self.day)))
                .order_by(m.Membership.starts.desc()).scalar())
        return self._memo["home"]  # type: ignore[no-any-return]

    def know_tree(self, parents: dict[int, int | None]) -> None:
        """Remember every org's ancestors from a parent map already read (id -> parent),
        so that asking the table about every org of the tree costs no query per org."""
        for org_id in parents:
            self._memo[("up", org_id)] = chain_in(parents, org_id)

    def ancestors(self, org_id: int) -> list[int]:
        """``ancestors(org_id)``, remembered."""
        key = ("up", org_id)
        if key not in self._memo:
            self._memo[key] = ancestors(org_id)
        return self._memo[key]  # type: ignore[no-any-return]

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

    def expected_at(self, meeting_id: int) -> bool:
        return bool(
            m.Attendance.select()
            .where(
                (m.Attendance.meeting == meeting_id)
                & (m.Attendance.member == self.actor.member_id)
            )
            .exists()
        )
