"""Which obligations of "三会一课" a branch has met, per period (DOMAIN.md §2).

Pure rules: callers load the facts (the branch, its sittings) and pass them in. The result
has one row per obligation, per period (and per party group for 党小组会), so that a screen
can say what is met, what is still open, what is overdue, and what does not apply (a branch
without a committee owes no monthly 支委会).

Conventions:

* Only CLOSED or SEALED sittings fulfil an obligation; CANCELLED ones never do. A sitting
  that is OPEN (under way, its record not yet closed) keeps the row OPEN rather than
  OVERDUE; it is listed with the PLANNED ones in ``planned_ids``.
* One sitting may fulfil several obligations: the obligation is counted, not the sitting.
* A sitting held by a party group (``group_id`` set) fulfils only that group's 党小组会; the
  branch-level obligations need a branch-level sitting (``group_id`` None).
* 组织生活会 and 民主评议 (when their frequency is YEAR) belong to a *report year*: the
  annual round is often held in the first months of the next year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from branchtui.core.enums import ComplianceState, MeetingStatus, Obligation, PeriodKind
from branchtui.core.frozen import frozen
from branchtui.core.periods import (
    MAX_YEAR,
    MIN_YEAR,
    PeriodSpan,
    period_start,
    periods_overlapping,
)
from branchtui.core.rulebook import MEMO_MAX, Timeline, as_timeline
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet

# Obligations that belong to a report year rather than to the calendar date of the sitting.
REPORT_YEAR_OBLIGATIONS = frozenset({Obligation.ORG_LIFE, Obligation.APPRAISAL})

_MET_STATUSES = frozenset({MeetingStatus.CLOSED, MeetingStatus.SEALED})
_PENDING_STATUSES = frozenset({MeetingStatus.PLANNED, MeetingStatus.OPEN})

# Message keys for ObligationStatus.reason.
REASON_NO_COMMITTEE = "compliance.reason.no_committee"
REASON_BEFORE_ACTIVE = "compliance.reason.before_active"


@frozen
class BranchFacts:
    """What compliance needs to know about one branch, each fact as of the day it is about.

    ``has_committee``: whether the branch has a committee today (what a screen shows).
    ``committee_on``: samples ``(day, has a committee)`` sorted by day; a period's 支委会 is
    judged on ``committee_day(period)``, reading the latest sample on or before that day
    (``has_committee`` when there is none, or no samples at all).
    ``active_from``: the day the branch started to exist; periods that end on or before it
    carry no obligation. ``group_active_from``: the same per party group, ``(group id,
    day)``; a group's 党小组会 periods that end on or before it (or before the branch's)
    carry none."""

    branch_id: int
    has_committee: bool
    group_ids: tuple[int, ...]
    active_from: date | None = None
    committee_on: tuple[tuple[date, bool], ...] = ()
    group_active_from: tuple[tuple[int, date], ...] = ()

    def committee_at(self, day: date) -> bool:
        """Whether the branch had a committee on ``day``, from the samples."""
        found = self.has_committee
        for sample_day, has in self.committee_on:
            if sample_day > day:
                break
            found = has
        return found


def committee_day(period: PeriodSpan) -> date:
    """The day on which "does the branch owe this period's 支委会" is decided: the period's
    last day, its due day. The obligation is judged when it falls due, so a branch that
    gains its committee (its 7th full member) during a month owes that month's meeting, and
    one that loses it during a month owes none for it; a month in which a branch with a
    committee on some days can still hold one (scheduling checks the meeting's own date)
    but is never OVERDUE unless the committee exists at its deadline."""
    return period.last_day


def committee_days(window: PeriodSpan,
                   rules: RuleSet | Timeline = DEFAULT_RULES) -> tuple[date, ...]:
    """The days ``compliance`` reads the committee fact on for ``window``: callers load the
    fact for exactly these days (one grouped query, not one per period). With rules that
    change over time, the last days of the periods the 支委会 is owed in (``_owed``)."""
    timeline = as_timeline(rules)
    kinds = timeline.frequencies(Obligation.COMMITTEE_MEETING)
    return tuple(sorted({committee_day(p) for kind in kinds
                         for p in _owed(timeline, Obligation.COMMITTEE_MEETING, kind, window)}))


@frozen
class Sitting:
    """One meeting as compliance sees it.

    ``report_year`` overrides the report year derived from ``day``; it only matters for
    组织生活会 and 民主评议."""

    meeting_id: int
    day: date
    obligations: frozenset[Obligation]
    group_id: int | None
    status: MeetingStatus
    report_year: int | None = None


class ObligationStatus(NamedTuple):
    """One row of the compliance view: an obligation for one period (and group).

    ``meeting_ids``: CLOSED/SEALED sittings that fulfil it. ``planned_ids``: PLANNED or
    OPEN sittings that would fulfil it once held and closed. ``reason``: for a
    NOT_APPLICABLE row, a catalogue key saying why. A NamedTuple, not a frozen dataclass:
    a district roll-up builds ~10,000 of them and construction cost was a third of it."""

    obligation: Obligation
    group_id: int | None
    period: PeriodSpan
    state: ComplianceState
    due: date
    meeting_ids: tuple[int, ...]
    planned_ids: tuple[int, ...]
    reason: str | None = None


@frozen
class ComplianceSummary:
    """Counts of rows per state."""

    met: int
    open: int
    overdue: int
    not_applicable: int

    @property
    def total(self) -> int:
        """All rows."""
        return self.met + self.open + self.overdue + self.not_applicable


def report_year_of(day: date, rules: RuleSet = DEFAULT_RULES) -> int:
    """The report year of a 组织生活会 (or 民主评议) held on ``day``.

    One held in the first ``rules.org_life_grace_months`` months of year Y+1 belongs to
    report year Y; otherwise to its calendar year. A stored explicit report year overrides
    this (see ``Sitting.report_year``)."""
    if day.month <= rules.org_life_grace_months:
        return day.year - 1
    return day.year


def report_year_due(year: int, rules: RuleSet = DEFAULT_RULES) -> date:
    """The last day on which the round for report ``year`` may be held: the end of the
    grace window (2027-03-31 for report year 2026 with three grace months)."""
    return _grace_end(year, rules.org_life_grace_months)


@lru_cache(maxsize=512)
def _grace_end(year: int, grace_months: int) -> date:
    return date(year + 1, 1, 1) + relativedelta(months=grace_months) - timedelta(days=1)


def _uses_report_year(obligation: Obligation, kind: PeriodKind) -> bool:
    return obligation in REPORT_YEAR_OBLIGATIONS and kind is PeriodKind.YEAR


def _group_key(obligation: Obligation, sitting: Sitting) -> int | None:
    """The group a sitting fulfils ``obligation`` for, or -1 if it cannot fulfil it."""
    if obligation is Obligation.GROUP_MEETING:
        return sitting.group_id if sitting.group_id is not None else -1
    return None if sitting.group_id is None else -1


def _by_day(s: Sitting) -> tuple[date, int]:
    return (s.day, s.meeting_id)


@lru_cache(maxsize=256)
def _periods(kind: PeriodKind, window: PeriodSpan) -> tuple[PeriodSpan, ...]:
    # The same few spans for every branch of a roll-up: compute them once.
    return tuple(periods_overlapping(kind, window))


def rules_of_period(timeline: Timeline, period: PeriodSpan) -> RuleSet:
    """The rules a period's obligations are judged by: those in force on its last day,
    when it falls due (as the committee fact is read, ``committee_day``). A rule set from
    a day on applies to every period that ends on or after it, and to none that ended
    before: a committee that tightens a rule today changes nothing already due."""
    return timeline.on(period.last_day)


def _frequencies(timeline: Timeline) -> dict[Obligation, tuple[PeriodKind, ...]]:
    """The frequencies each obligation has at some time (one, unless the rules changed),
    kept with the timeline: every branch of a roll-up that shares it shares this."""
    found = timeline.memo.get("frequencies")
    if found is None:
        found = timeline.memo["frequencies"] = {
            o: kinds for o in Obligation if (kinds := timeline.frequencies(o))}
    return found  # type: ignore[no-any-return]


def _owed_periods(timeline: Timeline, obligation: Obligation, kinds: tuple[PeriodKind, ...],
                  window: PeriodSpan) -> tuple[tuple[PeriodKind, PeriodSpan, date], ...]:
    """(kind, period, due day) of every period overlapping ``window`` that owes
    ``obligation`` (``_owed``), by start: what the rules alone decide, kept with the
    timeline for the branches that share it."""
    key = (obligation, window)
    found = timeline.memo.get(key)
    if found is None:
        owed = [(kind, p) for kind in kinds for p in _owed(timeline, obligation, kind, window)]
        if len(kinds) > 1:
            owed.sort(key=lambda kp: (kp[1].starts, kp[1].ends))
        if len(timeline.memo) >= MEMO_MAX:
            timeline.memo.clear()
        found = timeline.memo[key] = tuple(
            (kind, period,
             report_year_due(period.starts.year, rules_of_period(timeline, period))
             if _uses_report_year(obligation, kind) else period.last_day)
            for kind, period in owed)
    return found  # type: ignore[no-any-return]


def _owed(timeline: Timeline, obligation: Obligation, kind: PeriodKind,
          window: PeriodSpan) -> tuple[PeriodSpan, ...]:
    """The periods of ``kind`` overlapping ``window`` in which ``obligation`` is owed at
    that frequency: those whose rules (``rules_of_period``) give it that frequency. When
    a frequency changes mid-period, the old periods end with the last one due before the
    change and the new ones begin with the first one due after it (quarterly to monthly
    on 15 May: the first quarter, then May and June)."""
    periods = _periods(kind, window)
    if timeline.single is not None:
        return periods if timeline.single.frequency(obligation) == kind else ()
    return tuple(p for p in periods
                 if rules_of_period(timeline, p).frequency(obligation) == kind)


def compliance(
    branch: BranchFacts,
    sittings: Iterable[Sitting],
    window: PeriodSpan,
    today: date,
    rules: RuleSet | Timeline = DEFAULT_RULES,
) -> list[ObligationStatus]:
    """The compliance rows of ``branch`` for every period overlapping ``window``.

    For each obligation with a frequency in ``rules``, one row per period of that frequency
    overlapping the window (a monthly obligation gives three rows for a quarter window);
    党小组会 one row per group per period; 支委会 rows are NOT_APPLICABLE when the branch
    has no committee on the period's ``committee_day`` (never OVERDUE); rows of periods
    ending on or before the branch's (or the group's) start are NOT_APPLICABLE too. Report-year obligations (组织生活会, 民主评议) are
    due at the end of the grace window after the report year. Rows are sorted by
    (obligation in enum order, group id or 0, period start).

    ``rules`` may change over time (a ``Timeline``): each period is judged by the rules in
    force on its last day (``rules_of_period``), its frequency included, so a period owes
    what was the rule when it fell due; a sitting's report year is that of the rules in
    force on its day."""
    timeline = as_timeline(rules)
    single = timeline.single
    # The frequencies each obligation has at some time (one, unless the rules changed).
    freqs = _frequencies(timeline)

    # Bucket the sittings by (obligation, group, period start) in one pass; a period is
    # identified by its kind and start (a month and its quarter may start on one day).
    buckets: dict[tuple[Obligation, int | None, PeriodKind, date], list[Sitting]] = (
        defaultdict(list))
    for sitting in sittings:
        if sitting.status == MeetingStatus.CANCELLED:
            continue
        if not MIN_YEAR <= sitting.day.year <= MAX_YEAR:
            continue  # outside every representable window
        for raw in sitting.obligations:
            obligation = raw if isinstance(raw, Obligation) else Obligation(raw)
            owed_kinds = freqs.get(obligation)
            if owed_kinds is None:
                continue
            group = _group_key(obligation, sitting)
            if group == -1:
                continue
            for kind in owed_kinds:
                if _uses_report_year(obligation, kind):
                    year = sitting.report_year
                    if year is None:
                        year = report_year_of(sitting.day, single or timeline.on(sitting.day))
                    if not MIN_YEAR <= year <= MAX_YEAR:
                        continue
                    starts = date(year, 1, 1)
                else:
                    starts = period_start(kind, sitting.day)
                buckets[(obligation, group, kind, starts)].append(sitting)

    group_starts = dict(branch.group_active_from)
    rows: list[ObligationStatus] = []
    for obligation, kinds in freqs.items():
        groups: tuple[int | None, ...]
        if obligation is Obligation.GROUP_MEETING:
            groups = tuple(sorted(set(branch.group_ids), key=lambda g: g or 0))
        else:
            groups = (None,)
        spans = []
        for kind, period, due in _owed_periods(timeline, obligation, kinds, window):
            reason: str | None = None
            if (obligation is Obligation.COMMITTEE_MEETING
                    and not branch.committee_at(committee_day(period))):
                reason = REASON_NO_COMMITTEE
            elif branch.active_from is not None and period.ends <= branch.active_from:
                reason = REASON_BEFORE_ACTIVE
            spans.append((kind, period, due, reason))
        for group in groups:
            group_from = group_starts.get(group) if group is not None else None
            for kind, period, due, reason in spans:
                if reason is None and group_from is not None and period.ends <= group_from:
                    reason = REASON_BEFORE_ACTIVE
                bucket = buckets.get((obligation, group, kind, period.starts))
                if bucket:
                    found = sorted(bucket, key=_by_day)
                    met = tuple(s.meeting_id for s in found if s.status in _MET_STATUSES)
                    pending = tuple(s.meeting_id for s in found
                                    if s.status in _PENDING_STATUSES)
                    under_way = any(s.status == MeetingStatus.OPEN for s in found)
                else:  # the common case in a roll-up: nothing held or planned
                    met = pending = ()
                    under_way = False
                if reason is not None:
                    state = ComplianceState.NOT_APPLICABLE
                elif met:
                    state = ComplianceState.MET
                elif today > due and not under_way:
                    state = ComplianceState.OVERDUE
                else:
                    state = ComplianceState.OPEN
                rows.append(ObligationStatus(obligation, group, period, state, due, met,
                                             pending, reason))
    # Already in (obligation in enum order, group id, period start) order: the loops above
    # walk the enum, sorted group ids and ascending periods.
    return rows


def summarize(rows: Iterable[ObligationStatus]) -> ComplianceSummary:
    """Count the rows per state."""
    counts = dict.fromkeys(ComplianceState, 0)
    for row in rows:
        counts[row.state] += 1
    return ComplianceSummary(
        met=counts[ComplianceState.MET],
        open=counts[ComplianceState.OPEN],
        overdue=counts[ComplianceState.OVERDUE],
        not_applicable=counts[ComplianceState.NOT_APPLICABLE],
    )


def is_silent(last_activity: date | None, today: date, rules: RuleSet = DEFAULT_RULES) -> bool:
    """Whether a branch is "silent": no activity for more than ``rules.silent_days`` days
    (no activity at all counts as silent)."""
    if last_activity is None:
        return True
    return (today - last_activity).days > rules.silent_days


def has_committee(explicit: bool | None, full_members: int, rules: RuleSet = DEFAULT_RULES) -> bool:
    """Whether a branch has a 支部委员会: an explicit setting wins; otherwise it has one
    from ``rules.committee_min_full_members`` full members on (7 by default)."""
    if explicit is not None:
        return explicit
    return full_members >= rules.committee_min_full_members
