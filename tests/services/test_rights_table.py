"""The rights table, walked: every public service method, for every kind of actor, on the
actor's own records, on their branch's and on another branch's. Each call runs in a
transaction that is rolled back, and its outcome must be the table's answer
(``Grants.allows``) for the target the call acts on: refused with ``PermissionDenied``
exactly when the table says no. A public method without a row, or without a case here,
fails the walk; so does a method that did not ask the table for its own row.

On both backends: the world is built once per backend (module scope), the calls never
change it."""

from __future__ import annotations

import base64
import contextlib
import inspect
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    Grade,
    LeaveKind,
    Obligation,
    OrgKind,
    PositionRole,
)
from branchtui.core.errors import BranchError, PermissionDenied
from branchtui.services import Actor, FixedClock, MemberDraft, Services, VoteDraft
from branchtui.services import permissions as p
from branchtui.services.permissions import (
    ANYWHERE,
    NOWHERE,
    RIGHTS,
    Grants,
    Role,
    Scope,
    Target,
    branch_target,
    meeting_target,
    member_target,
    org_target,
    self_target,
)
from branchtui.store import models as m
from branchtui.store.db import close_database, open_database, upgrade
from tests.conftest import HOSTILE_LINK, NOW, PG_URL, _no_pg, pg_schema_url
from tests.factories import GAPS_REASON, JOINED, World, build_world, draft

TODAY = NOW.date()
# Rows that are not methods: a part of a method's rights, checked inside it, and the row
# the same call asks first (if any).
PARTS = {"roster.set_login": ("roster.update_member", "roster.update_member"),
         "roster.move_group": ("roster.transfer", None),
         "roster.set_status": ("roster.update_member", "roster.update_member"),
         "presence.edit": ("presence.beat", "presence.beat")}
ACTORS = ("admin", "upper_viewer", "upper_officer", "secretary", "deputy", "organiser",
          "recorder", "group_leader", "member", "probationary", "other_secretary",
          "no_branch", "moved_away")
SUBJECTS = ("own", "branch", "other")


