"""Meetings: scheduling (one-off and series), the life cycle planned → open → closed →
sealed (or cancelled), agenda, attendance, 列席 guests and leave requests."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from peewee import fn

from branchtui.core import holidays
from branchtui.core import model as c
from branchtui.core.compliance import report_year_of
from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    LeaveKind,
    LeaveStatus,
    MarkMethod,
    MeetingStatus,
    Obligation,
    OrgKind,
    PositionRole,
)
from branchtui.core.errors import NotFound, ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.holidays import HolidayNote
from branchtui.core.record_check import CloseCheck, RecordGaps, close_gaps, findings_data
from branchtui.core.roll import (
    AttendanceCounts,
    Excluded,
    ExpectedRoll,
    RollChange,
    count_attendance,
    expected_roll,
)
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.core.series import check_pattern, render_title
from branchtui.core.series import plan as series_plan
from branchtui.core.text import NAME_MAX, TEXT_MAX, TITLE_MAX, clean
from branchtui.services.base import (
    Actor,
    Service,
    bump,
    check_version,
    get_or_404,
    record_change,
    verify_chain,
)
from branchtui.services.facts import committee_on
from branchtui.services.permissions import (
    ANYWHERE,
    Target,
    branch_target,
    meeting_target,
    member_target,
)
from branchtui.services.rolls import roll_changes, sync_roll
from branchtui.store import convert
from branchtui.store import models as m
from branchtui.store.db import is_sqlite

# A series materialises its occurrences this far ahead; later ones appear as time passes
# (``extend_series``), so a never-ending RRULE never floods the table.
SERIES_HORIZON_DAYS = 190
# Self sign-in later than this after the planned start is 迟到; a sitting entered later
# than this after its start is a 补录 (entered after the fact: it needs a reason).
LATE_AFTER = timedelta(minutes=15)
YEAR_MIN, YEAR_MAX = 1921, 2100


@frozen
class MeetingDraft:
    """What a secretary fills in to schedule a sitting."""

    branch_id: int
    title: str
    obligations: tuple[Obligation, ...]
    planned_start: datetime
    planned_end: datetime | None = None
    place: str = ""
    group_id: int | None = None
    convener_id: int | None = None
    moderator_id: int | None = None
    recorder_id: int | None = None
    agenda: tuple[tuple[str, Act | None], ...] = ()
    allow_self_signin: bool = False
    report_year: int | None = None
    # Why a sitting is entered after its start (补录); required then, ignored otherwise.
    late_reason: str = ""


@frozen
class MeetingRecord:
    """Everything a meeting's record page shows."""

    meeting: c.Meeting
    attendance: tuple[c.AttendanceRow, ...]
    counts: AttendanceCounts
    guests: tuple[c.Guest, ...]
    speeches: tuple[c.Speech, ...]
    decisions: tuple[c.Decision, ...]
    chain_ok: bool
    chain_entries: int
    written_live_share: float | None  # share of entries written while the meeting was open
    # The record check when the meeting was closed (None: not closed here, or imported).
    close_check: CloseCheck | None = None
    # The rules the meeting is judged by: its branch's on its date (quorum, votes).
    rules: RuleSet = DEFAULT_RULES


@frozen
class AttendanceSheet:
    """What the attendance sheet shows: the record, who is connected to the branch but not
    on the roll and why, the 委员 (a 支委会 decision's quorum base), and what the actor may
    do there (the screen hides what is not allowed; the writes still check)."""

    record: MeetingRecord
    excluded: tuple[Excluded, ...]
    committee_ids: tuple[int, ...]
    can_mark: bool
    can_run: bool
    # "名单已更新": changes to the roll after roster writes dated on or before the meeting,
    # oldest first (shown, like ``excluded``, to those who may mark or read the branch).
    roll_changes: tuple[RollChange, ...] = ()


# The sequence a sitting's 第X次 counts in: (branch, group or None, first obligation, year).
Bucket = tuple[int, int | None, str, int]


def slot_today(start: datetime, end: datetime | None, today: date,
               now: datetime) -> tuple[datetime, datetime | None]:
    """Where "改期到今天" moves a sitting about to be opened on another day than planned:
    today at its planned time of day if that is still ahead, else now (to the minute);
    as long as it was planned to last."""
    moved = datetime.combine(today, start.time())
    if moved < now:
        moved = now.replace(second=0, microsecond=0)
    return moved, (moved + (end - start) if end is not None else None)


def _check_when(start: datetime, end: datetime | None) -> None:
    if not (YEAR_MIN <= start.year <= YEAR_MAX):
        raise ValidationError("meeting.bad_date", value=start.isoformat(sep=" "))
    if end is not None and end <= start:
        raise ValidationError("meeting.end_before_start")
    if end is not None and end - start > timedelta(days=2):
        raise ValidationError("meeting.too_long")


