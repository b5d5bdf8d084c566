"""Rows to frozen core objects, and the fact bundles the rules need. Services return these,
never peewee rows."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from peewee import JOIN

from branchtui.core import model as c
from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    Grade,
    LeaveKind,
    LeaveStatus,
    MarkMethod,
    MeetingStatus,
    Obligation,
    OrgKind,
    PositionRole,
    RectStatus,
)
from branchtui.core.record_check import CloseCheck, findings_from
from branchtui.store import models as m


def org(row: m.Org) -> c.Org:
    return c.Org(
        id=row.id,
        kind=OrgKind(row.kind),
        name=row.name,
        parent_id=row.parent_id,
        has_committee=row.has_committee,
        version=row.version,
        time_zone=row.time_zone,
    )


def member(row: m.Member, branch_id: int | None = None, group_id: int | None = None) -> c.Member:
    return c.Member(
        id=row.id,
        name=row.name,
        login=row.login,
        gender=row.gender,
        birth_date=row.birth_date,
        phone=row.phone,
        admitted=row.admitted,
        full_since=row.full_since,
        is_admin=row.is_admin,
        branch_id=branch_id,
        group_id=group_id,
        version=row.version,
    )


def position(row: m.Position) -> c.Position:
    return c.Position(
        id=row.id,
        member_id=row.member_id,
        org_id=row.org_id,
        role=PositionRole(row.role),
        starts=row.starts,
        ends=row.ends,
    )


def agenda_item(row: m.AgendaItem) -> c.AgendaItem:
    return c.AgendaItem(
        id=row.id,
        meeting_id=row.meeting_id,
        position=row.position,
        title=row.title,
        act=Act(row.act) if row.act else None,
    )


def meeting(row: m.Meeting, with_agenda: bool = True, *,
            obligations: tuple[Obligation, ...] | None = None,
            agenda: tuple[c.AgendaItem, ...] | None = None) -> c.Meeting:
    """One meeting; its obligations and agenda are read unless given (``meetings`` reads
    them for many meetings in one query each)."""
    if obligations is None:
        obligations = obligations_of([row.id]).get(row.id, ())
    if agenda is None:
        agenda = agendas_of([row.id]).get(row.id, ()) if with_agenda else ()
    return c.Meeting(
        id=row.id,
        branch_id=row.branch_id,
        group_id=row.group_id,
        title=row.title,
        number=row.number,
        obligations=obligations,
        planned_start=row.planned_start,
        planned_end=row.planned_end,
        place=row.place,
        status=MeetingStatus(row.status),
        convener_id=row.convener_id,
        moderator_id=row.moderator_id,
        recorder_id=row.recorder_id,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        sealed_at=row.sealed_at,
        seal_digest=row.seal_digest,
        series_id=row.series_id,
        allow_self_signin=row.allow_self_signin,
        cancel_reason=row.cancel_reason,
        agenda=agenda,
        version=row.version,
        created_at=row.created_at,
        late_at=row.late_at,
        late_reason=row.late_reason,
    )


def meetings(rows: Iterable[m.Meeting], with_agenda: bool = True) -> list[c.Meeting]:
    """Many meetings, in order: two queries in all instead of two per meeting."""
    rows = list(rows)
    ids = [r.id for r in rows]
    obligations = obligations_of(ids)
    agendas = agendas_of(ids) if with_agenda else {}
    return [meeting(r, obligations=obligations.get(r.id, ()), agenda=agendas.get(r.id, ()))
            for r in rows]


_CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's parameter limits


def obligations_of(meeting_ids: Sequence[int]) -> dict[int, tuple[Obligation, ...]]:
    """The obligations each meeting fulfils, in the order they were given."""
    out: dict[int, list[Obligation]] = {}
    for i in range(0, len(meeting_ids), _CHUNK):
        for mid, o in (m.MeetingObligation
                       .select(m.MeetingObligation.meeting, m.MeetingObligation.obligation)
                       .where(m.MeetingObligation.meeting.in_(meeting_ids[i:i + _CHUNK]))
                       .order_by(m.MeetingObligation.id).tuples()):
            out.setdefault(mid, []).append(Obligation(o))
    return {k: tuple(v) for k, v in out.items()}


def agendas_of(meeting_ids: Sequence[int]) -> dict[int, tuple[c.AgendaItem, ...]]:
    out: dict[int, list[c.AgendaItem]] = {}
    for i in range(0, len(meeting_ids), _CHUNK):
        for a in (m.AgendaItem.select()
                  .where(m.AgendaItem.meeting.in_(meeting_ids[i:i + _CHUNK]))
                  .order_by(m.AgendaItem.position, m.AgendaItem.id)):
            out.setdefault(a.meeting_id, []).append(agenda_item(a))
    return {k: tuple(v) for k, v in out.items()}


def attendance(row: m.Attendance, name: str) -> c.AttendanceRow:
    return c.AttendanceRow(
        id=row.id,
        meeting_id=row.meeting_id,
        member_id=row.member_id,
        member_name=name,
        is_full=row.is_full,
        can_vote=row.can_vote,
        status=AttendanceStatus(row.status) if row.status else None,
        reason=row.reason,
        leave_kind=LeaveKind(row.leave_kind) if row.leave_kind else None,
        marked_by=row.marked_by_id,
        marked_at=row.marked_at,
        method=MarkMethod(row.method) if row.method else None,
        version=row.version,
    )


def guest(row: m.Guest) -> c.Guest:
    return c.Guest(
        id=row.id, meeting_id=row.meeting_id, name=row.name,
        affiliation=row.affiliation, reason=row.reason,
    )


def leave_requests(where: Any, *order_by: Any) -> list[c.LeaveRequest]:
    """Leave requests matching ``where``, with the member's name and the meeting's title
    and start, in one joined query (lists must not query per row)."""
    q = (m.LeaveRequest.select(m.LeaveRequest, m.Meeting.title, m.Meeting.planned_start,
                               m.Member.name)
         .join(m.Meeting, on=(m.LeaveRequest.meeting == m.Meeting.id))
         .join_from(m.LeaveRequest, m.Member, on=(m.LeaveRequest.member == m.Member.id))
         .where(where)
         .order_by(*order_by)
         .objects())
    return [leave(r, (r.name, r.title, r.planned_start)) for r in q]


def leave(row: m.LeaveRequest,
          joined: tuple[str, str, datetime | None] | None = None) -> c.LeaveRequest:
    """With the member's name and the meeting's title and start: ``joined`` when the
    caller's query already has them, else two small queries (single rows only)."""
    if joined is None:
        name = m.Member.select(m.Member.name).where(m.Member.id == row.member_id).scalar()
        title, start = (m.Meeting.select(m.Meeting.title, m.Meeting.planned_start)
                        .where(m.Meeting.id == row.meeting_id).tuples().first()
                        or ("", None))
    else:
        name, title, start = joined
    return c.LeaveRequest(
        id=row.id,
        meeting_id=row.meeting_id,
        member_id=row.member_id,
        kind=LeaveKind(row.kind),
        reason=row.reason,
        requested_at=row.requested_at,
        status=LeaveStatus(row.status),
        decided_by=row.decided_by_id,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        version=row.version,
        member_name=name or "",
        meeting_title=title,
        meeting_start=start,
    )


