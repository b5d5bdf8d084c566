"""Meetings: each branch's sittings over the history and the planning window (主题党日 as
a series, 支委会, 党小组会, 党课, 党员大会, 组织生活会), who runs them, their numbers and
rows; then, sitting by sitting, the roll and the record (attendance, content, 组织生活会).

Branches are written one after another, each from a random stream of its own, so that
only one branch's sittings are held in memory."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from branchtui.core.enums import MeetingStatus, Obligation
from branchtui.demo import words as W
from branchtui.demo.generate import attendance, content, orglife
from branchtui.demo.generate.dates import (
    is_holiday,
    month_start,
    nth_weekday,
    quarter,
    weekday_on_or_after,
    within,
)
from branchtui.demo.generate.plan import Branch, Sitting
from branchtui.demo.generate.world import World
from branchtui.store.models import Attendance, Meeting, MeetingObligation, Series, SeriesException

THEME_RRULE = "FREQ=MONTHLY;BYDAY=1FR"
THEME_TITLE = "{year}年{month}月主题党日"  # the series' title pattern (core.series)
SILENT_DAYS = 46  # the silent branch has had no activity for this long
# Sittings starting at the same time: in this order (then by group).
_KIND_ORDER = {
    "committee": 0,
    "theme": 1,
    "special": 1,
    "general": 1,
    "study": 2,
    "org_life": 3,
    "group": 4,
    "skip": 5,
}


def write_branches(w: World) -> None:
    """Every branch's meetings and records, with a progress line every tenth of them."""
    n = len(w.branches)
    step = max(1, n // 10)
    for k, branch in enumerate(w.branches):
        rng = random.Random(f"{w.seed}/meetings/{branch.index}")
        write_branch(w, branch, rng)
        if (k + 1) % step == 0 or k + 1 == n:
            rows = w.sink.counts["attendance"] + w.sink.buffered(Attendance)
            w.progress(f"branches {k + 1}/{n}: {rows} attendance rows")


def write_branch(w: World, branch: Branch, rng: random.Random) -> None:
    plan = _Planner(w, branch, rng).sittings()
    series_id = _write_series(w, branch, plan)
    meetings = _number(w, branch, plan, series_id, rng)
    org_lives = [m for m in meetings if m.kind == "org_life"]
    for prev, nxt in itertools.pairwise(org_lives):
        nxt.reviews = prev.id
    for mtg in meetings:
        _write_meeting(w, branch, mtg)
    _write_records(w, branch, meetings, org_lives, rng)
    if branch.index < 10:
        attendance.leave_requests(w, branch, meetings, rng)


# -- the plan of one branch -------------------------------------------------------------------


class _Planner:
    """Every sitting of one branch over the history and the planning window, month by
    month, in the order its random stream is drawn: 主题党日, 支委会, 党小组会, 党课,
    党员大会, 组织生活会."""

    def __init__(self, w: World, branch: Branch, rng: random.Random) -> None:
        self.w = w
        self.branch = branch
        self.rng = rng
        self.evening = branch.evening
        self.dil = branch.diligence
        self.last_full_month = month_start(w.today) - relativedelta(months=1)
        self.gap_month = month_start(w.today) - relativedelta(months=2)
        self.org_life_days: dict[int, date] = {}
        self.out: list[Sitting] = []

    def sittings(self) -> list[Sitting]:
        w = self.w
        for year in range(w.history_start.year, w.horizon.year + 1):
            self.org_life_days[year] = weekday_on_or_after(
                date(year, 1, 8) + timedelta(days=self.rng.randint(0, 48))
            )
        for year, month in self._months():
            self._theme_day(year, month)
            self._committee(year, month)
            self._groups(year, month)
            self._study(year, month)
            self._general(year, month)
            self._org_life(year, month)
        if self.branch.index == 0:
            self._special()
        return self._kept()

    def _months(self) -> Iterator[tuple[int, int]]:
        day = month_start(self.w.history_start)
        end = month_start(self.w.horizon)
        while day <= end:
            yield day.year, day.month
            day += relativedelta(months=1)

    @staticmethod
    def _at(day: date, hour: int, minute: int, minutes: int) -> tuple[datetime, datetime]:
        start = datetime.combine(day, time(hour, minute))
        return start, start + timedelta(minutes=minutes)

    def _theme_day(self, year: int, month: int) -> None:
        """主题党日 on the first Friday (the series' occurrence), sometimes moved or skipped;
        in the last month of a quarter also the 党员大会 and 党课."""
        rng = self.rng
        quarter_end = month % 3 == 0
        series_day = nth_weekday(year, month, 4, 1)
        if rng.random() < 0.985 * self.dil + 0.015:
            day = series_day
            if is_holiday(series_day):
                day = series_day + timedelta(days=7)
            elif rng.random() < 0.05:
                day = series_day + timedelta(days=rng.choice((1, 7)))
            hour, minute, minutes = (19, 0, 90) if self.evening else (14, 30, 90)
            if quarter_end:
                minutes = 150
            start, end = self._at(day, hour, minute, minutes)
            title = f"{year}年{month}月主题党日"
            obligations: tuple[str, ...] = (Obligation.THEME_DAY.value,)
            if quarter_end:
                title += f"暨{W.QUARTER_WORDS[quarter(month)]}党员大会、党课"
                obligations += (Obligation.GENERAL_MEETING.value, Obligation.PARTY_LECTURE.value)
            mtg = Sitting("theme", day, start, end, obligations, title)
            mtg.series_date = series_day
            self.out.append(mtg)
        elif rng.random() < 0.4:
            midnight = datetime.combine(series_day, time())
            self.out.append(Sitting("skip", series_day, midnight, midnight, ()))

    def _committee(self, year: int, month: int) -> None:
        """支委会 on the second Tuesday (branch 3 missed last month's)."""
        branch = self.branch
        if branch.has_committee and self.rng.random() < self.dil:
            if branch.index == 2 and date(year, month, 1) == self.last_full_month:
                return
            day = nth_weekday(year, month, 1, 2)
            start, end = self._at(day, 18, 30, 60) if self.evening else self._at(day, 9, 30, 60)
            obligations = (Obligation.COMMITTEE_MEETING.value,)
            self.out.append(Sitting("committee", day, start, end, obligations, ""))

    def _groups(self, year: int, month: int) -> None:
        """党小组会 in the third week, per group."""
        branch = self.branch
        dil = self.dil
        first_day = date(year, month, 1)
        for k, gid in enumerate(branch.group_ids):
            if self.rng.random() >= 0.97 * dil + 0.03 * (dil == 1.0):
                continue
            last = k == len(branch.group_ids) - 1
            if branch.index == 0 and last and first_day == self.gap_month and k > 0:
                continue  # branch 1 missed one group meeting: an overdue item
            if branch.index == 2 and k == 0 and first_day == self.last_full_month:
                continue
            day = nth_weekday(year, month, branch.group_weekday[gid], 3)
            start, end = self._at(day, 19, 0, 60) if self.evening else self._at(day, 9, 30, 60)
            title = f"{branch.group_names[k]}{year}年{month}月党小组会"
            obligations = (Obligation.GROUP_MEETING.value,)
            self.out.append(Sitting("group", day, start, end, obligations, title, group=gid))

    def _study(self, year: int, month: int) -> None:
        """A separate 党课/集中学习 on the third Friday."""
        rng = self.rng
        if rng.random() < self.w.profile.study_rate * self.dil:
            day = nth_weekday(year, month, 4, 3)
            start, end = self._at(day, 19, 0, 90) if self.evening else self._at(day, 14, 30, 90)
            topic = rng.choice(W.STUDY_TOPICS)
            title = f"{year}年{month}月党课：{topic}"
            obligations = (Obligation.PARTY_LECTURE.value,)
            self.out.append(Sitting("study", day, start, end, obligations, title))

    def _general(self, year: int, month: int) -> None:
        """A separate 党员大会 in the middle month of the quarter (发展党员, 评先, 党费)."""
        if month % 3 == 2 and self.rng.random() < self.w.profile.general_rate * self.dil:
            day = nth_weekday(year, month, 2, 4)
            start, end = self._at(day, 19, 0, 90) if self.evening else self._at(day, 14, 30, 90)
            obligations = (Obligation.GENERAL_MEETING.value,)
            title = f"{year}年{month}月党员大会"
            self.out.append(Sitting("general", day, start, end, obligations, title))

    def _org_life(self, year: int, month: int) -> None:
        """组织生活会 + 民主评议 for the previous report year, in January or February."""
        day = self.org_life_days.get(year)
        if day is None or day.month != month or day < self.w.history_start:
            return
        start, end = self._at(day, 9, 0, 180)
        obligations = (Obligation.ORG_LIFE.value, Obligation.APPRAISAL.value)
        mtg = Sitting("org_life", day, start, end, obligations, f"{year - 1}年度组织生活会暨民主评议党员")
        mtg.report_year = year - 1
        self.out.append(mtg)

    def _special(self) -> None:
        """Branch 1's 党员大会 two days ahead, to discuss an admission."""
        day = weekday_on_or_after(self.w.today + timedelta(days=2))
        start, end = self._at(day, 19, 0, 90)
        obligations = (Obligation.GENERAL_MEETING.value,)
        title = f"{day.year}年{day.month}月党员大会（讨论发展党员）"
        self.out.append(Sitting("special", day, start, end, obligations, title))

    def _kept(self) -> list[Sitting]:
        """The sittings within the history and the planning window (the silent branch's
        recent ones dropped), in the order they start."""
        w = self.w
        after_horizon = w.horizon + timedelta(days=1)
        silent_from = w.today - timedelta(days=SILENT_DAYS)
        kept = [
            mtg
            for mtg in self.out
            if within(mtg.day, w.history_start, after_horizon)
            and not (self.branch.silent and within(mtg.day, silent_from, None))
        ]
        kept.sort(key=lambda m: (m.start, _KIND_ORDER[m.kind], m.group or 0))
        return kept


# -- numbers, staff and rows -----------------------------------------------------------------


def _write_series(w: World, branch: Branch, plan: list[Sitting]) -> int:
    """The branch's 主题党日 series, from its first sitting (held or skipped)."""
    series = w.sink.table(Series)
    series_id = series.next_id()
    first_theme = next((m for m in plan if m.kind in ("theme", "skip")), None)
    dtstart_day = first_theme.series_date or first_theme.day if first_theme else w.history_start
    hour, minute = (19, 0) if branch.evening else (14, 30)
    series.add(
        id=series_id,
        branch=branch.org_id,
        rrule=THEME_RRULE,
        dtstart=datetime.combine(dtstart_day, time(hour, minute)),
        duration_minutes=90,
        title=THEME_TITLE,  # each sitting's own title: 2026年12月主题党日
        obligations=Obligation.THEME_DAY.value,
        place=branch.place,
        convener=branch.secretary,
        moderator=branch.secretary,
        recorder=branch.recorder,
        created_at=w.setup_at,
    )
    return series_id


def _number(
    w: World, branch: Branch, plan: list[Sitting], series_id: int, rng: random.Random
) -> list[Sitting]:
    """Ids, staff and 第X次 of the sittings held or planned (skipped ones are exceptions of
    the series), the series' exceptions for moved sittings."""
    meeting_ids = w.sink.table(Meeting)
    exceptions = w.sink.table(SeriesException)
    numbers: Counter[tuple[str, int | None, int]] = Counter()
    meetings: list[Sitting] = []
    for mtg in plan:
        if mtg.kind == "skip":
            if mtg.day < w.today:
                note = rng.choice(("春节假期暂停", "台风天气取消", "与街道集中活动合并"))
                exceptions.add(
                    id=exceptions.next_id(),
                    series=series_id,
                    original_date=mtg.day,
                    skipped=True,
                    note=note,
                )
            continue
        mtg.id = meeting_ids.next_id()
        _staff(w, branch, mtg, rng)
        # 第X次 as the services number it: per first obligation, group and year, in
        # date order (the plan is sorted by start).
        key = (mtg.obligations[0], mtg.group, mtg.day.year)
        numbers[key] += 1
        mtg.number = numbers[key]
        if mtg.kind == "committee":
            # The number is not part of the name: a planned sitting's number follows
            # the date order of what is scheduled later (the record shows 第X次).
            mtg.title = f"{mtg.day.year}年{mtg.day.month}月支部委员会会议"
        if mtg.kind == "theme":
            mtg.series_id = series_id
            if mtg.series_date != mtg.day and mtg.day < w.today:
                exceptions.add(
                    id=exceptions.next_id(),
                    series=series_id,
                    original_date=mtg.series_date,
                    skipped=False,
                    note=f"改期至{mtg.day.month}月{mtg.day.day}日",
                )
        meetings.append(mtg)
    return meetings


def _staff(w: World, branch: Branch, mtg: Sitting, rng: random.Random) -> None:
    """Convener, moderator, recorder, place, status and timestamps of one sitting."""
    if mtg.kind == "group":
        assert mtg.group is not None
        mtg.convener = mtg.moderator = branch.group_leader[mtg.group]
        mtg.recorder = branch.group_recorder[mtg.group]
        mtg.place = branch.group_place[mtg.group]
    else:
        mtg.convener = branch.secretary
        mtg.moderator = branch.secretary
        if mtg.kind == "study" and branch.propaganda and rng.random() < 0.5:
            mtg.moderator = branch.propaganda
        elif branch.deputy and rng.random() < 0.1:
            mtg.moderator = branch.deputy
        mtg.recorder = branch.recorder
        mtg.place = branch.place
        if mtg.kind == "theme" and rng.random() < 0.15:
            mtg.place = f"{branch.community_name}{rng.choice(W.GROUP_PLACES)}"
    if mtg.day < w.today:
        mtg.opened_at = mtg.start + timedelta(minutes=rng.randint(-5, 8))
        minutes = int((mtg.end - mtg.start).total_seconds() // 60)
        mtg.closed_at = mtg.opened_at + timedelta(minutes=minutes + rng.randint(-15, 20))
        mtg.status = MeetingStatus.CLOSED.value
        if mtg.day < w.today - timedelta(days=10) and rng.random() < 0.92:
            mtg.status = MeetingStatus.SEALED.value
            mtg.sealed_at = mtg.closed_at + timedelta(minutes=rng.randint(20, 60 * 48))
        mtg.created_at = mtg.start - timedelta(days=rng.randint(4, 20), minutes=rng.randint(0, 600))
    else:
        mtg.created_at = min(
            mtg.start - timedelta(days=rng.randint(4, 20), minutes=rng.randint(0, 600)),
            w.now - timedelta(hours=rng.randint(2, 200)),
        )
        if branch.index == 0:
            mtg.allow_self_signin = mtg.kind != "group"
    mtg.created_at = max(mtg.created_at, w.setup_at)


def _write_meeting(w: World, branch: Branch, mtg: Sitting) -> None:
    """The Meeting row and its obligations."""
    digest = None
    if mtg.sealed_at is not None:
        digest = hashlib.sha256(
            f"demo-seal|{mtg.id}|{mtg.title}|{mtg.closed_at}".encode()
        ).hexdigest()
    # Every demo sitting was entered before its date: no 补录 (late_at, late_reason).
    w.sink.table(Meeting).add(
        id=mtg.id,
        branch=branch.org_id,
        group=mtg.group,
        title=mtg.title,
        number=mtg.number,
        planned_start=mtg.start,
        planned_end=mtg.end,
        opened_at=mtg.opened_at,
        closed_at=mtg.closed_at,
        sealed_at=mtg.sealed_at,
        seal_digest=digest,
        place=mtg.place,
        convener=mtg.convener,
        moderator=mtg.moderator,
        recorder=mtg.recorder,
        status=mtg.status,
        series=mtg.series_id,
        series_date=mtg.series_date,
        report_year=mtg.report_year,
        allow_self_signin=mtg.allow_self_signin,
        reviews=mtg.reviews,
        created_at=mtg.created_at,
        created_by=mtg.convener,
    )
    obligations = w.sink.table(MeetingObligation)
    for obligation in mtg.obligations:
        obligations.add(
            id=obligations.next_id(),
            meeting=mtg.id,
            obligation=obligation,
            branch=branch.org_id,
            day=mtg.day,
        )


def _write_records(
    w: World,
    branch: Branch,
    meetings: list[Sitting],
    org_lives: list[Sitting],
    rng: random.Random,
) -> None:
    """Sitting by sitting: the roll, then what was held gets its record. Recent sittings
    (``content_months``) and the detailed 组织生活会 rounds in full, a share of the older
    ones in brief; every 组织生活会 its 民主评议 grades."""
    profile = w.profile
    content_from = w.today - relativedelta(months=profile.content_months)
    past_org_lives = [m for m in org_lives if m.past]
    rounds = profile.org_life_rounds
    detailed = {m.id for m in (past_org_lives if rounds is None else past_org_lives[-rounds:])}
    next_round = {a.id: b for a, b in itertools.pairwise(org_lives)}
    latest_id = past_org_lives[-1].id if past_org_lives else None
    for mtg in meetings:
        roll = attendance.write_roll(w, branch, mtg, rng, detailed=mtg.day >= content_from)
        if not mtg.past:
            if mtg.kind == "special":
                content.write_agenda(w, mtg, rng, full=True)
            continue
        in_detail = mtg.kind == "org_life" and mtg.id in detailed
        if mtg.kind == "org_life":
            orglife.write_grades(w, branch, mtg, roll, rng)
            if in_detail:
                orglife.write_org_life(
                    w, branch, mtg, roll, rng, next_round.get(mtg.id), latest=mtg.id == latest_id
                )
        if mtg.day >= content_from or in_detail:
            content.write_content(w, branch, mtg, roll, rng, full=True)
        elif rng.random() < profile.content_share:
            content.write_content(w, branch, mtg, roll, rng, full=False)
