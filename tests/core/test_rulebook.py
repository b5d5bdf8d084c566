"""Local rules over time and down the tree (issue 12): the rule in force on a day, merged
from the top down; and compliance judged period by period by the rules in force when each
period falls due."""

from __future__ import annotations

import json
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchtui.core.compliance import (
    BranchFacts,
    Sitting,
    committee_days,
    compliance,
)
from branchtui.core.enums import ComplianceState, MeetingStatus, Obligation, PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import parse_period
from branchtui.core.rulebook import RuleBook, RuleRow, Timeline, as_timeline, in_force
from branchtui.core.ruleset import DEFAULT_RULES

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

TOP, MIDDLE, BRANCH, OTHER = 1, 2, 3, 4
TREE = {TOP: None, MIDDLE: TOP, BRANCH: MIDDLE, OTHER: TOP}
MONTHLY_LECTURES = json.dumps({"frequencies": {"party_lecture": "month"}})


def lectures(rows: list) -> list[tuple[PeriodKind, date]]:
    return [(r.period.kind, r.period.starts) for r in rows
            if r.obligation is Obligation.PARTY_LECTURE]


def test_the_rule_in_force_is_the_latest_begun_by_the_day() -> None:
    rows = [RuleRow(BRANCH, date(2026, 1, 1), '{"lapse_months": 5}', 1),
            RuleRow(BRANCH, date(2026, 7, 1), '{"lapse_months": 4}', 2),
            RuleRow(BRANCH, date(2026, 7, 1), '{"lapse_months": 3}', 3),  # a correction
            RuleRow(BRANCH, date(2026, 10, 1), None, 4)]  # back to the inherited rules
    book = RuleBook(DEFAULT_RULES, rows, TREE)
    assert book.on(BRANCH, date(2025, 12, 31)) is DEFAULT_RULES
    assert book.on(BRANCH, date(2026, 1, 1)).lapse_months == 5
    assert book.on(BRANCH, date(2026, 6, 30)).lapse_months == 5
    assert book.on(BRANCH, date(2026, 7, 1)).lapse_months == 3
    assert book.on(BRANCH, date(2026, 10, 1)).lapse_months == 6
    assert book.on(OTHER, date(2026, 8, 1)) is DEFAULT_RULES
    assert in_force(sorted(rows, key=lambda r: (r.starts, r.row_id)), date(2026, 8, 1)) == rows[2]


def test_overrides_are_inherited_and_the_nearest_wins() -> None:
    rows = [RuleRow(TOP, date(2020, 1, 1), '{"lapse_months": 5, "silent_days": 20}', 1),
            RuleRow(MIDDLE, date(2026, 3, 1), '{"lapse_months": 4}', 2),
            RuleRow(BRANCH, date(2026, 6, 1), '{"silent_days": 10}', 3)]
    book = RuleBook(DEFAULT_RULES, rows, TREE)
    day = date(2026, 11, 27)
    assert (book.on(BRANCH, day).lapse_months, book.on(BRANCH, day).silent_days) == (4, 10)
    assert (book.on(OTHER, day).lapse_months, book.on(OTHER, day).silent_days) == (5, 20)
    assert (book.on(MIDDLE, day).lapse_months, book.on(MIDDLE, day).silent_days) == (4, 20)
    assert book.on(BRANCH, date(2026, 4, 1)).silent_days == 20
    # The version says which rows judged: a decision records it.
    assert book.on(BRANCH, day).version == f"{DEFAULT_RULES.version}+r1+r2+r3"
    assert book.on(OTHER, day).version == f"{DEFAULT_RULES.version}+r1"
    timeline = book.timeline(BRANCH)
    assert timeline.days == (date.min, date(2020, 1, 1), date(2026, 3, 1), date(2026, 6, 1))
    # One merge per chain of rows in force: organisations that share it share the set.
    assert book.on(BRANCH, date(2026, 4, 1)) is book.on(MIDDLE, date(2026, 4, 1))


def test_a_book_without_rows_is_the_defaults_everywhere() -> None:
    book = RuleBook(DEFAULT_RULES)
    assert book.uniform and book.on(BRANCH, date(2026, 1, 1)) is DEFAULT_RULES
    assert book.timeline(BRANCH).single is DEFAULT_RULES
    assert book.widest is DEFAULT_RULES


def test_bad_rows_and_names_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        RuleBook(DEFAULT_RULES, [RuleRow(BRANCH, date(2026, 1, 1), '{"lapse_month": 4}', 1)],
                 TREE).on(BRANCH, date(2026, 2, 1))
    assert err.value.key == "rules.unknown_field"
    for version in ("", "x" * 33, 7):
        with pytest.raises(ValidationError):
            DEFAULT_RULES.merged({"version": version})
    assert DEFAULT_RULES.merged({"version": "沪组-2025"}).version == "沪组-2025"