def fake_key(seed: str) -> str:
    """A well-formed ed25519 public key line (the blob is the SSH wire format)."""
    def s(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    raw = (seed.encode() * 32)[:32]
    return "ssh-ed25519 " + base64.b64encode(s(b"ssh-ed25519") + s(raw)).decode() + " t"


# -- the world ---------------------------------------------------------------------------------


@dataclass
class Side:
    """One branch's things the calls act on."""

    branch: int
    group: int | None
    member: int  # an ordinary member of the branch
    planned: int
    open: int
    closed: int
    group_meeting: int | None
    series: int
    leave: int
    rect: int
    speech: int
    exemption: int
    discipline: int
    key: str
    position: int


@dataclass
class Walk:
    svc: Services
    w: World
    actors: dict[str, Actor]
    sides: dict[str, Side]
    own_leave: dict[int, int] = field(default_factory=dict)  # member -> pending request
    own_key: dict[int, str] = field(default_factory=dict)  # member -> key fingerprint
    own_position: dict[int, int] = field(default_factory=dict)


def _add(svc: Services, admin: Actor, branch: int, name: str, login: str,
         group: int | None = None) -> Actor:
    mem = svc.roster.add_member(admin, branch, MemberDraft(
        name=name, login=login, admitted=date(2010, 1, 1), full_since=date(2011, 1, 1)),
        group_id=group, starts=JOINED)
    return svc.roster.actor_for_member(mem.id)


def _side(svc: Services, w: World, branch: int, group: int | None, member: int,
          convener: int, recorder: int, clock: FixedClock, tag: str) -> Side:
    admin = w.admin

    def mk(start: datetime, *obl: Obligation, grp: int | None = None) -> Any:
        d = draft(w, start, *obl, group=grp)
        d = type(d)(**{**d.__dict__, "branch_id": branch, "convener_id": convener,
                       "moderator_id": convener, "recorder_id": recorder})
        return svc.meetings.schedule(admin, d)

    clock.current = datetime(2026, 3, 10, 9)
    closed = mk(datetime(2026, 3, 10, 10), Obligation.GENERAL_MEETING)
    svc.meetings.open(admin, closed.id)
    svc.meetings.close(admin, closed.id, gaps_reason=GAPS_REASON)
    clock.current = datetime(2026, 11, 20, 9)  # scheduled a week ahead
    opened = mk(datetime(2026, 11, 27, 8, 30), Obligation.ORG_LIFE)
    clock.current = NOW
    planned = mk(datetime(2026, 12, 4, 10))
    svc.meetings.open(admin, opened.id)
    gm = mk(datetime(2026, 12, 3, 19), Obligation.GROUP_MEETING, grp=group) if group else None
    d = draft(w, datetime(2026, 12, 11, 19))
    d = type(d)(**{**d.__dict__, "branch_id": branch, "convener_id": convener,
                   "moderator_id": convener, "recorder_id": recorder})
    series, _made = svc.meetings.create_series(admin, d, "FREQ=MONTHLY;BYDAY=2FR")
    leave = svc.meetings.request_leave(svc.roster.actor_for_member(member), planned.id,
                                       LeaveKind.SICK, "住院" + HOSTILE_LINK)
    rect = svc.minutes.create_rectification(admin, opened.id, "学习不够[/]", "每周学习",
                                            member, date(2027, 3, 1))
    speech = svc.minutes.add_speech(admin, opened.id, "发言（一）", speaker_id=member)
    ex = svc.roster.add_exemption(admin, member, date(2025, 1, 1), date(2025, 6, 1), "住院")
    dis = svc.roster.add_discipline(admin, member, date(2024, 1, 1), date(2025, 1, 1), "违纪")
    key = svc.roster.add_key(admin, member, fake_key(tag))
    pos = m.Position.select(m.Position.id).where(
        (m.Position.org.in_([branch] + ([group] if group else [])))
        & m.Position.ends.is_null()).order_by(m.Position.id.desc()).scalar()
    return Side(branch, group, member, planned.id, opened.id, closed.id,
                gm.id if gm else None, series, leave.id, rect.id, speech.id, ex, dis,
                key.fingerprint, pos)


def build_walk(svc: Services, clock: FixedClock) -> Walk:
    w = build_world(svc)
    admin, roster = w.admin, svc.roster
    deputy = _add(svc, admin, w.branch_id, "郑副书记", "fushuji", w.group_ids[1])
    roster.appoint(admin, deputy.member_id, w.branch_id, PositionRole.DEPUTY_SECRETARY, JOINED)
    upper = _add(svc, admin, w.other_branch_id, "王党委书记", "dangwei")
    roster.appoint(admin, upper.member_id, w.top_id, PositionRole.SECRETARY, JOINED)
    other_member = _add(svc, admin, w.other_branch_id, "冯党员", "feng")
    moved = _add(svc, admin, w.branch_id, "陈迁出", "qianchu", w.group_ids[0])
    gone = _add(svc, admin, w.branch_id, "褚无支部", "wuzhibu", w.group_ids[1])
    sides = {
        "branch": _side(svc, w, w.branch_id, w.group_ids[0], w.member.member_id,
                        w.secretary.member_id, w.recorder.member_id, clock, "a"),
        "other": _side(svc, w, w.other_branch_id, None, other_member.member_id,
                       w.other_secretary.member_id, other_member.member_id, clock, "b"),
    }
    roster.transfer(admin, moved.member_id, date(2026, 6, 1), to_branch_id=w.other_branch_id)
    roster.transfer(admin, gone.member_id, date(2026, 6, 1), to_branch_id=None)
    actors = {"admin": admin, "upper_viewer": w.viewer, "upper_officer": upper,
              "secretary": w.secretary, "deputy": deputy, "organiser": w.organiser,
              "recorder": w.recorder, "group_leader": w.leader, "member": w.member,
              "probationary": w.probationary, "other_secretary": w.other_secretary,
              "no_branch": gone, "moved_away": moved}
    walk = Walk(svc, w, actors, sides)
    for name, a in actors.items():
        side = sides["branch"] if name not in ("upper_viewer", "upper_officer",
                                                "other_secretary", "moved_away") \
            else sides["other"]
        if a.member_id != side.member:
            # Whoever is on the sitting's roll has a request of their own.
            with contextlib.suppress(BranchError):
                walk.own_leave[a.member_id] = svc.meetings.request_leave(
                    a, side.planned, LeaveKind.PERSONAL, "出差").id
        walk.own_key[a.member_id] = roster.add_key(admin, a.member_id,
                                                   fake_key(name)).fingerprint
        pos = m.Position.select(m.Position.id).where(
            (m.Position.member == a.member_id) & m.Position.ends.is_null()).scalar()
        if pos:
            walk.own_position[a.member_id] = pos
    return walk


# -- the cases: for each row, the call and the target it acts on ---------------------------------

Call = Callable[[], Any]
TargetFn = Callable[[], Target]


@dataclass
class On:
    """What one (actor, subject) pair acts on."""

    walk: Walk
    actor: Actor
    subject: str
    side: Side

    @property
    def svc(self) -> Services:
        return self.walk.svc

    @property
    def member(self) -> int:
        return self.actor.member_id if self.subject == "own" else self.side.member

    def mtg(self, which: str) -> int:
        return getattr(self.side, which)  # type: ignore[no-any-return]

    def mt(self, meeting_id: int) -> TargetFn:
        return lambda: meeting_target(m.Meeting.get_by_id(meeting_id))

    def leave_id(self) -> int:
        own = self.walk.own_leave.get(self.actor.member_id)
        return own if self.subject == "own" and own else self.side.leave

    def key(self) -> str:
        return self.walk.own_key[self.actor.member_id] if self.subject == "own" \
            else self.side.key

    def position(self) -> int:
        own = self.walk.own_position.get(self.actor.member_id)
        return own if self.subject == "own" and own else self.side.position

    def version(self, model: Any, pk: int) -> int:
        return int(model.get_by_id(pk).version)


def now_t(member_id: int) -> TargetFn:
    return lambda: member_target(member_id, TODAY)


def ever_t(member_id: int) -> TargetFn:
    return lambda: member_target(member_id)


def series_t(series_id: int) -> TargetFn:
    return lambda: meeting_target(m.Series.get_by_id(series_id))


def rect_t(rect_id: int) -> TargetFn:
    def t() -> Target:
        r = m.Rectification.get_by_id(rect_id)
        return Target(places=((r.branch_id, None),), member=r.owner_id)
    return t


def _draft(o: On, group: bool = False) -> Any:
    d = draft(o.walk.w, datetime(2026, 12, 18, 10), group=o.side.group if group else None)
    return type(d)(**{**d.__dict__, "branch_id": o.side.branch})


def _transfer_target(o: On) -> Target:
    row = m.Membership.select().where(
        (m.Membership.member == o.member) & (m.Membership.starts <= TODAY)
        & (m.Membership.ends.is_null() | (m.Membership.ends > TODAY))).first()
    return Target(places=((row.branch_id, row.group_id),), member=o.member) if row else NOWHERE


def _leave_t(o: On) -> TargetFn:
    def t() -> Target:
        req = m.LeaveRequest.get_by_id(o.leave_id())
        row = m.Meeting.get_by_id(req.meeting_id)
        from branchtui.store import convert
        group = convert.current_membership(req.member_id, row.planned_start.date())[1]
        return meeting_target(row, extra_group=group)
    return t


def _position_t(o: On) -> TargetFn:
    def t() -> Target:
        row = m.Position.get_by_id(o.position())
        return member_target(row.member_id, role=PositionRole(row.role), org_id=row.org_id)
    return t


def _same(member_id: int, **changes: Any) -> MemberDraft:
    """The member's fields as they are, but for ``changes``."""
    row = m.Member.get_by_id(member_id)
    fields = dict(name=row.name, login=row.login, gender=row.gender, birth_date=row.birth_date,
                  phone=row.phone, admitted=row.admitted, full_since=row.full_since)
    return MemberDraft(**{**fields, **changes})


def _move_group(o: On) -> tuple[Call, TargetFn]:
    return (lambda: o.svc.roster.transfer(o.actor, o.member, date(2026, 12, 1),
                                          to_branch_id=_transfer_target(o).branches()[0]),
            lambda: _transfer_target(o))


def _rect_list(o: On) -> tuple[Call, TargetFn]:
    if o.subject == "own":
        return (lambda: o.svc.minutes.rectifications(o.actor),
                lambda: member_target(o.actor.member_id))
    return (lambda: o.svc.minutes.rectifications(o.actor, o.side.branch),
            lambda: branch_target(o.side.branch))


CASES: dict[str, Callable[[On], tuple[Call, TargetFn]]] = {
    # roster
    "roster.create_org": lambda o: (
        lambda: o.svc.roster.create_org(o.actor, o.side.branch, OrgKind.GROUP, "新党小组"),
        lambda: branch_target(o.side.branch)),
    "roster.set_committee": lambda o: (
        lambda: o.svc.roster.set_committee(o.actor, o.side.branch, True,
                                           o.version(m.Org, o.side.branch)),
        lambda: org_target(o.side.branch)),
    "roster.set_rules": lambda o: (
        lambda: o.svc.roster.set_rules(o.actor, o.side.branch, None,
                                       o.version(m.Org, o.side.branch)),
        lambda: org_target(o.side.branch)),
    "roster.rule_history": lambda o: (
        lambda: o.svc.roster.rule_history(o.actor, o.side.branch),
        lambda: org_target(o.side.branch)),
    "roster.set_time_zone": lambda o: (
        lambda: o.svc.roster.set_time_zone(o.actor, o.side.branch, "Europe/Berlin",
                                           o.version(m.Org, o.side.branch)),
        lambda: org_target(o.side.branch)),
    "roster.orgs": lambda o: (lambda: o.svc.roster.orgs(o.actor), lambda: NOWHERE),
    "roster.my_branches": lambda o: (lambda: o.svc.roster.my_branches(o.actor),
                                     lambda: NOWHERE),
    "roster.subtree_branches": lambda o: (
        lambda: o.svc.roster.subtree_branches(o.actor, o.walk.w.top_id),
        lambda: org_target(o.walk.w.top_id)),
    "roster.groups": lambda o: (lambda: o.svc.roster.groups(o.actor, o.side.branch),
                                lambda: branch_target(o.side.branch)),
    "roster.transfer_targets": lambda o: (lambda: o.svc.roster.transfer_targets(o.actor),
                                          lambda: ANYWHERE),
    "roster.add_member": lambda o: (
        lambda: o.svc.roster.add_member(o.actor, o.side.branch,
                                        MemberDraft(name="新人[/]")),
        lambda: branch_target(o.side.branch)),
    "roster.update_member": lambda o: (
        lambda: o.svc.roster.update_member(
            o.actor, o.member, o.version(m.Member, o.member),
            _same(o.member, name="改名")),
        now_t(o.member)),
    "roster.set_login": lambda o: (
        lambda: o.svc.roster.update_member(
            o.actor, o.member, o.version(m.Member, o.member),
            _same(o.member, login=f"n{uuid.uuid4().hex[:8]}")),
        now_t(o.member)),
    "roster.set_status": lambda o: (
        lambda: o.svc.roster.update_member(
            o.actor, o.member, o.version(m.Member, o.member),
            _same(o.member, admitted=date(2009, 1, 1), full_since=date(2010, 1, 1))),
        now_t(o.member)),
    "roster.set_admin": lambda o: (
        lambda: o.svc.roster.set_admin(o.actor, o.member, True),
        lambda: Target(member=o.member)),
    "roster.get_member": lambda o: (lambda: o.svc.roster.get_member(o.actor, o.member),
                                    ever_t(o.member)),
    "roster.roster": lambda o: (lambda: o.svc.roster.roster(o.actor, o.side.branch),
                                lambda: branch_target(o.side.branch)),
    "roster.transfer": lambda o: (
        lambda: o.svc.roster.transfer(o.actor, o.member, date(2026, 12, 1),
                                      to_branch_id=(o.walk.w.branch_id
                                                    if o.side.branch != o.walk.w.branch_id
                                                    else o.walk.w.other_branch_id)),
        lambda: _transfer_target(o)),
    # Between groups of the member's own branch (someone in no branch has none: the
    # branch's member stands in).
    "roster.move_group": lambda o: _move_group(On(o.walk, o.actor, "branch", o.side)
                                                if o.subject == "own" and not
                                                _in_rollback(o.svc, lambda: _transfer_target(
                                                    o).places) else o),
    "roster.membership_history": lambda o: (
        lambda: o.svc.roster.membership_history(o.actor, o.member), ever_t(o.member)),
    "roster.membership_entries": lambda o: (
        lambda: o.svc.roster.membership_entries(o.actor, o.member), ever_t(o.member)),
    "roster.position_entries": lambda o: (
        lambda: o.svc.roster.position_entries(o.actor, o.member), ever_t(o.member)),
    "roster.positions": lambda o: (lambda: o.svc.roster.positions(o.actor, o.member),
                                   ever_t(o.member)),
    "roster.exemptions": lambda o: (lambda: o.svc.roster.exemptions(o.actor, o.member),
                                    ever_t(o.member)),
    "roster.disciplines": lambda o: (lambda: o.svc.roster.disciplines(o.actor, o.member),
                                     ever_t(o.member)),
    "roster.rights": lambda o: (lambda: o.svc.roster.rights(o.actor, o.member),
                                ever_t(o.member)),
    "roster.add_exemption": lambda o: (
        lambda: o.svc.roster.add_exemption(o.actor, o.member, date(2027, 1, 1), None, "孕产期"),
        now_t(o.member)),
    "roster.end_exemption": lambda o: (
        lambda: o.svc.roster.end_exemption(o.actor, o.side.exemption, date(2025, 3, 1)),
        now_t(o.side.member)),
    "roster.add_discipline": lambda o: (
        lambda: o.svc.roster.add_discipline(o.actor, o.member, date(2027, 1, 1), None, "违纪"),
        now_t(o.member)),
    "roster.end_discipline": lambda o: (
        lambda: o.svc.roster.end_discipline(o.actor, o.side.discipline, date(2024, 6, 1)),
        now_t(o.side.member)),
    "roster.confirm_full": lambda o: (
        lambda: o.svc.roster.confirm_full(o.actor, o.member, date(2026, 11, 1),
                                          o.version(m.Member, o.member)),
        now_t(o.member)),
    "roster.appoint": lambda o: (
        lambda: o.svc.roster.appoint(o.actor, o.member, o.side.branch,
                                     PositionRole.PROPAGANDA, TODAY),
        lambda: member_target(o.member, role=PositionRole.PROPAGANDA, org_id=o.side.branch)),
    "roster.end_position": lambda o: (
        lambda: o.svc.roster.end_position(o.actor, o.position(), TODAY), _position_t(o)),
    "roster.start_term": lambda o: (
        lambda: o.svc.roster.start_term(o.actor, o.side.branch, TODAY),
        lambda: org_target(o.side.branch)),
    "roster.add_key": lambda o: (
        lambda: o.svc.roster.add_key(o.actor, o.member, fake_key(uuid.uuid4().hex)),
        now_t(o.member)),
    "roster.remove_key": lambda o: (
        lambda: o.svc.roster.remove_key(o.actor, o.key()),
        now_t(o.actor.member_id if o.subject == "own" else o.side.member)),
    "roster.list_keys": lambda o: (lambda: o.svc.roster.list_keys(o.actor, o.member),
                                   ever_t(o.member)),
    "roster.branch_keys": lambda o: (lambda: o.svc.roster.branch_keys(o.actor, o.side.branch),
                                     lambda: branch_target(o.side.branch)),
    "roster.rights_audit": lambda o: (
        lambda: o.svc.roster.rights_audit(o.actor, o.side.branch),
        lambda: org_target(o.side.branch)),
    "roster.audit_scope": lambda o: (lambda: o.svc.roster.audit_scope(o.actor),
                                     lambda: NOWHERE),
    # meetings: scheduling
    "meetings.schedule": lambda o: (lambda: o.svc.meetings.schedule(o.actor, _draft(o)),
                                    lambda: branch_target(o.side.branch)),
    "meetings.reschedule": lambda o: (
        lambda: o.svc.meetings.reschedule(o.actor, o.side.planned,
                                          o.version(m.Meeting, o.side.planned), place="二楼"),
        o.mt(o.side.planned)),
    "meetings.cancel": lambda o: (
        lambda: o.svc.meetings.cancel(o.actor, o.side.planned,
                                      o.version(m.Meeting, o.side.planned), "改期"),
        o.mt(o.side.planned)),
    "meetings.create_series": lambda o: (
        lambda: o.svc.meetings.create_series(o.actor, _draft(o), "FREQ=MONTHLY;BYDAY=3FR"),
        lambda: branch_target(o.side.branch)),
    "meetings.create_group_series": lambda o: (
        lambda: o.svc.meetings.create_group_series(o.actor, _draft(o), "FREQ=MONTHLY"),
        lambda: branch_target(o.side.branch)),
    "meetings.extend_series": lambda o: (
        lambda: o.svc.meetings.extend_series(o.actor, o.side.series), series_t(o.side.series)),
    "meetings.update_series": lambda o: (
        lambda: o.svc.meetings.update_series(o.actor, o.side.series,
                                             o.version(m.Series, o.side.series), place="三楼"),
        series_t(o.side.series)),
    "meetings.cancel_series": lambda o: (
        lambda: o.svc.meetings.cancel_series(o.actor, o.side.series, "停"),
        series_t(o.side.series)),
    "meetings.series_info": lambda o: (
        lambda: o.svc.meetings.series_info(o.actor, o.side.series), series_t(o.side.series)),
    "meetings.overlaps": lambda o: (
        lambda: o.svc.meetings.overlaps(o.actor, o.side.branch, datetime(2026, 12, 4, 10),
                                        None),
        lambda: branch_target(o.side.branch)),
    "meetings.schedule_scope": lambda o: (
        lambda: o.svc.meetings.schedule_scope(o.actor, o.side.branch), lambda: NOWHERE),
    "meetings.can_schedule": lambda o: (
        lambda: o.svc.meetings.can_schedule(o.actor, o.side.branch), lambda: NOWHERE),
    "meetings.add_agenda_item": lambda o: (
        lambda: o.svc.meetings.add_agenda_item(o.actor, o.side.open, "新增议题"),
        o.mt(o.side.open)),
    # running
    "meetings.open": lambda o: (lambda: o.svc.meetings.open(o.actor, o.side.planned),
                                o.mt(o.side.planned)),
    "meetings.close": lambda o: (
        lambda: o.svc.meetings.close(o.actor, o.side.open, gaps_reason=GAPS_REASON),
        o.mt(o.side.open)),
    "meetings.seal": lambda o: (lambda: o.svc.meetings.seal(o.actor, o.side.closed),
                                o.mt(o.side.closed)),
    "meetings.set_self_signin": lambda o: (
        lambda: o.svc.meetings.set_self_signin(o.actor, o.side.open, False,
                                               o.version(m.Meeting, o.side.open)),
        o.mt(o.side.open)),
    "meetings.mark": lambda o: (
        lambda: o.svc.meetings.mark(o.actor, o.side.open, o.side.member,
                                    AttendanceStatus.PRESENT),
        o.mt(o.side.open)),
    "meetings.add_guest": lambda o: (
        lambda: o.svc.meetings.add_guest(o.actor, o.side.open, "街道干部", "街道", "指导"),
        o.mt(o.side.open)),
    "meetings.sign_in": lambda o: (lambda: o.svc.meetings.sign_in(o.actor, o.side.open),
                                   o.mt(o.side.open)),
    # leave
    "meetings.request_leave": lambda o: (
        lambda: o.svc.meetings.request_leave(o.actor, o.side.group_meeting or o.side.planned,
                                             LeaveKind.OFFICIAL, "公出"),
        o.mt(o.side.group_meeting or o.side.planned)),
    "meetings.decide_leave": lambda o: (
        lambda: o.svc.meetings.decide_leave(o.actor, o.leave_id(), True,
                                            o.version(m.LeaveRequest, o.leave_id())),
        _leave_t(o)),
    "meetings.withdraw_leave": lambda o: (
        lambda: o.svc.meetings.withdraw_leave(o.actor, o.leave_id()),
        lambda: Target(member=m.LeaveRequest.get_by_id(o.leave_id()).member_id)),
    "meetings.pending_leave": lambda o: (lambda: o.svc.meetings.pending_leave(o.actor),
                                         lambda: NOWHERE),
    "meetings.my_leave": lambda o: (lambda: o.svc.meetings.my_leave(o.actor), lambda: NOWHERE),
    "meetings.may_decide_leave": lambda o: (
        lambda: o.svc.meetings.may_decide_leave(o.actor), lambda: NOWHERE),
    "meetings.member_leave": lambda o: (
        lambda: o.svc.meetings.member_leave(o.actor, o.member), ever_t(o.member)),
    # reading meetings
    "meetings.get": lambda o: (lambda: o.svc.meetings.get(o.actor, o.side.closed),
                               o.mt(o.side.closed)),
    "meetings.record": lambda o: (lambda: o.svc.meetings.record(o.actor, o.side.closed),
                                  o.mt(o.side.closed)),
    "meetings.attendance_sheet": lambda o: (
        lambda: o.svc.meetings.attendance_sheet(o.actor, o.side.open), o.mt(o.side.open)),
    "meetings.roll_preview": lambda o: (
        lambda: o.svc.meetings.roll_preview(o.actor, o.side.branch, TODAY),
        lambda: branch_target(o.side.branch)),
    "meetings.find": lambda o: (
        (lambda: o.svc.meetings.find(o.actor), lambda: self_target(o.actor))
        if o.subject == "own" else
        (lambda: o.svc.meetings.find(o.actor, o.side.branch),
         lambda: branch_target(o.side.branch))),
    "meetings.my_meetings": lambda o: (lambda: o.svc.meetings.my_meetings(o.actor),
                                       lambda: NOWHERE),
    "meetings.upcoming": lambda o: (lambda: o.svc.meetings.upcoming(o.actor), lambda: NOWHERE),
    # minutes
    "minutes.add_speech": lambda o: (
        lambda: o.svc.minutes.add_speech(o.actor, o.side.open, "发言[/]",
                                         speaker_id=o.side.member),
        o.mt(o.side.open)),
    "minutes.edit_speech": lambda o: (
        lambda: o.svc.minutes.edit_speech(o.actor, o.side.speech, "改",
                                          o.version(m.Speech, o.side.speech)),
        o.mt(o.side.open)),
    "minutes.move_speech": lambda o: (
        lambda: o.svc.minutes.move_speech(o.actor, o.side.speech,
                                          o.version(m.Speech, o.side.speech),
                                          speaker_name="列席[/]"),
        o.mt(o.side.open)),
    "minutes.delete_speech": lambda o: (
        lambda: o.svc.minutes.delete_speech(o.actor, o.side.speech,
                                            o.version(m.Speech, o.side.speech)),
        o.mt(o.side.open)),
    "minutes.record_decision": lambda o: (
        lambda: o.svc.minutes.record_decision(o.actor, o.side.open, VoteDraft(
            act=Act.GENERAL_DECISION, text="决议", yes=1, no=0, abstain=0)),
        o.mt(o.side.open)),
    "minutes.add_problem": lambda o: (
        lambda: o.svc.minutes.add_problem(o.actor, o.side.open, "问题"), o.mt(o.side.open)),
    "minutes.add_criticism": lambda o: (
        lambda: o.svc.minutes.add_criticism(o.actor, o.side.open, o.side.member,
                                            o.side.member, "自我批评"),
        o.mt(o.side.open)),
    "minutes.create_rectification": lambda o: (
        lambda: o.svc.minutes.create_rectification(o.actor, o.side.open, "问题", "措施",
                                                   o.side.member, date(2027, 1, 1)),
        o.mt(o.side.open)),
    "minutes.record_review": lambda o: (
        lambda: o.svc.minutes.record_review(o.actor, o.side.open, o.side.rect, "已完成"),
        o.mt(o.side.open)),
    "minutes.preview_vote": lambda o: (
        lambda: o.svc.minutes.preview_vote(o.actor, o.side.open, Act.GENERAL_DECISION),
        o.mt(o.side.open)),
    "minutes.people": lambda o: (lambda: o.svc.minutes.people(o.actor, o.side.open),
                                 o.mt(o.side.open)),
    "minutes.org_life_sheet": lambda o: (
        lambda: o.svc.minutes.org_life_sheet(o.actor, o.side.open), o.mt(o.side.open)),
    "minutes.review_list": lambda o: (
        lambda: o.svc.minutes.review_list(o.actor, o.side.open), o.mt(o.side.open)),
    "minutes.add_progress": lambda o: (
        lambda: o.svc.minutes.add_progress(o.actor, o.side.rect, "进展"), rect_t(o.side.rect)),
    "minutes.progress": lambda o: (lambda: o.svc.minutes.progress(o.actor, o.side.rect),
                                   rect_t(o.side.rect)),
    "minutes.verify": lambda o: (
        lambda: o.svc.minutes.verify(o.actor, o.side.rect,
                                     o.version(m.Rectification, o.side.rect)),
        rect_t(o.side.rect)),
    "minutes.rectifications": _rect_list,
    "minutes.tracker": lambda o: (lambda: o.svc.minutes.tracker(o.actor, o.side.branch),
                                  lambda: NOWHERE),
    "minutes.set_grades": lambda o: (
        lambda: o.svc.minutes.set_grades(o.actor, o.side.branch, 2026,
                                         {o.side.member: Grade.QUALIFIED}),
        lambda: branch_target(o.side.branch)),
    "minutes.grades": lambda o: (lambda: o.svc.minutes.grades(o.actor, o.side.branch, 2026),
                                 lambda: branch_target(o.side.branch)),
    "minutes.appraisal_roster": lambda o: (
        lambda: o.svc.minutes.appraisal_roster(o.actor, o.side.branch, 2026),
        lambda: branch_target(o.side.branch)),
    # queries
    "queries.compliance": lambda o: (
        lambda: o.svc.queries.compliance(o.actor, o.side.branch,
                                         o.svc.queries.current_quarter()),
        lambda: org_target(o.side.branch)),
    "queries.member_history": lambda o: (
        lambda: o.svc.queries.member_history(o.actor, o.member), ever_t(o.member)),
    "queries.member_year": lambda o: (
        lambda: o.svc.queries.member_year(o.actor, o.member, 2026), ever_t(o.member)),
    "queries.member_years": lambda o: (
        lambda: o.svc.queries.member_years(o.actor, o.member), ever_t(o.member)),
    "queries.member_lapse": lambda o: (
        lambda: o.svc.queries.member_lapse(o.actor, o.member), ever_t(o.member)),
    "queries.member_rates": lambda o: (
        lambda: o.svc.queries.member_rates(o.actor, o.member), ever_t(o.member)),
    "queries.member_dossier": lambda o: (
        lambda: o.svc.queries.member_dossier(o.actor, o.member), ever_t(o.member)),
    "queries.attendance_rates": lambda o: (
        lambda: o.svc.queries.attendance_rates(o.actor, o.side.branch, 2026),
        lambda: branch_target(o.side.branch)),
    "queries.warnings": lambda o: (lambda: o.svc.queries.warnings(o.actor, o.side.branch),
                                   lambda: branch_target(o.side.branch)),
    "queries.roster_overview": lambda o: (
        lambda: o.svc.queries.roster_overview(o.actor, o.side.branch),
        lambda: branch_target(o.side.branch)),
    "home.load": lambda o: (lambda: o.svc.home.load(o.actor), lambda: NOWHERE),
    # one's own
    "drafts.save": lambda o: (lambda: o.svc.drafts.save(o.actor, "k", "草稿[/]"),
                              lambda: self_target(o.actor)),
    "drafts.load": lambda o: (lambda: o.svc.drafts.load(o.actor, "k"),
                              lambda: self_target(o.actor)),
    "drafts.mine": lambda o: (lambda: o.svc.drafts.mine(o.actor), lambda: self_target(o.actor)),
    "drafts.clear": lambda o: (lambda: o.svc.drafts.clear(o.actor, "k"),
                               lambda: self_target(o.actor)),
    "presence.beat": lambda o: (lambda: o.svc.presence.beat(o.actor, o.side.open),
                                o.mt(o.side.open)),
    "presence.edit": lambda o: (lambda: o.svc.presence.beat(o.actor, o.side.open, "edit"),
                                o.mt(o.side.open)),
    "presence.who": lambda o: (lambda: o.svc.presence.who(o.actor, o.side.open),
                               o.mt(o.side.open)),
    "presence.leave": lambda o: (lambda: o.svc.presence.leave(o.actor, o.side.open),
                                 lambda: self_target(o.actor)),
}


# -- the walk ----------------------------------------------------------------------------------------


def public_methods(svc: Services) -> dict[str, Callable[..., Any]]:
    """Every service call the app can make, by row name: each public method a service
    defines is a unit of work (``Service.__init_subclass__`` wraps them all), so a new one
    is found here without being listed."""
    out = {}
    for attr in ("roster", "meetings", "minutes", "queries", "drafts", "presence", "home"):
        obj = getattr(svc, attr)
        for name, fn in inspect.getmembers(type(obj), inspect.isfunction):
            if not name.startswith("_") and getattr(fn, "__unit_of_work__", False):
                out[f"{attr}.{name}"] = fn
    return out


def _world_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('rights') / 'walk.sqlite3'}"
        return
    if not PG_URL:
        _no_pg("BRANCHTUI_TEST_PG_URL is not set")
    import psycopg

    schema = f"bt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield pg_schema_url(schema)
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def walk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Walk]:
    gen = _world_url(request, tmp_path_factory)
    url = next(gen)
    db = open_database(url)
    upgrade(db)
    clock = FixedClock(NOW)
    svc = Services.create(db, clock=clock)
    try:
        yield build_walk(svc, clock)
    finally:
        close_database(db)
        gen.close()