def speech(row: m.Speech) -> c.Speech:
    return c.Speech(
        id=row.id,
        meeting_id=row.meeting_id,
        agenda_item_id=row.agenda_item_id,
        speaker_id=row.speaker_id,
        speaker_name=row.speaker_name,
        text=row.text,
        spoken_at=row.spoken_at,
        entered_by=row.entered_by_id,
        version=row.version,
    )


def close_check(meeting_id: int) -> CloseCheck | None:
    """The record check kept when the meeting was closed, with the closer's name; None
    for a meeting not closed through ``close`` (still open, or imported)."""
    row = (m.CloseGaps.select(m.CloseGaps, m.Member.name)
           .join(m.Member, JOIN.LEFT_OUTER, on=(m.CloseGaps.closed_by == m.Member.id))
           .where(m.CloseGaps.meeting == meeting_id).objects().first())
    if row is None:
        return None
    return CloseCheck(closed_at=row.closed_at, closed_by=row.closed_by_id,
                      closed_by_name=row.name or "",
                      findings=findings_from(json.loads(row.findings or "[]")),
                      reason=row.reason)


def decision(row: m.Decision) -> c.Decision:
    return c.Decision(
        id=row.id,
        meeting_id=row.meeting_id,
        agenda_item_id=row.agenda_item_id,
        act=Act(row.act),
        text=row.text,
        candidate_id=row.candidate_id,
        candidate_name=row.candidate_name,
        yes=row.yes,
        no=row.no,
        abstain=row.abstain,
        written_yes=row.written_yes,
        written_no=row.written_no,
        written_abstain=row.written_abstain,
        voters_expected=row.voters_expected,
        voters_present=row.voters_present,
        quorum_met=row.quorum_met,
        passed=row.passed,
        reason_key=row.reason_key,
        reason_params=json.loads(row.reason_params or "{}"),
        rule_version=row.rule_version,
        follow_up_owner_id=row.follow_up_owner_id,
        follow_up_due=row.follow_up_due,
        version=row.version,
    )


