"""Recurring series (issue 11, items 5 and 10): each occurrence's own title and report
year, an end date or a count, holiday warnings, and re-titling the future occurrences.
On both backends (``svc`` runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from branchtui.core import recurrence
from branchtui.core.enums import MeetingStatus, Obligation
from branchtui.core.errors import ValidationError
from branchtui.core.holidays import DayKind
from branchtui.store import models as m
from tests.conftest import HOSTILE, HOSTILE_LINK
from tests.factories import build_world, draft

THEME = recurrence.monthly_nth_weekday(1, 4)  # 每月第一个星期五
PATTERN = "{year}年{month}月主题党日"


@pytest.fixture
def world(svc):
    return build_world(svc)


def series_meetings(w, series_id: int):
    return sorted((mtg for mtg in w.svc.meetings.find(w.secretary, w.branch_id)
                   if mtg.series_id == series_id), key=lambda mtg: mtg.planned_start)


def test_each_occurrence_has_its_own_title_in_lists_and_the_member_page(world, clock):
    """Item 10: "2026年12月主题党日" was carried by the January to June sittings."""
    svc, w = world.svc, world
    series_id, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title=PATTERN), THEME)
    titles = [mtg.title for mtg in made]
    assert titles[:7] == ["2026年12月主题党日", "2027年1月主题党日", "2027年2月主题党日",
                          "2027年3月主题党日", "2027年4月主题党日", "2027年5月主题党日",
                          "2027年6月主题党日"][:len(titles)]
    assert len(titles) >= 6
    assert [mtg.title for mtg in series_meetings(w, series_id)] == titles
    # The member page lists each with its own title.
    history = {h.meeting_id: h.title for h in svc.queries.member_history(
        w.member, w.member.member_id)}
    assert {mtg.id: history.get(mtg.id) for mtg in made} == {mtg.id: mtg.title for mtg in made}
    # Occurrences materialised later follow the pattern too.
    clock.advance(days=200)
    later = svc.meetings.extend_series(w.secretary, series_id)
    assert later and all(mtg.title == f"{mtg.planned_start.year}年{mtg.planned_start.month}月主题党日"
                         for mtg in later)


def test_a_fixed_title_stays_fixed_and_hostile_text_is_kept(world):
    """A pattern without placeholders is a fixed title: series stored before patterns."""
    svc, w = world.svc, world
    fixed = HOSTILE_LINK + "每月主题党日" + HOSTILE + "{二十大}"
    made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title=fixed), THEME)
    assert {mtg.title for mtg in made.meetings} == {fixed}
    with pytest.raises(ValidationError) as err:
        svc.meetings.create_series(
            w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title="{yaer}年主题党日"),
            THEME)
    assert err.value.key == "series.unknown_placeholder"


def test_number_and_quarter_placeholders(world, clock):
    svc, w = world.svc, world
    made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 26, 9), Obligation.PARTY_LECTURE,
                           title="{year}年第{quarter}季度党课（第{n}次）"),
        recurrence.quarterly_last_weekday(5))
    assert [mtg.title for mtg in made.meetings] == [
        "2026年第4季度党课（第1次）", "2027年第1季度党课（第2次）"]
    # A cancelled occurrence keeps its number: the next one is still the third.
    svc.meetings.cancel(w.secretary, made.meetings[1].id, made.meetings[1].version, "合并")
    clock.advance(days=200)
    later = svc.meetings.extend_series(w.secretary, made.series_id)
    assert [mtg.title for mtg in later][:1] == ["2027年第2季度党课（第3次）"]


def test_org_life_series_stamps_each_occurrence_with_its_own_report_year(world, clock):
    """Item 5: every occurrence carried the first one's report year (and those made
    later by extend_series carried none)."""
    svc, w = world.svc, world
    series_id, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 18, 9), Obligation.ORG_LIFE,
                           Obligation.APPRAISAL, title="组织生活会"),
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=18")
    days = [mtg.planned_start.date() for mtg in made]
    assert days == [date(2026, 12, 18), date(2027, 2, 18), date(2027, 4, 18)]

    def report_years() -> dict[date, int | None]:
        rows = m.Meeting.select(m.Meeting.planned_start, m.Meeting.report_year).where(
            m.Meeting.series == series_id)
        return {row.planned_start.date(): row.report_year for row in rows}

    # Held in the first three months of 2027 (the grace window): still report year 2026.
    assert report_years() == {date(2026, 12, 18): 2026, date(2027, 2, 18): 2026,
                              date(2027, 4, 18): 2027}
    clock.advance(days=200)
    svc.meetings.extend_series(w.secretary, series_id)
    years = report_years()
    assert years[date(2027, 6, 18)] == 2027 and years[date(2027, 8, 18)] == 2027
    # A series of other kinds has no report year, as a one-off sitting of them has none.
    _sid, theme = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title="主题党日"), THEME)
    assert {m.Meeting.get_by_id(mtg.id).report_year for mtg in theme} == {None}


def test_a_series_ends_at_a_date_or_after_a_count(world, clock):
    svc, w = world.svc, world
    until = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title=PATTERN), THEME,
        until=date(2027, 3, 31))
    assert [mtg.planned_start.date() for mtg in until.meetings] == [
        date(2026, 12, 4), date(2027, 1, 1), date(2027, 2, 5), date(2027, 3, 5)]
    assert svc.meetings.series_info(w.secretary, until.series_id).rrule.endswith(
        "UNTIL=20270331")
    counted = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 11, 19), title="第{n}次学习"),
        recurrence.monthly_nth_weekday(2, 4), count=3)
    assert [mtg.title for mtg in counted.meetings] == ["第1次学习", "第2次学习", "第3次学习"]
    clock.advance(days=400)
    assert svc.meetings.extend_series(w.secretary, until.series_id) == []
    assert svc.meetings.extend_series(w.secretary, counted.series_id) == []
    for bad in ({"until": date(2026, 12, 1)}, {"count": 0},
                {"until": date(2027, 3, 31), "count": 3}):
        with pytest.raises(ValidationError):
            svc.meetings.create_series(
                w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title=PATTERN), THEME,
                **bad)


def test_the_result_warns_of_new_years_day_and_years_without_data(world):
    """Item 10: the occurrence on 元旦 (Friday 1 January 2027) got no hint."""
    svc, w = world.svc, world
    made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title=PATTERN), THEME)
    assert [n.day for n in made.holidays] == [date(2027, 1, 1)]
    note = made.holidays[0]
    assert note.kind is DayKind.HOLIDAY and note.name == "new_years_day"
    # A warning, not a refusal: the sitting is there, planned.
    jan = [mtg for mtg in made.meetings if mtg.planned_start.date() == date(2027, 1, 1)]
    assert len(jan) == 1 and jan[0].status is MeetingStatus.PLANNED
    assert set(made.years_without_holiday_data) <= {2027}
    # The result still unpacks as (series id, meetings).
    sid, meetings = made
    assert sid == made.series_id and meetings == made.meetings


def test_updating_the_title_retitles_only_future_unopened_occurrences(world, clock):
    svc, w = world.svc, world
    fixed = "2026年12月主题党日"  # what the form used to store: the first one's title
    series_id, made = svc.meetings.create_series(
        w.secretary, draft(w, datetime(2026, 12, 4, 14, 30), title=fixed), THEME)
    first, second, third = made[:3]
    # The December sitting is held; the February one was renamed by hand.
    clock.current = first.planned_start
    svc.meetings.open(w.recorder, first.id)
    renamed = svc.meetings.reschedule(w.secretary, third.id, third.version,
                                      title="2027年2月主题党日暨春节慰问")
    info = svc.meetings.series_info(w.secretary, series_id)
    changed = svc.meetings.update_series(w.secretary, series_id, info.version,
                                         title=PATTERN + HOSTILE)
    assert first.id not in {mtg.id for mtg in changed}
    now = {mtg.id: mtg for mtg in series_meetings(w, series_id)}
    assert now[first.id].title == fixed and now[first.id].status is MeetingStatus.OPEN
    assert now[second.id].title == "2027年1月主题党日" + HOSTILE
    assert now[third.id].title == renamed.title
    for mtg in made[3:]:
        start = mtg.planned_start
        assert now[mtg.id].title == f"{start.year}年{start.month}月主题党日{HOSTILE}"
    assert svc.meetings.series_info(w.secretary, series_id).title == PATTERN + HOSTILE
    # Later occurrences follow the new pattern too.
    clock.current = datetime(2027, 6, 1, 9)
    later = svc.meetings.extend_series(w.secretary, series_id)
    assert later and all(mtg.title.endswith("月主题党日" + HOSTILE) for mtg in later)
    # A place-only change leaves the titles alone.
    info = svc.meetings.series_info(w.secretary, series_id)
    svc.meetings.update_series(w.secretary, series_id, info.version, place="新地点")
    assert series_meetings(w, series_id)[-1].title == later[-1].title
    with pytest.raises(ValidationError):
        svc.meetings.update_series(w.secretary, series_id, info.version + 1,
                                   title="{yaer}年主题党日")


def test_group_series_titles_follow_the_pattern_per_group(world):
    svc, w = world.svc, world
    made = svc.meetings.create_group_series(
        w.secretary, draft(w, datetime(2026, 12, 10, 19), Obligation.GROUP_MEETING,
                           title="{year}年{month}月党小组会"),
        recurrence.monthly_on_day(10), count=2)
    assert len(made) == len(w.group_ids)
    for result in made:
        assert len(result.meetings) == 2
        assert result.meetings[0].title.endswith("2026年12月党小组会")
        assert result.meetings[1].title.endswith("2027年1月党小组会")