def _in_rollback(svc: Services, fn: Callable[[], Any]) -> Any:
    db = svc.ctx.db
    db.connect(reuse_if_open=True)
    with db.atomic() as txn:
        try:
            return fn()
        finally:
            txn.rollback()


def _attempt(o: On, name: str) -> tuple[str, str, list[str]]:
    call, target_fn = CASES[name](o)
    svc = o.svc

    first = PARTS.get(name, (None, None))[1]

    def expected() -> bool:
        g, target = Grants.load(o.actor, TODAY), target_fn()
        return g.allows(name, target) and (first is None or g.allows(first, target))

    allowed = _in_rollback(svc, expected)
    p.checked.names = []
    try:
        _in_rollback(svc, call)
        outcome = "ok"
    except PermissionDenied as exc:
        outcome = f"refused ({exc.key})"
    except BranchError as exc:
        outcome = f"ok, then {type(exc).__name__}({exc.key})"
    finally:
        asked, p.checked.names = p.checked.names or [], None
    return ("allowed" if allowed else "refused"), outcome, asked


def test_every_public_method_has_a_row_and_a_case(walk: Walk) -> None:
    methods = public_methods(walk.svc)
    no_row = sorted(set(methods) - set(RIGHTS))
    assert not no_row, f"public service methods without a row in RIGHTS: {no_row}"
    stale = sorted(set(RIGHTS) - set(methods) - set(PARTS))
    assert not stale, f"rows of RIGHTS that name no public method: {stale}"
    for part, (method, _first) in PARTS.items():
        assert method in methods, f"{part} is part of {method}, which does not exist"
    system = {n for n, r in RIGHTS.items() if any(g.role == Role.SYSTEM for g in r.grants)}
    for name in system:
        params = inspect.signature(methods[name]).parameters
        assert "actor" not in params, f"{name} is a system row but takes an actor"
    missing = sorted(set(RIGHTS) - system - set(CASES))
    assert not missing, f"rows the walk has no case for: {missing}"