def rectification(row: m.Rectification) -> c.Rectification:
    return c.Rectification(
        id=row.id,
        branch_id=row.branch_id,
        meeting_id=row.meeting_id,
        problem=row.problem_text,
        measure=row.measure,
        owner_id=row.owner_id,
        deadline=row.deadline,
        status=RectStatus(row.status),
        verified_by=row.verified_by_id,
        verified_at=row.verified_at,
        review_meeting_id=row.review_meeting_id,
        review_note=row.review_note,
        version=row.version,
    )


def appraisal(row: m.AppraisalGrade) -> c.Appraisal:
    return c.Appraisal(
        id=row.id, branch_id=row.branch_id, year=row.year, member_id=row.member_id,
        grade=Grade(row.grade), version=row.version,
    )


def member_facts(member_ids: Iterable[int] | None = None, branch_id: int | None = None) -> list[c.MemberFacts]:
    """MemberFacts for the given members, or for everyone who ever belonged to
    ``branch_id``. Four queries whatever the number of members."""
    if member_ids is None:
        assert branch_id is not None
        ids = [
            mid
            for (mid,) in m.Membership.select(m.Membership.member)
            .where(m.Membership.branch == branch_id)
            .distinct()
            .tuples()
        ]
    else:
        ids = list(member_ids)
    if not ids:
        return []
    periods: dict[int, list[c.MembershipPeriod]] = defaultdict(list)
    for mid, b, g, s, e in (
        m.Membership.select(
            m.Membership.member, m.Membership.branch, m.Membership.group,
            m.Membership.starts, m.Membership.ends,
        )
        .where(m.Membership.member.in_(ids))
        .order_by(m.Membership.starts)
        .tuples()
    ):
        periods[mid].append(c.MembershipPeriod(branch_id=b, group_id=g, starts=s, ends=e))
    exemptions: dict[int, list[c.Period]] = defaultdict(list)
    for mid, s, e, r in (
        m.Exemption.select(m.Exemption.member, m.Exemption.starts, m.Exemption.ends, m.Exemption.reason)
        .where(m.Exemption.member.in_(ids))
        .tuples()
    ):
        exemptions[mid].append(c.Period(starts=s, ends=e, reason=r))
    disciplines: dict[int, list[c.Period]] = defaultdict(list)
    for mid, s, e, r in (
        m.Discipline.select(m.Discipline.member, m.Discipline.starts, m.Discipline.ends, m.Discipline.reason)
        .where(m.Discipline.member.in_(ids))
        .tuples()
    ):
        disciplines[mid].append(c.Period(starts=s, ends=e, reason=r))
    out = []
    for mid, name, admitted, full_since in (
        m.Member.select(m.Member.id, m.Member.name, m.Member.admitted, m.Member.full_since)
        .where(m.Member.id.in_(ids))
        .order_by(m.Member.id)
        .tuples()
    ):
        out.append(
            c.MemberFacts(
                member_id=mid,
                name=name,
                admitted=admitted,
                full_since=full_since,
                memberships=tuple(periods[mid]),
                exemptions=tuple(exemptions[mid]),
                disciplines=tuple(disciplines[mid]),
            )
        )
    return out


def current_membership(member_id: int, day: date) -> tuple[int | None, int | None]:
    """(branch_id, group_id) of the member on ``day``."""
    row = (
        m.Membership.select(m.Membership.branch, m.Membership.group)
        .where(
            (m.Membership.member == member_id)
            & (m.Membership.starts <= day)
            & (m.Membership.ends.is_null() | (m.Membership.ends > day))
        )
        .order_by(m.Membership.starts.desc())
        .tuples()
        .first()
    )
    return (row[0], row[1]) if row else (None, None)


def branches_under(org_id: int) -> tuple[list[tuple[int, str, bool | None]], dict[int, list[int]]]:
    """The branches in ``org_id``'s subtree (or the branch itself) as (id, name,
    has_committee), sorted by id, and each branch's group ids. One query over the org table:
    the tree is a few hundred rows even for a district."""
    rows = list(m.Org.select(m.Org.id, m.Org.parent, m.Org.kind, m.Org.name,
                             m.Org.has_committee).tuples())
    children: dict[int | None, list[tuple]] = defaultdict(list)
    for r in rows:
        children[r[1]].append(r)
    out = [(r[0], r[3], r[4]) for r in rows if r[0] == org_id and r[2] == OrgKind.BRANCH]
    stack = [org_id]
    while stack:
        for oid, _parent, kind, name, has_committee in children.get(stack.pop(), []):
            if kind == OrgKind.BRANCH:
                out.append((oid, name, has_committee))
            elif kind != OrgKind.GROUP:
                stack.append(oid)
    groups = {
        bid: sorted(r[0] for r in children.get(bid, []) if r[2] == OrgKind.GROUP)
        for bid, _name, _hc in out
    }
    return sorted(out), groups
