"""Compliance: which obligations a branch has met, per period."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchtui.core.compliance import (
    REASON_BEFORE_ACTIVE,
    BranchFacts,
    ComplianceSummary,
    ObligationStatus,
    Sitting,
    committee_day,
    committee_days,
    compliance,
    has_committee,
    is_silent,
    report_year_due,
    report_year_of,
    summarize,
)
from branchtui.core.enums import ComplianceState, MeetingStatus, Obligation, PeriodKind
from branchtui.core.periods import PeriodSpan, parse_period
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.i18n import CATALOGUE, t

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

S = ComplianceState
Ob = Obligation
M = MeetingStatus

BRANCH = BranchFacts(branch_id=1, has_committee=True, group_ids=(11, 12))
SMALL = BranchFacts(branch_id=2, has_committee=False, group_ids=())


def sit(
    mid: int,
    day: date,
    *obligations: Obligation,
    group: int | None = None,
    status: MeetingStatus = M.CLOSED,
    report_year: int | None = None,
) -> Sitting:
    return Sitting(mid, day, frozenset(obligations), group, status, report_year)


def rows_for(
    rows: list[ObligationStatus], obligation: Obligation, group: int | None = None
) -> list[ObligationStatus]:
    return [r for r in rows if r.obligation is obligation and r.group_id == group]


def only(rows: list[ObligationStatus], obligation: Obligation, group: int | None = None):
    found = rows_for(rows, obligation, group)
    assert len(found) == 1, found
    return found[0]


# -- helpers -----------------------------------------------------------------------------


def test_report_year_of() -> None:
    assert report_year_of(date(2027, 2, 10), DEFAULT_RULES) == 2026
    assert report_year_of(date(2027, 3, 31), DEFAULT_RULES) == 2026
    assert report_year_of(date(2027, 4, 1), DEFAULT_RULES) == 2027
    assert report_year_of(date(2026, 12, 20), DEFAULT_RULES) == 2026
    no_grace = DEFAULT_RULES.merged({"org_life_grace_months": 0})
    assert report_year_of(date(2027, 1, 5), no_grace) == 2027


def test_report_year_due() -> None:
    assert report_year_due(2026, DEFAULT_RULES) == date(2027, 3, 31)
    assert report_year_due(2026, DEFAULT_RULES.merged({"org_life_grace_months": 0})) == date(
        2026, 12, 31
    )
    assert report_year_due(2026, DEFAULT_RULES.merged({"org_life_grace_months": 2})) == date(
        2027, 2, 28
    )


def test_is_silent() -> None:
    today = date(2026, 11, 30)
    assert is_silent(None, today)
    assert not is_silent(today, today)
    assert not is_silent(today - timedelta(days=30), today)
    assert is_silent(today - timedelta(days=31), today)
    strict = DEFAULT_RULES.merged({"silent_days": 7})
    assert is_silent(today - timedelta(days=8), today, strict)


def test_has_committee() -> None:
    assert has_committee(None, 7)
    assert not has_committee(None, 6)
    assert not has_committee(False, 40)
    assert has_committee(True, 3)
    assert has_committee(None, 5, DEFAULT_RULES.merged({"committee_min_full_members": 5}))


# -- shape of the result -----------------------------------------------------------------


def test_quarter_window_rows() -> None:
    rows = compliance(BRANCH, [], parse_period("2026-Q4"), date(2026, 10, 1))
    counts = Counter((r.obligation, r.group_id) for r in rows)
    assert counts[(Ob.GENERAL_MEETING, None)] == 1
    assert counts[(Ob.COMMITTEE_MEETING, None)] == 3
    assert counts[(Ob.GROUP_MEETING, 11)] == 3
    assert counts[(Ob.GROUP_MEETING, 12)] == 3
    assert counts[(Ob.PARTY_LECTURE, None)] == 1
    assert counts[(Ob.THEME_DAY, None)] == 3
    assert counts[(Ob.ORG_LIFE, None)] == 1
    assert counts[(Ob.APPRAISAL, None)] == 1
    assert len(rows) == 16
    assert all(r.state is S.OPEN for r in rows)


def test_sorted_by_obligation_group_and_period() -> None:
    rows = compliance(BRANCH, [], parse_period("2026"), date(2026, 1, 1))
    order = list(Obligation)
    keys = [(order.index(r.obligation), r.group_id or 0, r.period.starts) for r in rows]
    assert keys == sorted(keys)
    assert [r.obligation for r in rows][:4] == [Ob.GENERAL_MEETING] * 4


def test_obligation_without_frequency_is_skipped() -> None:
    rules = DEFAULT_RULES.merged({"frequencies": {"party_lecture": None}})
    rows = compliance(BRANCH, [], parse_period("2026-Q4"), date(2026, 10, 1), rules)
    assert not rows_for(rows, Ob.PARTY_LECTURE)


def test_frequency_from_rules() -> None:
    rules = DEFAULT_RULES.merged({"frequencies": {"party_lecture": "month"}})
    rows = compliance(BRANCH, [], parse_period("2026-Q4"), date(2026, 10, 1), rules)
    assert len(rows_for(rows, Ob.PARTY_LECTURE)) == 3


# -- states ------------------------------------------------------------------------------


def test_closed_and_sealed_meet() -> None:
    window = parse_period("2026-11")
    rows = compliance(
        BRANCH,
        [
            sit(1, date(2026, 11, 6), Ob.THEME_DAY),
            sit(2, date(2026, 11, 9), Ob.COMMITTEE_MEETING, status=M.SEALED),
        ],
        window,
        date(2026, 11, 10),
    )
    assert only(rows, Ob.THEME_DAY).state is S.MET
    assert only(rows, Ob.THEME_DAY).meeting_ids == (1,)
    assert only(rows, Ob.COMMITTEE_MEETING).state is S.MET
    assert only(rows, Ob.COMMITTEE_MEETING).meeting_ids == (2,)


def test_one_sitting_meets_three_obligations() -> None:
    sitting = sit(7, date(2026, 11, 6), Ob.THEME_DAY, Ob.GENERAL_MEETING, Ob.PARTY_LECTURE)
    rows = compliance(BRANCH, [sitting], parse_period("2026-Q4"), date(2026, 12, 31))
    assert only(rows, Ob.GENERAL_MEETING).state is S.MET
    assert only(rows, Ob.PARTY_LECTURE).state is S.MET
    theme = rows_for(rows, Ob.THEME_DAY)
    assert [r.state for r in theme] == [S.OVERDUE, S.MET, S.OPEN]
    assert theme[1].meeting_ids == (7,)
    assert only(rows, Ob.GENERAL_MEETING).meeting_ids == (7,)
    assert only(rows, Ob.PARTY_LECTURE).meeting_ids == (7,)


def test_months_become_overdue() -> None:
    sittings = [sit(1, date(2026, 11, 6), Ob.THEME_DAY)]
    rows = compliance(BRANCH, sittings, parse_period("2026-Q4"), date(2026, 12, 1))
    theme = rows_for(rows, Ob.THEME_DAY)
    assert [r.state for r in theme] == [S.OVERDUE, S.MET, S.OPEN]
    assert [r.due for r in theme] == [date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31)]
    # On the last day of the month it is still open.
    rows = compliance(BRANCH, [], parse_period("2026-10"), date(2026, 10, 31))
    assert only(rows, Ob.THEME_DAY).state is S.OPEN


def test_branch_without_committee_is_never_overdue_for_committee_meetings() -> None:
    rows = compliance(SMALL, [], parse_period("2026"), date(2030, 1, 1))
    committee = rows_for(rows, Ob.COMMITTEE_MEETING)
    assert len(committee) == 12
    assert all(r.state is S.NOT_APPLICABLE for r in committee)
    assert all(r.reason == "compliance.reason.no_committee" for r in committee)
    assert all(r.state is S.OVERDUE for r in rows_for(rows, Ob.THEME_DAY))
    # A branch without groups owes no group meetings.
    assert not rows_for(rows, Ob.GROUP_MEETING, None)
    assert not [r for r in rows if r.obligation is Ob.GROUP_MEETING]


def test_group_meetings_counted_per_group() -> None:
    sittings = [sit(1, date(2026, 11, 12), Ob.GROUP_MEETING, group=11)]
    window = parse_period("2026-11")
    rows = compliance(BRANCH, sittings, window, date(2026, 11, 20))
    assert only(rows, Ob.GROUP_MEETING, 11).state is S.MET
    assert only(rows, Ob.GROUP_MEETING, 12).state is S.OPEN
    rows = compliance(BRANCH, sittings, window, date(2026, 12, 1))
    assert only(rows, Ob.GROUP_MEETING, 11).state is S.MET
    assert only(rows, Ob.GROUP_MEETING, 12).state is S.OVERDUE


def test_group_sitting_does_not_meet_branch_obligations() -> None:
    sittings = [sit(1, date(2026, 11, 12), Ob.GROUP_MEETING, Ob.THEME_DAY, group=11)]
    rows = compliance(BRANCH, sittings, parse_period("2026-11"), date(2026, 11, 20))
    assert only(rows, Ob.THEME_DAY).state is S.OPEN
    # A group meeting tagged without a group, or for an unknown group, meets no group.
    sittings = [
        sit(2, date(2026, 11, 12), Ob.GROUP_MEETING),
        sit(3, date(2026, 11, 12), Ob.GROUP_MEETING, group=99),
    ]
    rows = compliance(BRANCH, sittings, parse_period("2026-11"), date(2026, 11, 20))
    assert only(rows, Ob.GROUP_MEETING, 11).state is S.OPEN
    assert only(rows, Ob.GROUP_MEETING, 12).state is S.OPEN


def test_cancelled_never_counts() -> None:
    sittings = [sit(1, date(2026, 11, 6), Ob.THEME_DAY, Ob.GENERAL_MEETING, status=M.CANCELLED)]
    rows = compliance(BRANCH, sittings, parse_period("2026-11"), date(2026, 11, 10))
    assert only(rows, Ob.THEME_DAY).state is S.OPEN
    assert only(rows, Ob.THEME_DAY).meeting_ids == ()
    assert only(rows, Ob.THEME_DAY).planned_ids == ()
    rows = compliance(BRANCH, sittings, parse_period("2026-11"), date(2027, 1, 10))
    assert only(rows, Ob.THEME_DAY).state is S.OVERDUE
    assert only(rows, Ob.GENERAL_MEETING).state is S.OVERDUE


def test_planned_sittings_listed_but_not_met() -> None:
    sittings = [
        sit(1, date(2026, 11, 27), Ob.THEME_DAY, status=M.PLANNED),
        sit(2, date(2026, 11, 28), Ob.THEME_DAY, status=M.PLANNED),
    ]
    window = parse_period("2026-11")
    row = only(compliance(BRANCH, sittings, window, date(2026, 11, 10)), Ob.THEME_DAY)
    assert row.state is S.OPEN
    assert row.planned_ids == (1, 2)
    assert row.meeting_ids == ()
    # A plan that was never held does not save the month.
    row = only(compliance(BRANCH, sittings, window, date(2026, 12, 2)), Ob.THEME_DAY)
    assert row.state is S.OVERDUE


def test_open_sitting_is_open_not_met_nor_overdue() -> None:
    sittings = [sit(5, date(2026, 11, 30), Ob.THEME_DAY, status=M.OPEN)]
    window = parse_period("2026-11")
    row = only(compliance(BRANCH, sittings, window, date(2026, 11, 30)), Ob.THEME_DAY)
    assert row.state is S.OPEN
    assert row.planned_ids == (5,)
    # Held in the period, record not yet closed: not overdue the morning after.
    row = only(compliance(BRANCH, sittings, window, date(2026, 12, 1)), Ob.THEME_DAY)
    assert row.state is S.OPEN
    closed = [dataclasses.replace(sittings[0], status=M.CLOSED)]
    row = only(compliance(BRANCH, closed, window, date(2026, 12, 1)), Ob.THEME_DAY)
    assert row.state is S.MET


def test_sitting_outside_the_period_does_not_count() -> None:
    sittings = [sit(1, date(2026, 10, 31), Ob.THEME_DAY), sit(2, date(2026, 12, 1), Ob.THEME_DAY)]
    row = only(
        compliance(BRANCH, sittings, parse_period("2026-11"), date(2026, 11, 5)), Ob.THEME_DAY
    )
    assert row.state is S.OPEN
    assert row.meeting_ids == ()


# -- report years ------------------------------------------------------------------------


def test_org_life_in_february_meets_previous_report_year() -> None:
    sittings = [sit(1, date(2027, 2, 10), Ob.ORG_LIFE, Ob.APPRAISAL)]
    rows = compliance(BRANCH, sittings, parse_period("2026"), date(2027, 2, 11))
    org = only(rows, Ob.ORG_LIFE)
    assert org.period == parse_period("2026")
    assert org.state is S.MET
    assert org.meeting_ids == (1,)
    assert org.due == date(2027, 3, 31)
    assert only(rows, Ob.APPRAISAL).state is S.MET
    # ... and not report year 2027.
    rows = compliance(BRANCH, sittings, parse_period("2027"), date(2027, 2, 11))
    assert only(rows, Ob.ORG_LIFE).state is S.OPEN
    assert only(rows, Ob.ORG_LIFE).due == date(2028, 3, 31)


def test_report_year_open_in_grace_then_overdue() -> None:
    window = parse_period("2026")
    assert only(compliance(BRANCH, [], window, date(2027, 1, 15)), Ob.ORG_LIFE).state is S.OPEN
    assert only(compliance(BRANCH, [], window, date(2027, 3, 31)), Ob.ORG_LIFE).state is S.OPEN
    assert only(compliance(BRANCH, [], window, date(2027, 4, 1)), Ob.ORG_LIFE).state is S.OVERDUE
    assert only(compliance(BRANCH, [], window, date(2027, 4, 1)), Ob.APPRAISAL).state is S.OVERDUE


def test_explicit_report_year_overrides_the_date() -> None:
    # Held late (May 2027) but filed for report year 2026.
    sittings = [sit(1, date(2027, 5, 10), Ob.ORG_LIFE, report_year=2026)]
    rows = compliance(BRANCH, sittings, parse_period("2026"), date(2027, 6, 1))
    assert only(rows, Ob.ORG_LIFE).state is S.MET
    # Held in December 2026 but filed for report year 2027.
    sittings = [sit(2, date(2026, 12, 28), Ob.ORG_LIFE, report_year=2027)]
    rows = compliance(BRANCH, sittings, parse_period("2026"), date(2027, 6, 1))
    assert only(rows, Ob.ORG_LIFE).state is S.OVERDUE
    rows = compliance(BRANCH, sittings, parse_period("2027"), date(2027, 6, 1))
    assert only(rows, Ob.ORG_LIFE).state is S.MET


def test_report_year_ignored_for_other_obligations() -> None:
    sittings = [sit(1, date(2027, 2, 10), Ob.ORG_LIFE, Ob.THEME_DAY, report_year=2026)]
    rows = compliance(BRANCH, sittings, parse_period("2027-02"), date(2027, 2, 11))
    assert only(rows, Ob.THEME_DAY).state is S.MET


def test_quarter_window_shows_the_report_year_it_falls_in() -> None:
    rows = compliance(BRANCH, [], parse_period("2026-Q4"), date(2026, 11, 1))
    assert only(rows, Ob.ORG_LIFE).period == parse_period("2026")


# -- active_from -------------------------------------------------------------------------


def test_no_obligation_before_active_from() -> None:
    branch = dataclasses.replace(BRANCH, active_from=date(2026, 11, 15))
    rows = compliance(branch, [], parse_period("2026-Q4"), date(2027, 6, 1))
    theme = rows_for(rows, Ob.THEME_DAY)
    assert [r.state for r in theme] == [S.NOT_APPLICABLE, S.OVERDUE, S.OVERDUE]
    assert theme[0].reason == "compliance.reason.before_active"
    # The quarter and the report year are not entirely before active_from.
    assert only(rows, Ob.GENERAL_MEETING).state is S.OVERDUE
    assert only(rows, Ob.ORG_LIFE).state is S.OVERDUE
    # A period ending exactly on active_from is entirely before it.
    branch = dataclasses.replace(BRANCH, active_from=date(2026, 11, 1))
    rows = compliance(branch, [], parse_period("2026-Q4"), date(2027, 6, 1))
    assert rows_for(rows, Ob.THEME_DAY)[0].state is S.NOT_APPLICABLE


# -- summary -----------------------------------------------------------------------------


def test_summarize() -> None:
    sittings = [sit(1, date(2026, 11, 6), Ob.THEME_DAY)]
    rows = compliance(SMALL, sittings, parse_period("2026-Q4"), date(2026, 12, 1))
    summary = summarize(rows)
    assert summary == ComplianceSummary(met=1, open=5, overdue=1, not_applicable=3)
    assert summary.total == len(rows)
    assert summarize([]) == ComplianceSummary(0, 0, 0, 0)


def test_message_keys_exist_in_both_languages() -> None:
    from branchtui.i18n.messages import compliance as messages

    assert set(messages.ZH) == set(messages.EN)
    for key in messages.ZH:
        assert key in CATALOGUE["zh"] and key in CATALOGUE["en"]
        assert CATALOGUE["zh"][key].strip() and CATALOGUE["en"][key].strip()
    for key in ("compliance.reason.no_committee", "compliance.reason.before_active"):
        assert t(key, lang="zh") != key
        assert t(key, lang="en") != key
    for state in ComplianceState:
        assert f"enum.ComplianceState.{state.value}" in CATALOGUE["zh"]
        assert f"enum.ComplianceState.{state.value}" in CATALOGUE["en"]


# -- properties --------------------------------------------------------------------------

BASE = date(2025, 1, 1)
day_in_range = st.integers(min_value=0, max_value=3 * 366).map(lambda n: BASE + timedelta(days=n))
obligation_sets = st.frozensets(st.sampled_from(list(Obligation)), min_size=1, max_size=4)
statuses = st.sampled_from(list(MeetingStatus))


@st.composite
def sittings_strategy(draw: st.DrawFn) -> list[Sitting]:
    n = draw(st.integers(min_value=0, max_value=25))
    out = []
    for mid in range(1, n + 1):
        out.append(
            Sitting(
                meeting_id=mid,
                day=draw(day_in_range),
                obligations=draw(obligation_sets),
                group_id=draw(st.sampled_from([None, None, 11, 12, 13])),
                status=draw(statuses),
                report_year=draw(st.sampled_from([None, None, None, 2025, 2026, 2027])),
            )
        )
    return out


@st.composite
def windows(draw: st.DrawFn) -> PeriodSpan:
    kind = draw(st.sampled_from(list(PeriodKind)))
    year = draw(st.integers(min_value=2025, max_value=2027))
    if kind is PeriodKind.MONTH:
        return parse_period(f"{year}-{draw(st.integers(1, 12))}")
    if kind is PeriodKind.QUARTER:
        return parse_period(f"{year}-Q{draw(st.integers(1, 4))}")
    return parse_period(str(year))


branches = st.builds(
    BranchFacts,
    branch_id=st.just(1),
    has_committee=st.booleans(),
    group_ids=st.sampled_from([(), (11,), (11, 12)]),
    active_from=st.one_of(st.none(), day_in_range),
)
rule_sets = st.sampled_from(
    [
        DEFAULT_RULES,
        DEFAULT_RULES.merged({"org_life_grace_months": 0}),
        DEFAULT_RULES.merged({"frequencies": {"party_lecture": "month", "theme_day": None}}),
    ]
)


@settings(max_examples=150, deadline=None)
@given(branches, sittings_strategy(), windows(), day_in_range, rule_sets)
def test_rows_are_consistent(
    branch: BranchFacts,
    sittings: list[Sitting],
    window: PeriodSpan,
    today: date,
    rules: RuleSet,
) -> None:
    rows = compliance(branch, sittings, window, today, rules)
    by_id = {s.meeting_id: s for s in sittings}
    order = list(Obligation)
    keys = [(order.index(r.obligation), r.group_id or 0, r.period.starts) for r in rows]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for row in rows:
        assert row.period.overlaps(window)
        assert row.period.kind is rules.frequency(row.obligation)
        assert row.due >= row.period.last_day
        if row.state is S.OVERDUE:
            assert today > row.due
            assert not row.meeting_ids
        if row.state is S.MET:
            assert row.meeting_ids
        if row.state is S.OPEN:
            assert not row.meeting_ids
        if row.state is not S.NOT_APPLICABLE and today > row.due and not row.meeting_ids:
            # Only a sitting under way keeps an expired row open.
            assert row.state is S.OVERDUE or any(by_id[m].status is M.OPEN for m in row.planned_ids)
        if row.obligation is Ob.COMMITTEE_MEETING and not branch.has_committee:
            assert row.state is S.NOT_APPLICABLE
        if row.obligation is Ob.GROUP_MEETING:
            assert row.group_id in branch.group_ids
        else:
            assert row.group_id is None
        for mid in row.meeting_ids:
            assert by_id[mid].status in (M.CLOSED, M.SEALED)
            assert row.obligation in by_id[mid].obligations
        for mid in row.planned_ids:
            assert by_id[mid].status in (M.PLANNED, M.OPEN)
        assert not set(row.meeting_ids) & set(row.planned_ids)


@settings(max_examples=150, deadline=None)
@given(
    branches,
    sittings_strategy(),
    windows(),
    day_in_range,
    rule_sets,
    day_in_range,
    obligation_sets,
    st.sampled_from([None, 11, 12]),
    st.sampled_from([M.CLOSED, M.SEALED]),
)
def test_adding_a_held_sitting_is_monotone(
    branch: BranchFacts,
    sittings: list[Sitting],
    window: PeriodSpan,
    today: date,
    rules: RuleSet,
    extra_day: date,
    extra_obligations: frozenset[Obligation],
    extra_group: int | None,
    extra_status: MeetingStatus,
) -> None:
    before = compliance(branch, sittings, window, today, rules)
    extra = Sitting(999, extra_day, extra_obligations, extra_group, extra_status)
    after = compliance(branch, [*sittings, extra], window, today, rules)
    assert [(r.obligation, r.group_id, r.period) for r in before] == [
        (r.obligation, r.group_id, r.period) for r in after
    ]
    rank = {S.OVERDUE: 0, S.OPEN: 1, S.MET: 2}
    for old, new in zip(before, after, strict=True):
        if old.state is S.MET:
            assert new.state is S.MET
        if old.state is S.NOT_APPLICABLE:
            assert new.state is S.NOT_APPLICABLE
        else:
            assert rank[new.state] >= rank[old.state]
        assert set(old.meeting_ids) <= set(new.meeting_ids)


@settings(max_examples=100, deadline=None)
@given(branches, sittings_strategy(), windows(), day_in_range)
def test_cancelled_sittings_change_nothing(
    branch: BranchFacts, sittings: list[Sitting], window: PeriodSpan, today: date
) -> None:
    kept = [s for s in sittings if s.status is not M.CANCELLED]
    assert compliance(branch, sittings, window, today) == compliance(branch, kept, window, today)


@settings(max_examples=100, deadline=None)
@given(branches, sittings_strategy(), windows(), day_in_range)
def test_order_of_sittings_does_not_matter(
    branch: BranchFacts, sittings: list[Sitting], window: PeriodSpan, today: date
) -> None:
    assert compliance(branch, sittings, window, today) == compliance(
        branch, list(reversed(sittings)), window, today
    )


# -- facts as of the day they are about (issue 11, items 2 and 3) -----------------------


def test_committee_is_decided_on_each_periods_last_day() -> None:
    """The 7th full member on 11-01: no 支委会 owed January-October, owed from November;
    one who leaves on 06-15 (the reverse) ends the obligation with June."""
    year = parse_period("2026")
    assert committee_day(parse_period("2026-02")) == date(2026, 2, 28)
    days = committee_days(year)
    assert days == tuple(parse_period(f"2026-{mo:02d}").last_day for mo in range(1, 13))
    grows = BranchFacts(1, True, (), committee_on=tuple((d, d >= date(2026, 11, 1))
                                                         for d in days))
    rows = rows_for(compliance(grows, [], year, date(2026, 11, 27)), Ob.COMMITTEE_MEETING)
    assert [r.state for r in rows] == [S.NOT_APPLICABLE] * 10 + [S.OPEN] * 2
    shrinks = BranchFacts(1, False, (), committee_on=tuple((d, d < date(2026, 6, 15))
                                                           for d in days))
    rows = rows_for(compliance(shrinks, [], year, date(2026, 11, 27)), Ob.COMMITTEE_MEETING)
    assert [r.state for r in rows] == [S.OVERDUE] * 5 + [S.NOT_APPLICABLE] * 7
    assert committee_days(year, DEFAULT_RULES.merged(
        {"frequencies": {"committee_meeting": None}})) == ()


def test_group_started_mid_year_owes_nothing_before_it() -> None:
    facts = BranchFacts(1, True, (11, 12), active_from=date(2020, 1, 1),
                        group_active_from=((12, date(2026, 7, 1)),))
    rows = compliance(facts, [], parse_period("2026"), date(2026, 11, 27))
    new = rows_for(rows, Ob.GROUP_MEETING, 12)
    assert [r.reason for r in new[:6]] == [REASON_BEFORE_ACTIVE] * 6
    assert [r.state for r in new[6:10]] == [S.OVERDUE] * 4
    assert all(r.state is S.OVERDUE for r in rows_for(rows, Ob.GROUP_MEETING, 11)[:10])


committee_samples = st.lists(st.tuples(day_in_range, st.booleans()), max_size=8).map(
    lambda xs: tuple(sorted(dict(xs).items())))


@settings(max_examples=200, deadline=None)
@given(branches, committee_samples, st.one_of(st.none(), day_in_range), sittings_strategy(),
       windows(), day_in_range, rule_sets)
def test_facts_are_read_as_of_the_day_each_period_is_about(
    branch: BranchFacts,
    samples: tuple[tuple[date, bool], ...],
    group_from: date | None,
    sittings: list[Sitting],
    window: PeriodSpan,
    today: date,
    rules: RuleSet,
) -> None:
    """A 支委会 row is not applicable exactly when the latest committee sample on or before
    its period's last day says no committee; a row of a period that ends on or before the
    branch's (or its group's) start is never owed; every other row is."""
    groups = ((branch.group_ids[0], group_from),) if branch.group_ids and group_from else ()
    facts = dataclasses.replace(branch, committee_on=samples, group_active_from=groups)
    starts = dict(groups)
    for row in compliance(facts, sittings, window, today, rules):
        earlier = [has for d, has in samples if d <= row.period.last_day]
        had = earlier[-1] if earlier else branch.has_committee
        no_committee = row.obligation is Ob.COMMITTEE_MEETING and not had
        before = [facts.active_from, starts.get(row.group_id) if row.group_id else None]
        not_yet = any(d is not None and row.period.ends <= d for d in before)
        assert (row.state is S.NOT_APPLICABLE) == (no_committee or not_yet), row
        if no_committee:
            assert row.reason == "compliance.reason.no_committee"
        elif not_yet:
            assert row.reason == REASON_BEFORE_ACTIVE