ROWS = sorted(n for n, r in RIGHTS.items() if not any(g.role == Role.SYSTEM
                                                      for g in r.grants))


@pytest.mark.parametrize("name", ROWS)
def test_the_table_decides(walk: Walk, name: str) -> None:
    """For every actor and subject: refused exactly when the table says no, and the
    method asked the table for its own row."""
    wrong: list[str] = []
    seen = {"allowed": 0, "refused": 0}
    for actor_kind in ACTORS:
        actor = walk.actors[actor_kind]
        for subject in SUBJECTS:
            side = walk.sides["other" if subject == "other" else "branch"]
            if subject == "own" and actor_kind in ("upper_viewer", "upper_officer",
                                                   "other_secretary", "moved_away"):
                side = walk.sides["other"]
            o = On(walk, actor, subject, side)
            want, got, asked = _attempt(o, name)
            seen[want] += 1
            if name not in asked and not (got.startswith("refused") and first_of(name)
                                          in asked):
                wrong.append(f"{actor_kind}/{subject}: did not ask the table for {name} "
                             f"(asked {asked}); outcome {got}")
            elif (want == "refused") != got.startswith("refused"):
                wrong.append(f"{actor_kind}/{subject}: table says {want}, call {got}")
    assert not wrong, f"{name}:\n" + "\n".join(wrong)
    only_own = {p.Grant(Role.ANYONE, Scope.ALL), p.Grant(Role.MEMBER, Scope.SELF)}
    if not set(RIGHTS[name].grants) <= only_own or name == "meetings.withdraw_leave":
        assert seen["allowed"] and seen["refused"], \
            f"{name}: the walk must meet both answers, met {seen}"


