"""Attendance: the roll of each sitting (who was expected that day, how each was marked,
leave asked for ahead) and a few requests for leave from upcoming meetings."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from branchtui.core.enums import AttendanceStatus, LeaveStatus, MarkMethod
from branchtui.demo import words as W
from branchtui.demo.generate.dates import within
from branchtui.demo.generate.plan import Branch, Person, Roll, Sitting, Stint
from branchtui.demo.generate.world import World
from branchtui.store.db import write_transaction
from branchtui.store.models import Attendance, LeaveRequest

# status, reason, leave_kind, marked_by, marked_at, method
Mark = tuple[str | None, str, str | None, int | None, datetime | None, str | None]
_UNMARKED: Mark = (None, "", None, None, None, None)
_EXEMPT = AttendanceStatus.EXEMPT.value
_BY_SYSTEM = MarkMethod.SYSTEM.value
_BY_RECORDER = MarkMethod.RECORDER.value
_BY_LEAVE = MarkMethod.LEAVE.value


def write_roll(
    w: World, branch: Branch, mtg: Sitting, rng: random.Random, detailed: bool
) -> Roll:
    """Writes the roll of one sitting; returns (person, status, can_vote) per row.

    ``detailed``: half of the leave is asked for (and approved) before the sitting."""
    table = w.sink.table(Attendance)
    add, next_id = table.add, table.next_id
    people = w.people
    day = mtg.day
    marker = _Marker(w, mtg, rng, detailed) if mtg.past else None
    roll: Roll = []
    for stint in _expected(branch, mtg):
        person = people[stint.member - 1]
        is_full = person.full_since is not None and person.full_since <= day
        can_vote = is_full and not (person.disciplines and person.disciplined_on(day))
        exempt = person.exemption_on(day) if person.exemptions else None
        mark: Mark
        if exempt is not None:
            mark = (_EXEMPT, exempt, None, None, mtg.created_at, _BY_SYSTEM)
        elif marker is None:
            mark = _UNMARKED
        else:
            mark = marker.mark(person)
        status, reason, leave_kind, marked_by, marked_at, method = mark
        add(
            id=next_id(),
            meeting=mtg.id,
            member=person.id,
            branch=branch.org_id,
            meeting_day=day,
            is_full=is_full,
            can_vote=can_vote,
            status=status,
            reason=reason,
            leave_kind=leave_kind,
            marked_by=marked_by,
            marked_at=marked_at,
            method=method,
        )
        roll.append((person, status, can_vote))
    return roll


def _expected(branch: Branch, mtg: Sitting) -> list[Stint]:
    """The memberships on the sitting's day: the committee's for a 支委会, the group's for
    a 党小组会, the whole branch's otherwise."""
    day = mtg.day
    if mtg.kind == "committee":
        ids = set(branch.committee)
        return [s for s in branch.stints if s.member in ids and within(day, s.starts, s.ends)]
    if mtg.kind == "group":
        group = mtg.group
        return [s for s in branch.stints if s.group == group and within(day, s.starts, s.ends)]
    return [s for s in branch.stints if within(day, s.starts, s.ends)]


