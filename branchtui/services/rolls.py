"""Keeping a meeting's roll (its attendance rows) equal to 应到 on the meeting date.

The roll of a planned or open meeting is recomputed whenever something it depends on
changes: at scheduling, rescheduling and opening, and after every roster write dated on or
before the meeting (转正, transfer, 留党察看, exemption, a new member). The recorder's marks
and approved leave are kept where the person is still 应到; rows of people no longer 应到
are removed; each change is written to the meeting's change log (``roll.update``) so that
the attendance sheet can say what changed and why. Closed and sealed meetings are never
touched: their roll is part of the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from branchtui.core import model as c
from branchtui.core.enums import AttendanceStatus, LeaveStatus, MarkMethod, MeetingStatus
from branchtui.core.roll import ExpectedEntry, RollChange, expected_roll
from branchtui.services.base import Actor, Service, record_change
from branchtui.store import convert
from branchtui.store import models as m

ROLL_UPDATE = "roll.update"
LIVE = (MeetingStatus.PLANNED.value, MeetingStatus.OPEN.value)
EXEMPT = AttendanceStatus.EXEMPT.value
SYSTEM = MarkMethod.SYSTEM.value
# Marks that an exemption on the meeting date supersedes: 请假 and 缺席 need no reason when
# the member was exempt anyway. 出席/迟到 stay: an exempt member who came is recorded.
SUPERSEDED_BY_EXEMPTION = (None, AttendanceStatus.LEAVE.value, AttendanceStatus.ABSENT.value)


def _approved_leave(meeting_id: int, member_ids: Iterable[int] | None) -> dict[int, m.LeaveRequest]:
    q = m.LeaveRequest.select().where(
        (m.LeaveRequest.meeting == meeting_id)
        & (m.LeaveRequest.status == LeaveStatus.APPROVED.value))
    if member_ids is not None:
        q = q.where(m.LeaveRequest.member.in_(list(member_ids)))
    return {r.member_id: r for r in q.order_by(m.LeaveRequest.id)}


def _leave_fields(req: m.LeaveRequest | None) -> dict[str, Any]:
    """An approved leave request as attendance fields, or an unmarked row."""
    if req is None:
        return {"status": None, "reason": "", "leave_kind": None, "marked_by": None,
                "marked_at": None, "method": None}
    return {"status": AttendanceStatus.LEAVE.value, "reason": req.reason,
            "leave_kind": req.kind, "marked_by": req.decided_by_id,
            "marked_at": req.decided_at, "method": MarkMethod.LEAVE.value}


def _exempt_fields(e: ExpectedEntry) -> dict[str, Any]:
    return {"status": EXEMPT, "reason": e.exempt_reason or "", "leave_kind": None,
            "marked_by": None, "marked_at": None, "method": SYSTEM}


def sync_roll(svc: Service, actor: Actor | None, meeting: m.Meeting, *,
              facts: list[c.MemberFacts] | None = None, only: int | None = None,
              cause: tuple[str, date] | None = None) -> list[RollChange]:
    """Make the attendance rows of ``meeting`` match 应到 on its date (all of them, or
    only member ``only``'s, with ``facts`` holding that member's facts). Returns what
    changed for rows that existed before, and logs it on the meeting. The caller holds
    the meeting lock."""
    day = meeting.planned_start.date()
    if facts is None:
        facts = convert.member_facts(
            [only] if only is not None else None,
            branch_id=meeting.branch_id if only is None else None)
    roll = expected_roll(facts, meeting.branch_id, day, meeting.group_id)
    wanted = {e.member_id: (e, False) for e in roll.entries}
    wanted.update({e.member_id: (e, True) for e in roll.exempt})
    excluded = {x.member_id: x.reason_key for x in roll.excluded}
    q = m.Attendance.select().where(m.Attendance.meeting == meeting.id)
    if only is not None:
        q = q.where(m.Attendance.member == only)
    existing = {r.member_id: r for r in q}
    # A first fill (a new meeting) is not a change worth a note.
    report = only is not None or bool(existing)
    names = {f.member_id: f.name for f in facts}
    changes: list[RollChange] = []

    def note(member_id: int, kind: str) -> None:
        on, why = (cause[1], cause[0]) if cause else (None, None)
        changes.append(RollChange(member_id, names.get(member_id, ""), kind, on, why))

    gone = [r for mid, r in existing.items() if mid not in wanted]
    if gone:
        m.Attendance.delete().where(m.Attendance.id.in_([r.id for r in gone])).execute()
        for r in gone:
            key = excluded.get(r.member_id)
            note(r.member_id, key.removeprefix("roll.") if key else "gone")
    leave = _approved_leave(meeting.id, [only] if only is not None else None)
    new_rows = []
    for mid, (e, exempt) in wanted.items():
        r = existing.get(mid)
        if r is None:
            fields = _exempt_fields(e) if exempt else _leave_fields(leave.get(mid))
            new_rows.append({"meeting": meeting.id, "member": mid,
                             "branch": meeting.branch_id, "meeting_day": day,
                             "is_full": e.is_full, "can_vote": e.can_vote, **fields})
            if report:
                note(mid, "exempt" if exempt else "added")
            continue
        upd: dict[str, Any] = {}
        if bool(r.is_full) != e.is_full:
            upd["is_full"] = e.is_full
            note(mid, "full" if e.is_full else "probationary")
        if bool(r.can_vote) != e.can_vote:
            upd["can_vote"] = e.can_vote
            if "is_full" not in upd:
                note(mid, "vote_restored" if e.can_vote else "vote_lost")
        if r.meeting_day != day:
            upd["meeting_day"] = day
        if exempt and r.status in SUPERSEDED_BY_EXEMPTION:
            upd.update(_exempt_fields(e))
            note(mid, "exempt")
        elif exempt and r.status == EXEMPT and r.method == SYSTEM and r.reason != (
                e.exempt_reason or ""):
            upd["reason"] = e.exempt_reason or ""
        elif not exempt and r.status == EXEMPT and r.method == SYSTEM:
            # No longer exempt: back to unmarked, or to the leave approved before.
            upd.update(_leave_fields(leave.get(mid)))
            note(mid, "not_exempt")
        if upd:
            (m.Attendance.update(**upd, version=m.Attendance.version + 1)
             .where(m.Attendance.id == r.id).execute())
    if new_rows:
        m.Attendance.insert_many(new_rows).execute()
    if changes and report:
        record_change(
            svc.ctx, actor, ROLL_UPDATE, "meeting", meeting.id,
            {"changes": [[ch.member_id, ch.name, ch.kind] for ch in changes],
             "on": cause[1] if cause else None, "cause": cause[0] if cause else None},
            meeting_id=meeting.id)
    return changes


def resync_member(svc: Service, actor: Actor, member_id: int, since: date, action: str,
                  on: date | None = None, branches: Iterable[int] = ()) -> None:
    """After a roster write about ``member_id`` dated ``on`` (default ``since``): bring
    that member's row up to date on every planned or open meeting from ``since`` on, of
    any branch they belong(ed) to (and of ``branches``) or where they are on the roll.
    Same transaction as the write; their branches, then the meetings, locked in id order."""
    member_branches = {b for (b,) in m.Membership.select(m.Membership.branch)
                       .where(m.Membership.member == member_id).tuples()}
    member_branches.update(branches)
    listed = m.Attendance.select(m.Attendance.meeting).where(m.Attendance.member == member_id)
    ids = [mid for (mid,) in m.Meeting.select(m.Meeting.id).where(
        m.Meeting.status.in_(LIVE)
        & (m.Meeting.planned_start >= datetime.combine(since, time.min))
        & (m.Meeting.branch.in_(sorted(member_branches) or [0]) | m.Meeting.id.in_(listed))
    ).order_by(m.Meeting.id).tuples()]
    if not ids:
        return
    # Their branches first, in id order, as a reschedule does before it renumbers the
    # branch's sittings (MeetingService._renumber): else each could hold a meeting the
    # other waits for (PostgreSQL: "deadlock detected").
    for (branch_id,) in (m.Meeting.select(m.Meeting.branch).where(m.Meeting.id.in_(ids))
                         .distinct().order_by(m.Meeting.branch).tuples()):
        svc.lock_branch(branch_id)
    facts = convert.member_facts([member_id])
    for mid in ids:
        row = svc.lock_meeting(mid)
        if row.status in LIVE:
            sync_roll(svc, actor, row, facts=facts, only=member_id,
                      cause=(action, on or since))


def roll_changes(meeting_id: int) -> list[RollChange]:
    """Every change logged on the meeting's roll, oldest first."""
    out = []
    for (raw,) in (m.ChangeLog.select(m.ChangeLog.data)
                   .where((m.ChangeLog.meeting == meeting_id)
                          & (m.ChangeLog.action == ROLL_UPDATE))
                   .order_by(m.ChangeLog.id).tuples()):
        data = json.loads(raw).get("data", {})
        on = date.fromisoformat(data["on"]) if data.get("on") else None
        out.extend(RollChange(int(mid), str(name), str(kind), on, data.get("cause"))
                   for mid, name, kind in data.get("changes", []))
    return out