def test_the_upper_level_writes_only_by_a_named_right() -> None:
    """A viewer's post never writes; an upper lead writes only where a row names it."""
    for name, right in RIGHTS.items():
        if right.writes:
            assert Grant_upper_viewer not in right.grants, name
    named = sorted(n for n, r in RIGHTS.items() if r.writes and any(
        g.role == Role.UPPER_LEAD for g in r.grants))
    assert named == ["roster.appoint", "roster.end_position", "roster.set_committee",
                     "roster.set_time_zone", "roster.start_term"]


Grant_upper_viewer = p.Grant(Role.UPPER, Scope.BELOW)


def first_of(name: str) -> str | None:
    return PARTS.get(name, (None, None))[1]


def test_rights_over_rights_stay_within() -> None:
    """Every row that gives, moves or takes rights asks that they stay within the actor's."""
    for name in ("roster.add_key", "roster.remove_key", "roster.set_login", "roster.appoint",
                 "roster.set_status", "roster.confirm_full",
                 "roster.end_position", "roster.transfer", "roster.add_discipline",
                 "roster.set_admin"):
        assert RIGHTS[name].within, name


def test_the_walk_meets_every_kind_of_actor(walk: Walk) -> None:
    assert set(walk.actors) == set(ACTORS)
    g = {k: _in_rollback(walk.svc, lambda a=a: Grants.load(a, TODAY))
         for k, a in walk.actors.items()}
    assert g["admin"].admin and not g["secretary"].admin
    assert g["upper_viewer"].upper and g["upper_officer"].upper
    assert _in_rollback(walk.svc, lambda: g["no_branch"].home_branch()) is None
    assert _in_rollback(walk.svc, lambda: g["moved_away"].home_branch()) == \
        walk.w.other_branch_id