class MeetingService(Service):
    # -- helpers ------------------------------------------------------------------------


    def _branch(self, branch_id: int) -> m.Org:
        org = m.Org.get_or_none(m.Org.id == branch_id)
        if org is None or org.kind != OrgKind.BRANCH:
            raise NotFound(what="branch", id=branch_id)
        return org

    def _has_committee(self, branch: m.Org, day: date) -> bool:
        # The same fact, loaded the same way, as the compliance grid reads for that day.
        return committee_on(self.db, branch, day, self.rules_for(branch.id, day))

    def _roll(self, branch_id: int, group_id: int | None, day: date) -> ExpectedRoll:
        facts = convert.member_facts(branch_id=branch_id)
        return expected_roll(facts, branch_id, day, group_id)

    def _validate_draft(self, d: MeetingDraft) -> MeetingDraft:
        title = clean(d.title, field="field.title", max_len=TITLE_MAX, required=True)
        place = clean(d.place, field="field.place", max_len=TITLE_MAX)
        late_reason = clean(d.late_reason, field="field.late_reason", max_len=TEXT_MAX)
        if not d.obligations:
            raise ValidationError("meeting.no_obligation")
        _check_when(d.planned_start, d.planned_end)
        branch = self._branch(d.branch_id)
        if Obligation.GROUP_MEETING in d.obligations and d.group_id is None:
            raise ValidationError("meeting.group_required")
        if d.group_id is not None:
            group = m.Org.get_or_none(m.Org.id == d.group_id)
            if group is None or group.parent_id != branch.id or group.kind != OrgKind.GROUP:
                raise ValidationError("meeting.group_not_in_branch")
        if Obligation.COMMITTEE_MEETING in d.obligations and not self._has_committee(
            branch, d.planned_start.date()
        ):
            raise ValidationError("meeting.no_committee")
        for person in (d.convener_id, d.moderator_id, d.recorder_id):
            if person is not None and not m.Member.select().where(m.Member.id == person).exists():
                raise NotFound(what="member", id=person)
        agenda = tuple(
            (clean(t, field="field.agenda", max_len=TEXT_MAX, required=True), act)
            for t, act in d.agenda
        )
        report_year = d.report_year
        if report_year is None and (
            Obligation.ORG_LIFE in d.obligations or Obligation.APPRAISAL in d.obligations
        ):
            report_year = report_year_of(d.planned_start.date(), self.rules_for(d.branch_id, d.planned_start.date()))
        return MeetingDraft(
            **{
                **d.__dict__,
                "title": title,
                "place": place,
                "late_reason": late_reason,
                "agenda": agenda,
                "report_year": report_year,
                "obligations": tuple(dict.fromkeys(d.obligations)),
            }
        )

    def _bucket(self, row: m.Meeting) -> Bucket:
        """Which sequence of 第X次 a sitting counts in: its branch, its group (None: the
        whole branch), its first obligation and the year of its date."""
        first = (m.MeetingObligation.select(m.MeetingObligation.obligation)
                 .where(m.MeetingObligation.meeting == row.id)
                 .order_by(m.MeetingObligation.id).limit(1).scalar())
        return (row.branch_id, row.group_id, first or "", row.planned_start.year)

    def _renumber(self, actor: Actor, *buckets: Bucket) -> dict[int, int]:
        """第X次 in date order. A sitting that was held (open, closed, sealed) keeps the
        number it was held with: it is on its record, printed and under the seal. The
        planned ones are numbered in date order around them, each after every number
        before it and never on a number a held sitting has. So a sitting entered after
        its date (补录) that lands before held ones is numbered after them, out of date
        order, and its record and the list say 补录. A planned sitting whose number
        changes gets an entry in its change log (``meeting.renumber``), so screens
        showing it follow. The caller holds the branch lock. Returns {id: number} of the
        planned sittings."""
        out: dict[int, int] = {}
        for branch_id, group_id, obligation, year in dict.fromkeys(buckets):
            candidates = [
                mid for (mid,) in m.Meeting.select(m.Meeting.id)
                .join(m.MeetingObligation)
                .where((m.Meeting.branch == branch_id)
                       & (m.Meeting.group.is_null() if group_id is None
                          else m.Meeting.group == group_id)
                       & (m.MeetingObligation.obligation == obligation)
                       & (m.Meeting.planned_start >= datetime(year, 1, 1))
                       & (m.Meeting.planned_start < datetime(year + 1, 1, 1))
                       & (m.Meeting.status != MeetingStatus.CANCELLED.value))
                .tuples()
            ]
            firsts = convert.obligations_of(candidates)
            ids = [mid for mid in candidates
                   if firsts.get(mid) and firsts[mid][0].value == obligation]
            if not ids:
                continue
            q = m.Meeting.select(m.Meeting.id, m.Meeting.number, m.Meeting.status,
                                 m.Meeting.planned_start).where(m.Meeting.id.in_(ids))
            rows = list(q.order_by(m.Meeting.id))
            planned = [r.id for r in rows if r.status == MeetingStatus.PLANNED.value]
            if planned and not is_sqlite(self.db):
                # Their change logs are appended to: lock them, in id order (as roster
                # writes do), after the branch.
                list(m.Meeting.select(m.Meeting.id).where(m.Meeting.id.in_(planned))
                     .order_by(m.Meeting.id).for_update())
            taken = {r.number for r in rows
                     if r.status != MeetingStatus.PLANNED.value and r.number is not None}
            n = 0
            for r in sorted(rows, key=lambda r: (r.planned_start, r.id)):
                if r.status != MeetingStatus.PLANNED.value:
                    n = max(n, r.number or 0)
                    continue
                n += 1
                while n in taken:
                    n += 1
                out[r.id] = n
                if r.number == n:
                    continue
                m.Meeting.update(number=n).where(m.Meeting.id == r.id).execute()
                if r.number is not None:
                    record_change(self.ctx, actor, "meeting.renumber", "meeting", r.id,
                                  {"number": n, "was": r.number}, meeting_id=r.id)
        return out

    def _insert_meeting(
        self, actor: Actor, d: MeetingDraft, series_id: int | None = None,
        series_date: date | None = None,
    ) -> m.Meeting:
        self.lock_branch(d.branch_id)
        now = self.now(d.branch_id)
        late = self._late(d.planned_start, now, d.late_reason)
        previous_org_life = None
        if Obligation.ORG_LIFE in d.obligations:
            previous_org_life = (
                m.Meeting.select(m.Meeting.id)
                .join(m.MeetingObligation)
                .where(
                    (m.Meeting.branch == d.branch_id)
                    & (m.MeetingObligation.obligation == Obligation.ORG_LIFE.value)
                    & (m.Meeting.planned_start < d.planned_start)
                    & (m.Meeting.status != MeetingStatus.CANCELLED.value)
                )
                .order_by(m.Meeting.planned_start.desc())
                .scalar()
            )
        row = m.Meeting.create(
            branch=d.branch_id,
            group=d.group_id,
            title=d.title,
            number=None,  # _renumber below
            planned_start=d.planned_start,
            planned_end=d.planned_end,
            place=d.place,
            convener=d.convener_id,
            moderator=d.moderator_id,
            recorder=d.recorder_id,
            status=MeetingStatus.PLANNED.value,
            series=series_id,
            series_date=series_date,
            report_year=d.report_year,
            allow_self_signin=d.allow_self_signin,
            reviews=previous_org_life,
            created_at=now,
            created_by=actor.member_id,
            late_at=now if late else None,
            late_reason=d.late_reason if late else "",
        )
        m.MeetingObligation.insert_many(
            [
                {"meeting": row.id, "obligation": o.value, "branch": d.branch_id,
                 "day": d.planned_start.date()}
                for o in d.obligations
            ]
        ).execute()
        for i, (title, act) in enumerate(d.agenda, start=1):
            m.AgendaItem.create(meeting=row.id, position=i, title=title,
                                act=act.value if act else None)
        self._sync_roll(row)
        row.number = self._renumber(actor, (d.branch_id, d.group_id, d.obligations[0].value,
                                            d.planned_start.year))[row.id]
        record_change(
            self.ctx, actor, "meeting.schedule", "meeting", row.id,
            {"title": d.title, "obligations": d.obligations, "start": d.planned_start,
             "end": d.planned_end, "place": d.place, "series": series_id,
             "number": row.number, **({"late_reason": d.late_reason} if late else {})},
            meeting_id=row.id,
        )
        return row

    @staticmethod
    def _late(start: datetime, now: datetime, reason: str) -> bool:
        """Whether a sitting starting at ``start`` and entered ``now`` is a 补录; one
        without a (cleaned) ``reason`` is refused. Entered within LATE_AFTER of its
        start it is being entered as it begins, not after the fact."""
        if start >= now - LATE_AFTER:
            return False
        if not reason:
            raise ValidationError("meeting.late_needs_reason", start=start.isoformat(sep=" ")[:16],
                                  now=now.isoformat(sep=" ")[:16])
        return True

    def _lock_branch_of(self, meeting_id: int) -> None:
        """The branch lock of a meeting's branch, taken before the meeting's own (the order
        ``_renumber`` locks in)."""
        branch_id = m.Meeting.select(m.Meeting.branch).where(m.Meeting.id == meeting_id).scalar()
        if branch_id is None:
            raise NotFound(what="meeting", id=meeting_id)
        self.lock_branch(branch_id)

    def _sync_roll(self, meeting: m.Meeting, actor: Actor | None = None) -> None:
        """Make the attendance rows match 应到 on the meeting date (``rolls.sync_roll``):
        marks and approved leave are kept where the person is still 应到, rows of people
        no longer expected are removed, and what changed is logged for the sheet. Called
        while the meeting is planned or open (roster writes call it too); once closed the
        roll is frozen, so a later transfer never changes an old meeting's 应到."""
        sync_roll(self, actor, meeting)

    # -- scheduling -----------------------------------------------------------------------

    def schedule(self, actor: Actor, draft: MeetingDraft) -> c.Meeting:
        """Schedule one sitting; its expected roll is computed for its date."""
        with self.write():
            g = self.grants(actor)
            g.check("meetings.schedule", branch_target(draft.branch_id, draft.group_id))
            d = self._validate_draft(draft)
            row = self._insert_meeting(actor, d)
            return convert.meeting(row)

    def overlaps(self, actor: Actor, branch_id: int, start: datetime, end: datetime | None,
                 exclude_id: int | None = None) -> list[c.Meeting]:
        """Other sittings of the branch that overlap [start, end): the UI warns."""
        end = end or start + timedelta(hours=2)
        with self.read():
            g = self.grants(actor)
            g.check("meetings.overlaps", branch_target(branch_id))
            q = m.Meeting.select().where(
                (m.Meeting.branch == branch_id)
                & (m.Meeting.status != MeetingStatus.CANCELLED.value)
                & (m.Meeting.planned_start < end)
                & (m.Meeting.planned_start > start - timedelta(days=2))
            )
            return convert.meetings(
                (row for row in q
                 if (row.planned_end or row.planned_start + timedelta(hours=2)) > start
                 and row.id != exclude_id), with_agenda=False)

    def reschedule(self, actor: Actor, meeting_id: int, expected_version: int, *,
                   planned_start: datetime | None = None, planned_end: datetime | None = None,
                   place: str | None = None, title: str | None = None,
                   convener_id: int | None = None, moderator_id: int | None = None,
                   recorder_id: int | None = None, allow_self_signin: bool | None = None,
                   late_reason: str | None = None) -> c.Meeting:
        """Edit a planned sitting (one occurrence of a series stays linked to it). A new
        date renumbers the sittings not held yet (``_renumber``). Moved to a start already
        past, it is a 补录 and needs ``late_reason`` (one that is already a 补录 keeps its
        reason unless given a new one); moved to a start still ahead, it no longer is."""
        with self.write():
            self._lock_branch_of(meeting_id)
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.reschedule", meeting_target(row))
            check_version(row, expected_version, convert.meeting)
            if row.status != MeetingStatus.PLANNED.value:
                raise ValidationError("meeting.not_planned")
            changes: dict[str, object] = {}
            if planned_start is not None:
                end = planned_end if planned_end is not None else (
                    planned_start + (row.planned_end - row.planned_start)
                    if row.planned_end else None
                )
                _check_when(planned_start, end)
                if (planned_start.date() != row.planned_start.date()
                        and m.MeetingObligation.select().where(
                            (m.MeetingObligation.meeting == row.id)
                            & (m.MeetingObligation.obligation
                               == Obligation.COMMITTEE_MEETING.value)).exists()
                        and not self._has_committee(self._branch(row.branch_id),
                                                    planned_start.date())):
                    # Moved to a day on which the branch had no committee: as if scheduled.
                    raise ValidationError("meeting.no_committee")
                changes.update(planned_start=planned_start, planned_end=end)
                reason = clean(late_reason or "", field="field.late_reason", max_len=TEXT_MAX)
                if planned_start != row.planned_start or reason:
                    now = self.now(row.branch_id)
                    if self._late(planned_start, now, reason or row.late_reason):
                        if reason or row.late_at is None:
                            changes.update(late_at=row.late_at or now,
                                           late_reason=reason or row.late_reason)
                    elif row.late_at is not None:
                        changes.update(late_at=None, late_reason="")
            elif planned_end is not None:
                _check_when(row.planned_start, planned_end)
                changes["planned_end"] = planned_end
            if place is not None:
                changes["place"] = clean(place, field="field.place", max_len=TITLE_MAX)
            if title is not None:
                changes["title"] = clean(title, field="field.title", max_len=TITLE_MAX,
                                         required=True)
            for key, value in (("convener", convener_id), ("moderator", moderator_id),
                               ("recorder", recorder_id)):
                if value is not None:
                    changes[key] = value
            if allow_self_signin is not None:
                changes["allow_self_signin"] = allow_self_signin
            before = self._bucket(row)
            bump(m.Meeting, row, expected_version, **changes)
            if "planned_start" in changes:
                day = row.planned_start.date()
                m.MeetingObligation.update(day=day).where(
                    m.MeetingObligation.meeting == row.id).execute()
                self._sync_roll(row, actor)
            record_change(self.ctx, actor, "meeting.edit", "meeting", row.id,
                          {k: v for k, v in changes.items() if k != "version"},
                          meeting_id=row.id)
            if "planned_start" in changes:
                numbers = self._renumber(actor, before, self._bucket(row))
                row.number = numbers.get(row.id, row.number)
            return convert.meeting(row)

    def cancel(self, actor: Actor, meeting_id: int, expected_version: int, reason: str) -> c.Meeting:
        """Cancel a planned sitting; the later ones not held yet close up its number."""
        with self.write():
            self._lock_branch_of(meeting_id)
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.cancel", meeting_target(row))
            check_version(row, expected_version, convert.meeting)
            if row.status != MeetingStatus.PLANNED.value:
                raise ValidationError("meeting.not_planned")
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX, required=True)
            bump(m.Meeting, row, expected_version, status=MeetingStatus.CANCELLED.value,
                 cancel_reason=reason)
            if row.series_id and row.series_date:
                m.SeriesException.insert(
                    series=row.series_id, original_date=row.series_date, skipped=True,
                    note=reason,
                ).on_conflict_ignore().execute()
            record_change(self.ctx, actor, "meeting.cancel", "meeting", row.id,
                          {"reason": reason}, meeting_id=row.id)
            self._renumber(actor, self._bucket(row))
            return convert.meeting(row)

    # -- series -----------------------------------------------------------------------------

    def create_series(self, actor: Actor, draft: MeetingDraft, rrule: str,
                      until: date | None = None, count: int | None = None) -> SeriesMade:
        """A recurring sitting: validates the RRULE, stores the series and materialises its
        occurrences for the next months. ``draft.title`` is the series' title pattern
        (``{year}年{month}月主题党日``, see ``core.series``): each occurrence gets its own
        title, and its own report year (组织生活会, 民主评议) from its own date, so a
        ``draft.report_year`` is not used for a series. ``until`` (a last day) or ``count``
        ends the series, stored in the rule as UNTIL or COUNT. The result names the
        sittings that fall on a public holiday or a 调休 working day: a warning only."""
        with self.write():
            g = self.grants(actor)
            g.check("meetings.create_series", branch_target(draft.branch_id, draft.group_id))
            return self._create_series(actor, draft, rrule, until, count)

    def _create_series(self, actor: Actor, draft: MeetingDraft, rrule: str,
                       until: date | None, count: int | None) -> SeriesMade:
        d = self._validate_draft(draft)
        from branchtui.core import recurrence  # dateutil.rrule: only when scheduling a series

        check_pattern(d.title)
        rule = recurrence.validate(
            recurrence.with_end(rrule, until=until, count=count, dtstart=d.planned_start),
            d.planned_start)
        duration = int(
            ((d.planned_end - d.planned_start).total_seconds() // 60)
            if d.planned_end else 90
        )
        series = m.Series.create(
            branch=d.branch_id, group=d.group_id, rrule=rule, dtstart=d.planned_start,
            duration_minutes=duration, title=d.title,
            obligations=",".join(o.value for o in d.obligations), place=d.place,
            convener=d.convener_id, moderator=d.moderator_id, recorder=d.recorder_id,
            created_at=self.now(d.branch_id),
        )
        record_change(self.ctx, actor, "series.create", "series", series.id,
                      {"rrule": rule, "dtstart": d.planned_start, "title": d.title,
                       "group": d.group_id})
        made = convert.meetings(self._materialise(actor, series, d))
        found = holidays.lookup(mtg.planned_start.date() for mtg in made)
        return SeriesMade(series_id=series.id, meetings=made, holidays=found.notes,
                          years_without_holiday_data=found.years_without_data)

    def create_group_series(self, actor: Actor, draft: MeetingDraft, rrule: str,
                            until: date | None = None,
                            count: int | None = None) -> list[SeriesMade]:
        """党小组会 every month per group: one series for each group of the branch, with
        the group leader (when there is one) as convener. One transaction for all."""
        with self.write():
            g = self.grants(actor)
            g.check("meetings.create_group_series", branch_target(draft.branch_id))
            out = []
            groups = m.Org.select().where((m.Org.parent == draft.branch_id)
                                          & (m.Org.kind == OrgKind.GROUP.value)).order_by(m.Org.id)
            for group in groups:
                leader = m.Position.select(m.Position.member).where(
                    (m.Position.org == group.id)
                    & (m.Position.role == PositionRole.GROUP_LEADER.value)
                    & m.Position.ends.is_null()).scalar()
                per_group = MeetingDraft(**{
                    **draft.__dict__, "group_id": group.id,
                    "obligations": (Obligation.GROUP_MEETING,),
                    "title": f"{group.name}{draft.title}",
                    "convener_id": leader or draft.convener_id,
                    "moderator_id": leader or draft.moderator_id})
                out.append(self._create_series(actor, per_group, rrule, until, count))
            return out

    def _materialise(self, actor: Actor, series: m.Series, d: MeetingDraft) -> list[m.Meeting]:
        """Insert the occurrences up to the horizon that are neither there nor skipped, each
        titled from the series' pattern and with the report year of its own date."""
        self.lock_branch(series.branch_id)
        horizon = self.now(series.branch_id) + timedelta(days=SERIES_HORIZON_DAYS)
        have = {
            sd for (sd,) in m.Meeting.select(m.Meeting.series_date)
            .where(m.Meeting.series == series.id).tuples()
        }
        skipped = {
            od for (od,) in m.SeriesException.select(m.SeriesException.original_date)
            .where(m.SeriesException.series == series.id).tuples()
        }
        # Never an occurrence already past: that would be a 补录 nobody gave a reason for.
        start = max(series.dtstart, self.now(series.branch_id) - LATE_AFTER)
        yearly = Obligation.ORG_LIFE in d.obligations or Obligation.APPRAISAL in d.obligations
        made = []
        planned, _years = series_plan(series.rrule, series.dtstart, series.title, start=start,
                                      end=horizon, exdates=skipped | have)
        for occ in planned:
            when = occ.start
            draft = MeetingDraft(
                **{**d.__dict__, "planned_start": when, "title": occ.title,
                   "planned_end": when + timedelta(minutes=series.duration_minutes),
                   "report_year": report_year_of(when.date(), self.rules_for(series.branch_id, when.date())) if yearly
                   else None}
            )
            made.append(self._insert_meeting(actor, draft, series.id, when.date()))
        return made

    def extend_series(self, actor: Actor, series_id: int) -> list[c.Meeting]:
        """Materialise occurrences that came within the horizon since the last call."""
        with self.write():
            series = get_or_404(m.Series, series_id)
            g = self.grants(actor)
            g.check("meetings.extend_series", meeting_target(series))
            d = self._series_draft(series)
            return convert.meetings(self._materialise(actor, series, d))

    def _series_draft(self, series: m.Series) -> MeetingDraft:
        return MeetingDraft(
            branch_id=series.branch_id, title=series.title,
            obligations=tuple(Obligation(o) for o in series.obligations.split(",")),
            planned_start=series.dtstart,
            planned_end=series.dtstart + timedelta(minutes=series.duration_minutes),
            place=series.place, group_id=series.group_id, convener_id=series.convener_id,
            moderator_id=series.moderator_id, recorder_id=series.recorder_id,
        )

    def update_series(self, actor: Actor, series_id: int, expected_version: int, *,
                      title: str | None = None, place: str | None = None,
                      time_shift: timedelta | None = None) -> list[c.Meeting]:
        """Change the whole series: the template and every future planned occurrence.
        ``title`` is a pattern (see ``create_series``): each future planned occurrence is
        re-titled from it, except one whose title was changed by hand (it differs from what
        the old pattern gives it). Occurrences already opened, closed or cancelled are left
        alone."""
        with self.write():
            series = get_or_404(m.Series, series_id)
            g = self.grants(actor)
            g.check("meetings.update_series", meeting_target(series))
            self.lock_branch(series.branch_id)
            check_version(series, expected_version, lambda r: r.version)
            changes: dict[str, object] = {}
            if title is not None:
                changes["title"] = check_pattern(
                    clean(title, field="field.title", max_len=TITLE_MAX, required=True))
            if place is not None:
                changes["place"] = clean(place, field="field.place", max_len=TITLE_MAX)
            if time_shift is not None:
                changes["dtstart"] = series.dtstart + time_shift
            rows = list(m.Meeting.select().where(
                (m.Meeting.series == series.id)
                & (m.Meeting.status == MeetingStatus.PLANNED.value)
                & (m.Meeting.planned_start >= self.now(series.branch_id))
            ).order_by(m.Meeting.planned_start))
            old_pattern = series.title
            numbers = self._occurrence_numbers(series, rows) if title is not None else {}
            bump(m.Series, series, expected_version, **changes)
            out = []
            moved: list[Bucket] = []
            for row in rows:
                upd: dict[str, object] = {}
                if title is not None:
                    slot = row.series_date or row.planned_start.date()
                    n = numbers.get(slot)
                    if n is not None and row.title == render_title(old_pattern, slot, n):
                        upd["title"] = render_title(str(changes["title"]), slot, n)
                if place is not None:
                    upd["place"] = changes["place"]
                if time_shift is not None:
                    upd["planned_start"] = row.planned_start + time_shift
                    if row.planned_end:
                        upd["planned_end"] = row.planned_end + time_shift
                if upd.get("title") == row.title:
                    del upd["title"]
                if upd:
                    if time_shift is not None:
                        moved.append(self._bucket(row))
                    bump(m.Meeting, row, None, **upd)
                    record_change(self.ctx, actor, "meeting.edit", "meeting", row.id,
                                  {**upd, "via_series": series.id}, meeting_id=row.id)
                    if time_shift is not None:
                        m.MeetingObligation.update(day=row.planned_start.date()).where(
                            m.MeetingObligation.meeting == row.id).execute()
                        self._sync_roll(row, actor)
                        moved.append(self._bucket(row))
                out.append(row)
            record_change(self.ctx, actor, "series.edit", "series", series.id,
                          {k: v for k, v in changes.items() if k != "version"})
            if moved:
                renumbered = self._renumber(actor, *moved)
                for row in out:
                    row.number = renumbered.get(row.id, row.number)
            return convert.meetings(out)

    def _occurrence_numbers(self, series: m.Series, rows: Sequence[m.Meeting]) -> dict[date, int]:
        """The number in the series of each slot (series date) of ``rows``."""
        from branchtui.core import recurrence

        slots = [row.series_date for row in rows if row.series_date is not None]
        if not slots:
            return {}
        last = datetime.combine(max(slots), datetime.max.time())
        every = recurrence.numbered_occurrences(series.rrule, series.dtstart, end=last,
                                                limit=sys.maxsize)  # ``end`` bounds it
        return {when.date(): n for n, when in every}

    def cancel_series(self, actor: Actor, series_id: int, reason: str) -> int:
        """Cancel every future planned occurrence of the series; returns how many."""
        with self.write():
            series = get_or_404(m.Series, series_id)
            g = self.grants(actor)
            g.check("meetings.cancel_series", meeting_target(series))
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX, required=True)
            self.lock_branch(series.branch_id)
            n = 0
            gone: list[Bucket] = []
            for row in m.Meeting.select().where(
                (m.Meeting.series == series.id)
                & (m.Meeting.status == MeetingStatus.PLANNED.value)
                & (m.Meeting.planned_start >= self.now(series.branch_id))
            ):
                bump(m.Meeting, row, None, status=MeetingStatus.CANCELLED.value,
                     cancel_reason=reason)
                record_change(self.ctx, actor, "meeting.cancel", "meeting", row.id,
                              {"reason": reason, "via_series": series.id}, meeting_id=row.id)
                gone.append(self._bucket(row))
                n += 1
            self._renumber(actor, *gone)
            # Stop materialising: the rule ends today.
            bump(m.Series, series, None,
                 rrule=series.rrule + ";UNTIL="
                 + self.now(series.branch_id).strftime("%Y%m%dT%H%M%S")
                 if "UNTIL=" not in series.rrule and "COUNT=" not in series.rrule
                 else series.rrule)
            record_change(self.ctx, actor, "series.cancel", "series", series.id,
                          {"reason": reason, "cancelled": n})
            return n

    # -- agenda -------------------------------------------------------------------------------

    def add_agenda_item(self, actor: Actor, meeting_id: int, title: str,
                        act: Act | None = None) -> c.AgendaItem:
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.add_agenda_item", meeting_target(row))
            self._require_editable(row)
            title = clean(title, field="field.agenda", max_len=TEXT_MAX, required=True)
            pos = (m.AgendaItem.select(fn.MAX(m.AgendaItem.position))
                   .where(m.AgendaItem.meeting == row.id).scalar() or 0) + 1
            item = m.AgendaItem.create(meeting=row.id, position=pos, title=title,
                                       act=act.value if act else None)
            record_change(self.ctx, actor, "agenda.add", "agenda_item", item.id,
                          {"title": title, "act": act}, meeting_id=row.id)
            return convert.agenda_item(item)

    @staticmethod
    def _require_editable(row: m.Meeting) -> None:
        if row.status in (MeetingStatus.SEALED.value, MeetingStatus.CANCELLED.value):
            raise ValidationError("meeting.sealed" if row.status == MeetingStatus.SEALED.value
                                  else "meeting.cancelled")

    # -- life cycle ---------------------------------------------------------------------------

    def open(self, actor: Actor, meeting_id: int, late_reason: str = "") -> c.Meeting:
        """planned → open. The roll is brought up to date one last time and frozen, and so
        is its 第X次.

        A sitting is held on the day it is planned for: opened on another day it is
        refused (``meeting.open_early``, ``meeting.open_late``) and must be rescheduled
        first, so that its record, its roll and compliance all have the day it was held.
        The exception is a 补录: a sitting entered after its date (``schedule`` with a
        ``late_reason``), or one planned for a past day and recorded only now, which
        ``late_reason`` makes a 补录 here. Its record is attested as held on its planned
        day; opened_at and closed_at say when it was written."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.open", meeting_target(row))
            if row.status != MeetingStatus.PLANNED.value:
                raise ValidationError("meeting.not_planned")
            now, today = self.now(row.branch_id), self.ctx.today(row.branch_id)
            held_on = row.planned_start.date()
            late: dict[str, object] = {}
            if row.late_at is None and held_on != today:
                params = {"day": held_on.isoformat(), "today": today.isoformat()}
                if held_on > today:
                    raise ValidationError("meeting.open_early", **params)
                reason = clean(late_reason, field="field.late_reason", max_len=TEXT_MAX)
                if not reason:
                    raise ValidationError("meeting.open_late", **params)
                late = {"late_at": now, "late_reason": reason}
            self._sync_roll(row, actor)
            bump(m.Meeting, row, None, status=MeetingStatus.OPEN.value, opened_at=now, **late)
            # Compliance counts the day it was held (kept so by schedule and reschedule).
            m.MeetingObligation.update(day=held_on).where(
                (m.MeetingObligation.meeting == row.id)
                & (m.MeetingObligation.day != held_on)).execute()
            record_change(self.ctx, actor, "meeting.open", "meeting", row.id,
                          {"opened_at": row.opened_at, "held_on": held_on,
                           "number": row.number, **late}, meeting_id=row.id)
            return convert.meeting(row)

    def close(self, actor: Actor, meeting_id: int, gaps_reason: str = "") -> c.Meeting:
        """open → closed, after the record check (``core.record_check.close_gaps``) in the
        same transaction. A record that lacks what it must have (recorder, place, agenda,
        a mark for every member of 应到, speakers who were there, ...) is refused with
        ``RecordGaps`` naming the gaps, unless ``gaps_reason`` says why it closes all the
        same. The gaps found and the reason stay with the record (``close_check``) and go
        into the hash chain."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.close", meeting_target(row))
            if row.status != MeetingStatus.OPEN.value:
                raise ValidationError("meeting.not_open")
            gaps = close_gaps(self.record(actor, row.id))
            reason = clean(gaps_reason, field="field.gaps_reason", max_len=TEXT_MAX,
                           multiline=True) if gaps else ""
            if gaps and not reason:
                raise RecordGaps(findings=tuple(gaps))
            bump(m.Meeting, row, None, status=MeetingStatus.CLOSED.value,
                 closed_at=self.now(row.branch_id))
            data = findings_data(gaps)
            m.CloseGaps.create(meeting=row.id, closed_at=row.closed_at,
                               closed_by=actor.member_id,
                               findings=json.dumps(data, ensure_ascii=False), reason=reason)
            record_change(self.ctx, actor, "meeting.close", "meeting", row.id,
                          {"closed_at": row.closed_at, "gaps": data, "gaps_reason": reason},
                          meeting_id=row.id)
            return convert.meeting(row)

    def seal(self, actor: Actor, meeting_id: int) -> c.Meeting:
        """closed → sealed: the digest over the whole chain is the record's fingerprint;
        afterwards the record cannot be edited."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.seal", meeting_target(row))
            if row.status != MeetingStatus.CLOSED.value:
                raise ValidationError("meeting.not_closed")
            ok, _n, last = verify_chain(row.id)
            if not ok:
                raise ValidationError("meeting.chain_broken")
            at = self.now(row.branch_id)
            final = record_change(self.ctx, actor, "meeting.seal", "meeting", row.id,
                                  {"sealed_at": at, "chain_head": last}, meeting_id=row.id)
            bump(m.Meeting, row, None, status=MeetingStatus.SEALED.value, sealed_at=at,
                 seal_digest=final)
            return convert.meeting(row)

    # -- attendance ---------------------------------------------------------------------------

    def mark(self, actor: Actor, meeting_id: int, member_id: int, status: AttendanceStatus,
             *, reason: str = "", leave_kind: LeaveKind | None = None,
             expected_version: int | None = None) -> c.AttendanceRow:
        """Mark one member. Reasons are required for 请假 and 免. Marks made after the
        meeting closed are kept with method 'after', so the record shows them as such."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.mark", meeting_target(row))
            self._require_editable(row)
            if row.status == MeetingStatus.PLANNED.value and status != AttendanceStatus.LEAVE:
                raise ValidationError("attendance.not_open")
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX)
            if status in (AttendanceStatus.LEAVE, AttendanceStatus.EXEMPT) and not reason:
                raise ValidationError("text.required", field="field.reason")
            att = m.Attendance.get_or_none(
                (m.Attendance.meeting == meeting_id) & (m.Attendance.member == member_id)
            )
            if att is None:
                raise ValidationError("attendance.not_expected")
            name = m.Member.select(m.Member.name).where(m.Member.id == member_id).scalar()
            check_version(att, expected_version, lambda r: convert.attendance(r, name))
            method = (MarkMethod.AFTER if row.status == MeetingStatus.CLOSED.value
                      else MarkMethod.RECORDER)
            bump(m.Attendance, att, expected_version, status=status.value, reason=reason,
                 leave_kind=(leave_kind or LeaveKind.OTHER).value
                 if status == AttendanceStatus.LEAVE else None,
                 marked_by=actor.member_id, marked_at=self.now(row.branch_id),
                 method=method.value)
            record_change(self.ctx, actor, "attendance.mark", "attendance", att.id,
                          {"member": member_id, "status": status, "reason": reason,
                           "method": method}, meeting_id=row.id)
            return convert.attendance(att, name)

    def sign_in(self, actor: Actor, meeting_id: int) -> c.AttendanceRow:
        """签到 by the member from their own session, while the meeting is open and the
        recorder allows it. Late after 15 minutes."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            self.grants(actor).check("meetings.sign_in", meeting_target(row))
            if row.status != MeetingStatus.OPEN.value:
                raise ValidationError("attendance.not_open")
            if not row.allow_self_signin:
                raise ValidationError("attendance.self_signin_off")
            if row.late_at is not None:
                # A 补录 is written after the meeting: the recorder marks who was there.
                raise ValidationError("attendance.self_signin_late")
            att = m.Attendance.get_or_none(
                (m.Attendance.meeting == meeting_id) & (m.Attendance.member == actor.member_id)
            )
            if att is None:
                raise ValidationError("attendance.not_expected")
            if att.status in (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value):
                return convert.attendance(att, actor.name)
            now = self.now(row.branch_id)  # the branch's wall time, as planned_start is
            status = (AttendanceStatus.LATE if now > row.planned_start + LATE_AFTER
                      else AttendanceStatus.PRESENT)
            bump(m.Attendance, att, None, status=status.value, reason="", leave_kind=None,
                 marked_by=actor.member_id, marked_at=now, method=MarkMethod.SELF.value)
            record_change(self.ctx, actor, "attendance.sign_in", "attendance", att.id,
                          {"member": actor.member_id, "status": status}, meeting_id=row.id)
            return convert.attendance(att, actor.name)

    def add_guest(self, actor: Actor, meeting_id: int, name: str, affiliation: str,
                  reason: str) -> c.Guest:
        """列席: a non-member or upper-level official attending without a vote."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.add_guest", meeting_target(row))
            self._require_editable(row)
            guest = m.Guest.create(
                meeting=row.id,
                name=clean(name, field="field.name", max_len=NAME_MAX, required=True),
                affiliation=clean(affiliation, field="field.affiliation", max_len=TITLE_MAX),
                reason=clean(reason, field="field.reason", max_len=TEXT_MAX, required=True),
                created_at=self.now(row.branch_id),
            )
            record_change(self.ctx, actor, "guest.add", "guest", guest.id,
                          {"name": guest.name, "affiliation": guest.affiliation,
                           "reason": guest.reason}, meeting_id=row.id)
            return convert.guest(guest)

    # -- leave ------------------------------------------------------------------------------

    def request_leave(self, actor: Actor, meeting_id: int, kind: LeaveKind,
                      reason: str) -> c.LeaveRequest:
        """Asked by the member, before the meeting starts."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            self.grants(actor).check("meetings.request_leave", meeting_target(row))
            if (row.status != MeetingStatus.PLANNED.value
                    or self.now(row.branch_id) >= row.planned_start):
                raise ValidationError("leave.too_late")
            if m.LeaveRequest.select().where(
                (m.LeaveRequest.meeting == meeting_id)
                & (m.LeaveRequest.member == actor.member_id)
                & m.LeaveRequest.status.in_([LeaveStatus.PENDING.value,
                                             LeaveStatus.APPROVED.value])
            ).exists():
                raise ValidationError("leave.duplicate")
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX, required=True)
            req = m.LeaveRequest.create(
                meeting=row.id, member=actor.member_id, kind=kind.value, reason=reason,
                requested_at=self.now(row.branch_id), status=LeaveStatus.PENDING.value,
            )
            record_change(self.ctx, actor, "leave.request", "leave_request", req.id,
                          {"kind": kind, "reason": reason}, meeting_id=row.id)
            return convert.leave(req)

    def decide_leave(self, actor: Actor, request_id: int, approve: bool,
                     expected_version: int, note: str = "") -> c.LeaveRequest:
        """The 书记 (or the member's group leader) approves or refuses. Approval marks the
        attendance row 请假 with the request's reason."""
        with self.write():
            req = get_or_404(m.LeaveRequest, request_id)
            row = self.lock_meeting(req.meeting_id)
            _branch, group = convert.current_membership(req.member_id,
                                                        row.planned_start.date())
            g = self.grants(actor)
            g.check("meetings.decide_leave", meeting_target(row, extra_group=group))
            check_version(req, expected_version, convert.leave)
            if req.status != LeaveStatus.PENDING.value:
                raise ValidationError("leave.already_decided")
            status = LeaveStatus.APPROVED if approve else LeaveStatus.REFUSED
            bump(m.LeaveRequest, req, expected_version, status=status.value,
                 decided_by=actor.member_id, decided_at=self.now(row.branch_id),
                 decision_note=clean(note, field="field.note", max_len=TEXT_MAX))
            if approve:
                late = row.status != MeetingStatus.PLANNED.value
                (m.Attendance.update(
                    status=AttendanceStatus.LEAVE.value, reason=req.reason,
                    leave_kind=req.kind, marked_by=actor.member_id,
                    marked_at=self.now(row.branch_id),
                    method=(MarkMethod.AFTER if late else MarkMethod.LEAVE).value,
                    version=m.Attendance.version + 1)
                 .where((m.Attendance.meeting == row.id)
                        & (m.Attendance.member == req.member_id))
                 .execute())
            record_change(self.ctx, actor, "leave.decide", "leave_request", req.id,
                          {"status": status, "note": req.decision_note,
                           "member": req.member_id}, meeting_id=row.id)
            return convert.leave(req)

    def withdraw_leave(self, actor: Actor, request_id: int) -> c.LeaveRequest:
        with self.write():
            req = get_or_404(m.LeaveRequest, request_id)
            self.grants(actor).check("meetings.withdraw_leave", Target(member=req.member_id))
            if req.status != LeaveStatus.PENDING.value:
                raise ValidationError("leave.already_decided")
            self.lock_meeting(req.meeting_id)
            bump(m.LeaveRequest, req, None, status=LeaveStatus.WITHDRAWN.value)
            record_change(self.ctx, actor, "leave.withdraw", "leave_request", req.id, {},
                          meeting_id=req.meeting_id)
            return convert.leave(req)

    def pending_leave(self, actor: Actor) -> list[c.LeaveRequest]:
        """Leave requests waiting for this actor's decision: the 书记/副书记 of the
        meeting's branch, or the leader of the meeting's (or else the member's) group."""
        with self.read():
            g = self.grants(actor)
            g.check("meetings.pending_leave")
            leads_a_group = any(PositionRole.GROUP_LEADER in roles for roles in g.roles.values())
            mine = []
            for rid, member_id, branch_id, group_id, start in (
                m.LeaveRequest.select(m.LeaveRequest.id, m.LeaveRequest.member,
                                      m.Meeting.branch, m.Meeting.group,
                                      m.Meeting.planned_start)
                .join(m.Meeting, on=(m.LeaveRequest.meeting == m.Meeting.id))
                .where(m.LeaveRequest.status == LeaveStatus.PENDING.value)
                .tuples()
            ):
                if g.allows("meetings.decide_leave", branch_target(branch_id, group_id)):
                    mine.append(rid)
                elif leads_a_group and group_id is None:
                    # Only then is the member's group worth a query.
                    group = convert.current_membership(member_id, start.date())[1]
                    if g.allows("meetings.decide_leave", branch_target(branch_id, group)):
                        mine.append(rid)
            if not mine:
                return []
            return convert.leave_requests(m.LeaveRequest.id.in_(mine),
                                          m.LeaveRequest.requested_at, m.LeaveRequest.id)

    def my_leave(self, actor: Actor) -> list[c.LeaveRequest]:
        with self.read():
            self.grants(actor).check("meetings.my_leave")
            return convert.leave_requests(m.LeaveRequest.member == actor.member_id,
                                          m.LeaveRequest.requested_at.desc())

    def member_leave(self, actor: Actor, member_id: int) -> list[c.LeaveRequest]:
        """A member's leave requests, newest meeting first, for the officers' member page
        (one joined query: a member may have years of them)."""
        with self.read():
            self.grants(actor).check("meetings.member_leave", member_target(member_id))
            return member_leave(member_id)

    # -- reading ------------------------------------------------------------------------------

    def get(self, actor: Actor, meeting_id: int) -> c.Meeting:
        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            g = self.grants(actor)
            g.check("meetings.get", meeting_target(row))
            return convert.meeting(row)

    def roll_preview(self, actor: Actor, branch_id: int, day: date,
                     group_id: int | None = None) -> ExpectedRoll:
        """应到 for a date, with who is exempt and who is not (yet) a member, and why."""
        with self.read():
            g = self.grants(actor)
            g.check("meetings.roll_preview", branch_target(branch_id, group_id))
            return self._roll(branch_id, group_id, day)

    def record(self, actor: Actor, meeting_id: int) -> MeetingRecord:
        """The whole record of a meeting, as the record page shows it."""
        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            g = self.grants(actor)
            g.check("meetings.record", meeting_target(row))
            att = tuple(
                convert.attendance(a, name)
                for a, name in (
                    (a, a.member.name)
                    for a in m.Attendance.select(m.Attendance, m.Member)
                    .join(m.Member, on=(m.Attendance.member == m.Member.id))
                    .where(m.Attendance.meeting == row.id)
                    .order_by(m.Member.id)
                )
            )
            counts = count_attendance((a.is_full, a.status) for a in att)
            ok, n, _last = verify_chain(row.id)
            live_share = None
            if row.opened_at:
                entries = list(
                    m.ChangeLog.select(m.ChangeLog.at, m.ChangeLog.action)
                    .where((m.ChangeLog.meeting == row.id)
                           & m.ChangeLog.action.in_(
                               ["attendance.mark", "attendance.sign_in", "speech.add",
                                "speech.edit", "speech.move", "speech.delete",
                                "decision.record"]))
                    .tuples()
                )
                if entries:
                    end = row.closed_at or datetime.max
                    # A 补录 is written after the meeting, however long it stays open.
                    live = 0 if row.late_at is not None else sum(
                        1 for at, _ in entries if row.opened_at <= at <= end)
                    live_share = live / len(entries)
            return MeetingRecord(
                meeting=convert.meeting(row),
                attendance=att,
                counts=counts,
                guests=tuple(convert.guest(x) for x in
                             m.Guest.select().where(m.Guest.meeting == row.id)),
                speeches=tuple(convert.speech(x) for x in m.Speech.select()
                               .where(m.Speech.meeting == row.id)
                               .order_by(m.Speech.spoken_at, m.Speech.id)),
                decisions=tuple(convert.decision(x) for x in m.Decision.select()
                                .where(m.Decision.meeting == row.id)
                                .order_by(m.Decision.id)),
                chain_ok=ok,
                chain_entries=n,
                written_live_share=live_share,
                close_check=convert.close_check(row.id),
                rules=self.meeting_rules(row),
            )

    def find(self, actor: Actor, branch_id: int | None = None, *, start: datetime | None = None,
             end: datetime | None = None, status: Sequence[MeetingStatus] = (),
             obligation: Obligation | None = None, group_id: int | None = None,
             limit: int = 500) -> list[c.Meeting]:
        """Meetings the actor may see, filtered. Without a branch: the actor's own
        (expected at, or an officer of)."""
        with self.read():
            g = self.grants(actor)
            g.check("meetings.find", branch_target(branch_id) if branch_id is not None
                    else Target(member=actor.member_id))
            q = m.Meeting.select()
            if branch_id is not None:
                g.check("meetings.find", branch_target(branch_id))
                q = q.where(m.Meeting.branch == branch_id)
            else:
                mine = m.Attendance.select(m.Attendance.meeting).where(
                    m.Attendance.member == actor.member_id)
                q = q.where(m.Meeting.id.in_(mine)
                            | (m.Meeting.recorder == actor.member_id)
                            | (m.Meeting.convener == actor.member_id)
                            | (m.Meeting.moderator == actor.member_id))
            if start is not None:
                q = q.where(m.Meeting.planned_start >= start)
            if end is not None:
                q = q.where(m.Meeting.planned_start < end)
            if status:
                q = q.where(m.Meeting.status.in_([s.value for s in status]))
            if group_id is not None:
                q = q.where(m.Meeting.group == group_id)
            if obligation is not None:
                q = q.where(m.Meeting.id.in_(
                    m.MeetingObligation.select(m.MeetingObligation.meeting)
                    .where(m.MeetingObligation.obligation == obligation.value)))
            q = q.order_by(m.Meeting.planned_start).limit(limit)
            return convert.meetings(q, with_agenda=False)

    def upcoming(self, actor: Actor, days: int = 30) -> list[c.Meeting]:
        now = self.member_now(actor.member_id)
        with self.read():
            self.grants(actor).check("meetings.upcoming")
        return self.find(actor, start=now - timedelta(hours=12), end=now + timedelta(days=days),
                         status=(MeetingStatus.PLANNED, MeetingStatus.OPEN))

    # -- the attendance sheet -----------------------------------------------------------------

    def attendance_sheet(self, actor: Actor, meeting_id: int) -> AttendanceSheet:
        """The record plus what the attendance sheet needs around it, in one read. Who is
        not on the roll (and why) is shown only to those who may mark or read the branch."""
        from branchtui.services.permissions import COMMITTEE

        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            g = self.grants(actor)
            target = meeting_target(row)
            g.check("meetings.attendance_sheet", target)
            record = self.record(actor, meeting_id)
            can_mark = g.allows("meetings.mark", target)
            excluded: tuple[Excluded, ...] = ()
            changes: tuple[RollChange, ...] = ()
            if can_mark or g.allows("meetings.roll_preview", branch_target(row.branch_id)):
                listed = {a.member_id for a in record.attendance}
                roll = self._roll(row.branch_id, row.group_id, row.planned_start.date())
                excluded = tuple(e for e in roll.excluded if e.member_id not in listed)
                changes = tuple(roll_changes(row.id))
            day = row.planned_start.date()
            committee = tuple(sorted({
                mid for (mid,) in m.Position.select(m.Position.member).where(
                    (m.Position.org == row.branch_id)
                    & m.Position.role.in_([r.value for r in COMMITTEE])
                    & (m.Position.starts <= day)
                    & (m.Position.ends.is_null() | (m.Position.ends > day))
                ).tuples()
            }))
            return AttendanceSheet(record=record, excluded=excluded, committee_ids=committee,
                                   can_mark=can_mark, can_run=g.allows("meetings.open", target),
                                   roll_changes=changes)

    def set_self_signin(self, actor: Actor, meeting_id: int, allowed: bool,
                        expected_version: int) -> c.Meeting:
        """Let members sign themselves in (签到), or stop it: by whoever runs the meeting
        (the recorder included), while it is planned or open. ``reschedule`` is for the
        secretary and planned sittings only."""
        with self.write():
            row = self.lock_meeting(meeting_id)
            g = self.grants(actor)
            g.check("meetings.set_self_signin", meeting_target(row))
            self._require_editable(row)
            check_version(row, expected_version, convert.meeting)
            if row.status not in (MeetingStatus.PLANNED.value, MeetingStatus.OPEN.value):
                raise ValidationError("meeting.not_open")
            bump(m.Meeting, row, expected_version, allow_self_signin=bool(allowed))
            record_change(self.ctx, actor, "meeting.self_signin", "meeting", row.id,
                          {"allow_self_signin": bool(allowed)}, meeting_id=row.id)
            return convert.meeting(row)

    # -- what the meetings screens ask before offering actions -------------------------------

    def schedule_scope(self, actor: Actor, branch_id: int) -> ScheduleScope:
        """Read-only: whether the actor may read the branch's meetings, schedule for the
        whole branch, or only for some of its groups (a 党小组组长). Screens hide or disable
        the schedule/edit/cancel actions from it; the writes still check for themselves."""
        with self.read():
            self._branch(branch_id)
            g = self.grants(actor)
            g.check("meetings.schedule_scope")
            groups = frozenset(
                gid for (gid,) in m.Org.select(m.Org.id)
                .where((m.Org.parent == branch_id) & (m.Org.kind == OrgKind.GROUP.value))
                .tuples()
                if g.allows("meetings.schedule", branch_target(branch_id, gid))
            )
            return ScheduleScope(read_branch=g.allows("meetings.find", branch_target(branch_id)),
                                 branch=g.allows("meetings.schedule", branch_target(branch_id)),
                                 groups=groups)

    def can_schedule(self, actor: Actor, branch_id: int, group_id: int | None = None) -> bool:
        """Read-only: may the actor schedule (and edit, cancel) a sitting of the branch, or
        of one of its groups?"""
        with self.read():
            self.grants(actor).check("meetings.can_schedule")
            return self.schedule_scope(actor, branch_id).allows(group_id)

    def series_info(self, actor: Actor, series_id: int) -> SeriesInfo:
        """The template of a series (its rule and version), for editing the whole series."""
        with self.read():
            series = get_or_404(m.Series, series_id)
            g = self.grants(actor)
            g.check("meetings.series_info", meeting_target(series))
            return SeriesInfo(id=series.id, branch_id=series.branch_id,
                              group_id=series.group_id, rrule=series.rrule,
                              dtstart=series.dtstart, title=series.title, place=series.place,
                              version=series.version)


    # -- the member's own view --------------------------------------------------------------

    def my_meetings(self, actor: Actor, days: int = 45) -> list[MyMeeting]:
        """The sittings the actor is expected at, open now or coming within ``days``, each
        with their own mark, their latest leave request, and whether they may still ask
        for leave or sign in (the services decide; the screen only shows it)."""
        now = self.member_now(actor.member_id)
        with self.read():
            self.grants(actor).check("meetings.my_meetings")
            rows = list(
                m.Attendance.select(m.Attendance, m.Meeting)
                .join(m.Meeting, on=(m.Attendance.meeting == m.Meeting.id))
                .where((m.Attendance.member == actor.member_id)
                       & m.Meeting.status.in_([MeetingStatus.PLANNED.value,
                                               MeetingStatus.OPEN.value])
                       & (m.Meeting.planned_start >= now - timedelta(hours=12))
                       & (m.Meeting.planned_start < now + timedelta(days=days)))
                .order_by(m.Meeting.planned_start, m.Meeting.id)
            )
            ids = [a.meeting_id for a in rows]
            latest: dict[int, m.LeaveRequest] = {}
            for req in (m.LeaveRequest.select()
                        .where((m.LeaveRequest.member == actor.member_id)
                               & m.LeaveRequest.meeting.in_(ids or [0]))
                        .order_by(m.LeaveRequest.requested_at, m.LeaveRequest.id)):
                latest[req.meeting_id] = req
            obligations = convert.obligations_of(ids)
            out = []
            for a in rows:
                mtg = a.meeting
                req = latest.get(mtg.id)
                leave = convert.leave(req) if req is not None else None
                status = AttendanceStatus(a.status) if a.status else None
                planned = mtg.status == MeetingStatus.PLANNED.value
                active_leave = leave is not None and leave.status in (
                    LeaveStatus.PENDING, LeaveStatus.APPROVED)
                out.append(MyMeeting(
                    meeting=convert.meeting(mtg, with_agenda=False,
                                            obligations=obligations.get(mtg.id, ())),
                    status=status,
                    method=MarkMethod(a.method) if a.method else None,
                    marked_at=a.marked_at,
                    leave=leave,
                    may_ask_leave=planned and self.now(mtg.branch_id) < mtg.planned_start
                    and not active_leave
                    and status is None,
                    may_withdraw=leave is not None and leave.status == LeaveStatus.PENDING,
                    signs_in=(mtg.status == MeetingStatus.OPEN.value
                              and not (status is not None and status.is_present)
                              and status != AttendanceStatus.EXEMPT),
                    self_signin=bool(mtg.allow_self_signin),
                ))
            return out

    def may_decide_leave(self, actor: Actor) -> bool:
        """Whether the actor holds a post that decides leave (书记/副书记 of a branch, or a
        党小组组长): the leave inbox is shown only to them."""
        with self.read():
            g = self.grants(actor)
            g.check("meetings.may_decide_leave")
            return g.allows("meetings.decide_leave", ANYWHERE)


@frozen
class ScheduleScope:
    """Who may schedule what in one branch (see ``MeetingService.schedule_scope``)."""

    read_branch: bool
    branch: bool
    groups: frozenset[int] = frozenset()

    @property
    def any(self) -> bool:
        return self.branch or bool(self.groups)

    def allows(self, group_id: int | None) -> bool:
        return self.branch or (group_id is not None and group_id in self.groups)


@frozen
class SeriesMade:
    """What ``create_series`` made: the series, the sittings materialised so far, and the
    warnings on them: sittings on a public holiday or a 调休 working day (one note each, in
    order) and the years among them with no holiday data. Unpacks as ``(series_id,
    meetings)``, the pair it returned before the warnings."""

    series_id: int
    meetings: list[c.Meeting]
    holidays: tuple[HolidayNote, ...] = ()
    years_without_holiday_data: tuple[int, ...] = ()

    def __iter__(self) -> Iterator[object]:
        return iter((self.series_id, self.meetings))


@frozen
class SeriesInfo:
    """A series' template as stored: the rule text, its start and its version."""

    id: int
    branch_id: int
    group_id: int | None
    rrule: str
    dtstart: datetime
    title: str
    place: str
    version: int


@frozen
class MyMeeting:
    """One of the member's own coming sittings, as "我的记录" shows it."""

    meeting: c.Meeting
    status: AttendanceStatus | None  # my mark, if any
    method: MarkMethod | None
    marked_at: datetime | None
    leave: c.LeaveRequest | None  # my latest leave request for it
    may_ask_leave: bool  # planned, not started, no pending or approved request
    may_withdraw: bool  # my request is still pending
    signs_in: bool  # open now and I am not marked present: 签到 is the thing to do
    self_signin: bool  # the recorder allows self sign-in


def member_leave(member_id: int) -> list[c.LeaveRequest]:
    """A member's leave requests, newest meeting first, with names (no permission check:
    ``MeetingService.member_leave`` and the member page's dossier check). Caller reads."""
    return convert.leave_requests(m.LeaveRequest.member == member_id,
                                  m.Meeting.planned_start.desc(), m.LeaveRequest.id.desc())