class _Marker:
    """How each member was marked at a sitting that was held."""

    def __init__(self, w: World, mtg: Sitting, rng: random.Random, detailed: bool) -> None:
        assert mtg.opened_at is not None
        self.w = w
        self.mtg = mtg
        self.rng = rng
        self.detailed = detailed
        self.opened = mtg.opened_at
        self.roles = (mtg.convener, mtg.moderator, mtg.recorder)
        self.this_year = mtg.day.year == w.today.year
        self.lapse_cutoff = w.lapse_cutoff

    def mark(self, person: Person) -> Mark:
        rng = self.rng
        day = self.mtg.day
        status: str
        if person.id in self.roles:
            status = "present"
        elif person.mode == "lapsing" and day > self.lapse_cutoff - timedelta(days=25):
            status = "absent" if day > self.lapse_cutoff else "present"
        elif person.mode == "absentee" and self.this_year:
            if person.forced_absences < 4:
                person.forced_absences += 1
                status = "absent"
            else:
                status = "present"
        else:
            r = rng.random()
            if r < person.t_absent:
                status = "absent"
            elif r < person.t_leave:
                status = "leave"
            elif r < person.t_late:
                status = "late"
            else:
                status = "present"
        if status == "present":
            marked_at = self.opened + timedelta(seconds=rng.randint(0, 600))
        elif status == "late":
            marked_at = self.opened + timedelta(seconds=rng.randint(600, 2400))
        else:
            marked_at = self.opened + timedelta(seconds=rng.randint(300, 900))
            if status == "leave":
                return self._leave(person, marked_at)
        return status, "", None, self.mtg.recorder, marked_at, _BY_RECORDER

    def _leave(self, person: Person, marked_at: datetime) -> Mark:
        """Leave: its kind and reason; with ``detailed``, half of it asked for before the
        sitting and approved by the 书记/组长 (a LeaveRequest, marked from it)."""
        rng = self.rng
        mtg = self.mtg
        old = (mtg.day - person.birth).days > 365 * 65
        leave_kind = (
            "sick"
            if old and rng.random() < 0.6
            else rng.choice(("sick", "personal", "personal", "official", "other"))
        )
        reason = rng.choice(W.LEAVE_REASONS[leave_kind])
        if not (self.detailed and rng.random() < 0.5):
            return "leave", reason, leave_kind, mtg.recorder, marked_at, _BY_RECORDER
        decider = mtg.convener
        asked = mtg.start - timedelta(hours=rng.randint(5, 72))
        decided = asked + timedelta(minutes=rng.randint(10, 300))
        requests = self.w.sink.table(LeaveRequest)
        requests.add(
            id=requests.next_id(),
            meeting=mtg.id,
            member=person.id,
            kind=leave_kind,
            reason=reason,
            requested_at=asked,
            status=LeaveStatus.APPROVED.value,
            decided_by=decider,
            decided_at=decided,
        )
        return "leave", reason, leave_kind, decider, decided, _BY_LEAVE


# -- leave for upcoming meetings --------------------------------------------------------------


def leave_requests(w: World, branch: Branch, meetings: list[Sitting], rng: random.Random) -> None:
    """A few requests for upcoming meetings: approved, refused and pending in branch 1,
    one pending elsewhere."""
    upcoming = [m for m in meetings if not m.past and m.kind in ("special", "theme")]
    if not upcoming:
        return
    target = upcoming[0] if branch.index else next(m for m in upcoming if m.kind == "special")
    day = target.day
    regular = [
        p
        for p in (w.person(s.member) for s in branch.stints if within(day, s.starts, s.ends))
        if not p.protected and not p.mode and p.exemption_on(day) is None
    ]
    if not regular:
        return
    statuses = (LeaveStatus.APPROVED, LeaveStatus.REFUSED, LeaveStatus.PENDING)
    if branch.index:
        statuses = (LeaveStatus.PENDING,)
    requests = w.sink.table(LeaveRequest)
    chosen = rng.sample(regular, min(len(regular), len(statuses)))
    for status, person in zip(statuses, chosen, strict=False):
        kind = rng.choice(("sick", "personal", "official"))
        asked = w.now - timedelta(hours=rng.randint(3, 60))
        decided_by: int | None = None
        decided_at: datetime | None = None
        if status is not LeaveStatus.PENDING:
            decided_by, decided_at = branch.secretary, asked + timedelta(hours=2)
        requests.add(
            id=requests.next_id(),
            meeting=target.id,
            member=person.id,
            kind=kind,
            reason=rng.choice(W.LEAVE_REASONS[kind]),
            requested_at=asked,
            status=status.value,
            decided_by=decided_by,
            decided_at=decided_at,
            decision_note=W.REFUSAL_NOTE if status is LeaveStatus.REFUSED else "",
        )
        if status is LeaveStatus.APPROVED:
            w.approved_leave.append((target.id, person.id, kind, decided_by, decided_at))


def apply_approved_leave(w: World) -> None:
    """Leave approved for an upcoming meeting shows on its roll (written by now)."""
    with write_transaction(w.sink.db):
        for meeting_id, member_id, kind, decided_by, decided_at in w.approved_leave:
            (
                Attendance.update(
                    status=AttendanceStatus.LEAVE.value,
                    leave_kind=kind,
                    reason=W.LEAVE_REASONS[kind][0],
                    marked_by=decided_by,
                    marked_at=decided_at,
                    method=MarkMethod.LEAVE.value,
                )
                .where((Attendance.meeting == meeting_id) & (Attendance.member == member_id))
                .execute()
            )
