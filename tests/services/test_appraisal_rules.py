"""民主评议 in the services (issue 11, items 6 and 13), on both backends: one base for the
优秀 cap (everyone who can be graded that year, as the screen counts it), and grades locked
once the year's 组织生活会 is sealed, changed afterwards only with a reason, as an addendum."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from branchtui.core.enums import Grade, Obligation
from branchtui.core.errors import ValidationError
from branchtui.i18n import set_language
from branchtui.store import models as m
from tests.factories import GAPS_REASON, build_world, draft


@pytest.fixture
def world(svc):
    return build_world(svc)


def gradable(w, year: int) -> list[int]:
    roster = w.svc.minutes.appraisal_roster(w.secretary, w.branch_id, year)
    return [e.member_id for e in roster.entries if not e.probationary]


def test_a_single_excellent_saved_first_is_accepted(world):
    """The issue's reproduction: the service counted only those graded so far (cap 0)."""
    w, svc = world, world.svc
    first = gradable(w, 2026)[0]
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {first: Grade.EXCELLENT})
    assert [(a.member_id, a.grade) for a in svc.minutes.grades(w.secretary, w.branch_id, 2026)
            ] == [(first, Grade.EXCELLENT)]


def test_the_screen_and_the_service_use_one_base(world):
    """Saving 优秀 one at a time: the service accepts exactly the roster's cap, then refuses
    with the same base the screen shows."""
    w, svc = world, world.svc
    roster = svc.minutes.appraisal_roster(w.secretary, w.branch_id, 2026)
    ids = gradable(w, 2026)
    cap = roster.cap(len(ids))
    assert cap >= 1, ids
    for mid in ids[:cap]:
        svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {mid: Grade.EXCELLENT})
    with pytest.raises(ValidationError) as err:
        svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {ids[cap]: Grade.EXCELLENT})
    assert err.value.key == "appraisal.excellent_over_cap"
    assert err.value.params == {"excellent": cap + 1, "cap": cap, "graded": len(ids)}


def sealed_org_life(w, clock, report_year: int, start: datetime) -> int:
    svc = w.svc
    saved = clock.current
    clock.current = start - timedelta(days=3)
    d = draft(w, start, Obligation.ORG_LIFE, Obligation.APPRAISAL,
              title=f"{report_year}年度组织生活会[/]")
    mtg = svc.meetings.schedule(w.secretary, d)
    clock.current = start
    svc.meetings.open(w.recorder, mtg.id)
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
    svc.meetings.seal(w.secretary, mtg.id)
    clock.current = saved
    assert m.Meeting.get_by_id(mtg.id).report_year == report_year
    return mtg.id


def test_last_years_grades_are_locked_once_its_org_life_is_sealed(world, clock):
    """Item 13: grades of 2025 set at its 组织生活会 in January 2026, changed today."""
    w, svc = world, world.svc
    a, b = gradable(w, 2025)[:2]
    clock.current = datetime(2026, 1, 20, 9)
    svc.minutes.set_grades(w.secretary, w.branch_id, 2025,
                           {a: Grade.EXCELLENT, b: Grade.QUALIFIED})
    sealed_org_life(w, clock, 2025, datetime(2026, 1, 23, 14))
    clock.current = datetime(2026, 11, 27, 9)
    with pytest.raises(ValidationError) as err:
        svc.minutes.set_grades(w.secretary, w.branch_id, 2025, {b: Grade.EXCELLENT})
    assert err.value.key == "appraisal.locked"
    assert "2025" in err.value.message() and "理由" in err.value.message()
    set_language("en")
    assert "reason" in err.value.message() and "sealed" in err.value.message()
    set_language("zh")
    # Saving an unchanged grade needs no reason; nothing changed.
    svc.minutes.set_grades(w.secretary, w.branch_id, 2025, {a: Grade.EXCELLENT})
    with pytest.raises(ValidationError):
        svc.minutes.set_grades(w.secretary, w.branch_id, 2025, {b: Grade.BASIC}, reason="  ")
    assert {x.member_id: x.grade for x in svc.minutes.grades(
        w.secretary, w.branch_id, 2025)} == {a: Grade.EXCELLENT, b: Grade.QUALIFIED}
    # With a reason: changed, and the addendum is in the change log with the reason.
    svc.minutes.set_grades(w.secretary, w.branch_id, 2025, {b: Grade.BASIC},
                           reason="录入错误，经支委会复核更正[@click=app.quit]x[/]")
    assert {x.member_id: x.grade for x in svc.minutes.grades(
        w.secretary, w.branch_id, 2025)}[b] is Grade.BASIC
    row = (m.ChangeLog.select().where(m.ChangeLog.action == "appraisal.addendum")
           .order_by(m.ChangeLog.id.desc()).first())
    assert row is not None and "经支委会复核更正" in row.data, row
    assert "qualified" in row.data and "basic" in row.data, row.data


def test_this_years_grades_stay_open_until_sealed(world, clock):
    w, svc = world, world.svc
    a = gradable(w, 2026)[0]
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {a: Grade.QUALIFIED})
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {a: Grade.EXCELLENT})
    # A sealed round of another year does not lock this one.
    sealed_org_life(w, clock, 2025, datetime(2026, 1, 23, 14))
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026, {a: Grade.QUALIFIED})