def test_the_widest_grace_bounds_the_report_year_scan() -> None:
    rows = [RuleRow(BRANCH, date(2026, 1, 1), '{"org_life_grace_months": 5}', 1),
            RuleRow(OTHER, date(2026, 1, 1), '{"org_life_grace_months": 1}', 2)]
    assert RuleBook(DEFAULT_RULES, rows, TREE).widest.org_life_grace_months == 5


# -- compliance by the rules of each period ----------------------------------------------

FACTS = BranchFacts(branch_id=BRANCH, has_committee=True, group_ids=())


def timeline_from(day: date, overrides: str) -> Timeline:
    return RuleBook(DEFAULT_RULES, [RuleRow(BRANCH, day, overrides, 1)], TREE).timeline(BRANCH)


def test_quarterly_to_monthly_in_mid_quarter() -> None:
    """On 15 May the 党课 becomes monthly: the first quarter was quarterly; of the second,
    April fell due under the old rule (a month it owed nothing for), May and June under
    the new; the second quarter itself falls due under the new rule, which owes no
    quarterly lecture."""
    tl = timeline_from(date(2026, 5, 15), MONTHLY_LECTURES)
    year = parse_period("2026")
    rows = compliance(FACTS, [], year, date(2027, 1, 1), tl)
    assert lectures(rows) == [(PeriodKind.QUARTER, date(2026, 1, 1)),
                              (PeriodKind.MONTH, date(2026, 5, 1)),
                              (PeriodKind.MONTH, date(2026, 6, 1)),
                              *[(PeriodKind.MONTH, date(2026, mo, 1)) for mo in range(7, 13)]]
    # A lecture on 20 May counts for May; one on 20 April counted for nothing owed.
    held = [Sitting(1, date(2026, 4, 20), frozenset({Obligation.PARTY_LECTURE}), None,
                    MeetingStatus.CLOSED),
            Sitting(2, date(2026, 5, 20), frozenset({Obligation.PARTY_LECTURE}), None,
                    MeetingStatus.CLOSED)]
    q2 = compliance(FACTS, held, parse_period("2026-Q2"), date(2026, 7, 1), tl)
    states = [(r.period.starts.month, r.state, r.meeting_ids) for r in q2
              if r.obligation is Obligation.PARTY_LECTURE]
    assert states == [(5, ComplianceState.MET, (2,)), (6, ComplianceState.OVERDUE, ())]


def test_monthly_to_quarterly_in_mid_quarter() -> None:
    """Loosened on 15 May: April was due under the monthly rule, the quarter under the
    quarterly one; a lecture in May counts for the quarter."""
    tl = RuleBook(DEFAULT_RULES, [
        RuleRow(BRANCH, date(2020, 1, 1), MONTHLY_LECTURES, 1),
        RuleRow(BRANCH, date(2026, 5, 15), None, 2)], TREE).timeline(BRANCH)
    held = [Sitting(1, date(2026, 5, 20), frozenset({Obligation.PARTY_LECTURE}), None,
                    MeetingStatus.CLOSED)]
    q2 = compliance(FACTS, held, parse_period("2026-Q2"), date(2026, 7, 1), tl)
    assert [(r.period.kind, r.period.starts, r.state) for r in q2
            if r.obligation is Obligation.PARTY_LECTURE] == [
        (PeriodKind.MONTH, date(2026, 4, 1), ComplianceState.OVERDUE),
        (PeriodKind.QUARTER, date(2026, 4, 1), ComplianceState.MET)]


def test_a_rule_set_today_changes_nothing_already_due() -> None:
    today = date(2026, 11, 27)
    tl = timeline_from(today, json.dumps({"frequencies": {"party_lecture": "month"},
                                          "org_life_grace_months": 0,
                                          "committee_min_full_members": 3}))
    for code in ("2025", "2025-Q4", "2026-Q1", "2026-Q3"):
        window = parse_period(code)

        def due(rows: list) -> list:
            # The year 2026 (its 组织生活会) overlaps every quarter of it, and is not due.
            return [r for r in rows if r.period.last_day < today]

        assert (due(compliance(FACTS, [], window, today, tl))
                == due(compliance(FACTS, [], window, today, DEFAULT_RULES))), code
    assert lectures(compliance(FACTS, [], parse_period("2026-Q4"), today, tl)) == [
        (PeriodKind.MONTH, date(2026, 11, 1)), (PeriodKind.MONTH, date(2026, 12, 1))]


def test_the_report_year_and_its_grace_follow_the_rules_of_their_days() -> None:
    """Grace of one month from 2027: a 组织生活会 in February 2027 belongs to 2027, and the
    2026 round (judged on 31 December 2026, under the old rule) is due at the end of
    March 2027 still."""
    tl = timeline_from(date(2027, 1, 1), '{"org_life_grace_months": 1}')
    feb = Sitting(1, date(2027, 2, 10), frozenset({Obligation.ORG_LIFE}), None,
                  MeetingStatus.CLOSED)
    y26 = compliance(FACTS, [feb], parse_period("2026"), date(2027, 2, 11), tl)
    y27 = compliance(FACTS, [feb], parse_period("2027"), date(2027, 2, 11), tl)
    (row26,) = [r for r in y26 if r.obligation is Obligation.ORG_LIFE]
    (row27,) = [r for r in y27 if r.obligation is Obligation.ORG_LIFE]
    assert (row26.due, row26.state) == (date(2027, 3, 31), ComplianceState.OPEN)
    assert (row27.due, row27.meeting_ids) == (date(2028, 1, 31), (1,))


def test_committee_days_follow_the_committee_frequency_of_each_period() -> None:
    tl = timeline_from(date(2026, 5, 15), '{"frequencies": {"committee_meeting": "quarter"}}')
    assert committee_days(parse_period("2026-Q2"), tl) == (date(2026, 4, 30),
                                                           date(2026, 6, 30))
    assert committee_days(parse_period("2026-Q2"), as_timeline(DEFAULT_RULES)) == (
        date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30))


# -- the property: the book equals merging each ancestor's row in force, top down ---------

FIELDS = {
    "lapse_months": st.integers(min_value=1, max_value=12),
    "silent_days": st.integers(min_value=1, max_value=90),
    "general_quorum": st.sampled_from(["1/2", "2/3", "3/5"]),
    "frequencies": st.fixed_dictionaries({}, optional={
        "party_lecture": st.sampled_from(["month", "quarter", None]),
        "theme_day": st.sampled_from(["month", "quarter"])}),
}
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def books(draw: st.DrawFn) -> tuple[dict[int, int | None], list[RuleRow]]:
    n = draw(st.integers(min_value=1, max_value=7))
    parents: dict[int, int | None] = {1: None}
    for oid in range(2, n + 1):
        parents[oid] = draw(st.sampled_from([None, *range(1, oid)]))
    rows = []
    for row_id in range(1, draw(st.integers(min_value=0, max_value=12)) + 1):
        overrides = {name: draw(FIELDS[name]) for name in sorted(draw(
            st.sets(st.sampled_from(sorted(FIELDS)), max_size=3)))}
        rows.append(RuleRow(draw(st.integers(min_value=1, max_value=n)), draw(days),
                            json.dumps(overrides) if overrides else None, row_id))
    return parents, rows


@settings(max_examples=200, deadline=None)
@given(data=books(), org=st.integers(min_value=1, max_value=7), day=days)
def test_rules_for_equals_merging_the_ancestors_rows_in_force(data, org, day) -> None:
    parents, rows = data
    org = min(org, len(parents))
    chain = []
    current: int | None = org
    while current is not None:
        chain.append(current)
        current = parents[current]
    expected = DEFAULT_RULES
    for oid in reversed(chain):
        mine = [r for r in rows if r.org_id == oid and r.starts <= day]
        if mine:
            latest = max(mine, key=lambda r: (r.starts, r.row_id))
            if latest.overrides:
                expected = expected.merged(latest.overrides)
    book = RuleBook(DEFAULT_RULES, rows, parents)
    got = book.on(org, day)
    assert {**got.__dict__, "version": ""} == {**expected.__dict__, "version": ""}
    assert book.timeline(org).on(day) is got
    if got is not DEFAULT_RULES:
        assert got.version.startswith(DEFAULT_RULES.version + "+r")
    # The timeline changes only on days some row of the chain starts.
    starts = {r.starts for r in rows if r.org_id in chain}
    assert set(book.timeline(org).days[1:]) <= starts
    if day > date.min + timedelta(days=1):
        before = book.on(org, day - timedelta(days=1))
        if day not in starts:
            assert before is got


def test_fractions_survive_the_merge() -> None:
    book = RuleBook(DEFAULT_RULES, [RuleRow(BRANCH, date(2026, 1, 1),
                                            '{"general_quorum": "2/3"}', 1)], TREE)
    assert book.on(BRANCH, date(2026, 1, 1)).general_quorum == Fraction(2, 3)
