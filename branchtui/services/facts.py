"""The one place that loads what the rules read about a branch, each fact as of the day it
is about: whether the branch had a committee on a given day, and since when a branch or a
party group exists. Compliance (``QueryService``) and scheduling (``MeetingService``) both
read them from here, so the grid never demands a 支委会 that scheduling would refuse.

One grouped query per fact for any number of branches (the home screen's roll-up covers a
whole 街道), never a query per branch per period.

**Since when a branch or group exists.** The first day anyone was a member of it
(``membership.starts``; for a group, the rows naming that group); ``org.created_at`` only
when it has had no member yet. ``created_at`` alone is wrong for imported data: a roster
entered today with members since 2020 would owe nothing before today, erasing the history
it was imported to keep; and a branch set up empty owes nothing until someone belongs to
it, since no one could hold its meetings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from peewee import Case, Database, fn

from branchtui.core.compliance import BranchFacts, committee_days
from branchtui.core.compliance import has_committee as rule_has_committee
from branchtui.core.enums import OrgKind
from branchtui.core.periods import PeriodSpan
from branchtui.core.rulebook import RuleBook
from branchtui.core.ruleset import RuleSet
from branchtui.store import models as m

# Above this many branches, scanning every branch's rows beats an IN list (as in queries).
_MANY = 50


def _day(value: object) -> date | None:
    """A date from what a driver returns: SQLite gives text, PostgreSQL date/datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def full_counts(db: Database, branch_ids: Sequence[int], days: Sequence[date]
                ) -> dict[int, tuple[int, ...]]:
    """Full members of each branch on each of ``days``, as ``{branch: (count per day)}``
    (branches with none on every day are left out). One grouped query: a member counts on
    day d when a membership of the branch covers d (``starts <= d < ends``) and they were
    正式 by d (``full_since <= d``)."""
    if not branch_ids or not days:
        return {}
    lo, hi = min(days), max(days)
    ms, mem = m.Membership, m.Member
    cols = [
        fn.SUM(Case(None, [((ms.starts <= d) & (ms.ends.is_null() | (ms.ends > d))
                            & (mem.full_since <= d), 1)], 0))
        for d in days
    ]
    q = (ms.select(ms.branch, *cols)
         .join(mem, on=(ms.member == mem.id))
         .where((ms.starts <= hi) & (ms.ends.is_null() | (ms.ends > lo))
                & (mem.full_since <= hi))
         .group_by(ms.branch))
    if len(branch_ids) <= _MANY:
        q = q.where(ms.branch.in_(list(branch_ids)))
    wanted = set(branch_ids)
    return {r[0]: tuple(int(v or 0) for v in r[1:]) for r in db.execute(q) if r[0] in wanted}


def committee_on(db: Database, branch: m.Org, day: date, rules: RuleSet) -> bool:
    """Whether ``branch`` had a 支部委员会 on ``day``: its explicit setting when set,
    otherwise ``rules.committee_min_full_members`` full members on that day."""
    if branch.has_committee is not None:
        return bool(branch.has_committee)
    counts = full_counts(db, [branch.id], [day]).get(branch.id, (0,))
    return rule_has_committee(None, counts[0], rules)


def active_from(db: Database, org_ids: Iterable[int]) -> dict[int, date]:
    """Since when each branch or party group in ``org_ids`` exists (see the module's
    docstring): its first membership's start, else the day it was created. One query,
    two index probes per organisation (membership(branch, starts) and membership(group))."""
    ids = list(org_ids)
    if not ids:
        return {}
    ms = m.Membership
    by_branch = (ms.select(fn.MIN(ms.starts)).where(ms.branch == m.Org.id))
    by_group = (ms.select(fn.MIN(ms.starts)).where(ms.group == m.Org.id))
    first = Case(None, [(m.Org.kind == OrgKind.BRANCH.value, by_branch)], by_group)
    q = m.Org.select(m.Org.id, m.Org.created_at, first).where(
        m.Org.kind.in_([OrgKind.BRANCH.value, OrgKind.GROUP.value]))
    if len(ids) <= _MANY * 4:
        q = q.where(m.Org.id.in_(ids))
    wanted = set(ids)
    out: dict[int, date] = {}
    for oid, created, starts in db.execute(q):
        if oid not in wanted:
            continue
        day = _day(starts) or _day(created)
        if day is not None:
            out[oid] = day
    return out


def branch_facts(db: Database, branches: Sequence[tuple[int, str, bool | None]],
                 groups: dict[int, list[int]], windows: Sequence[PeriodSpan],
                 today: date | Mapping[int, date],
                 rules: RuleSet | RuleBook) -> dict[int, BranchFacts]:
    """The compliance facts of ``branches`` (id, name, explicit has_committee) for
    ``windows``: the committee on every day compliance reads it on (``committee_days``) and
    today (one day, or each branch's own: branches in other time zones), and since when
    each branch and group exists. Three queries in all. With a ``RuleBook``, each branch's
    committee is judged by its own rules of each day (the number of full members that
    makes a committee may be a local rule)."""
    today_of = today if isinstance(today, Mapping) else {bid: today for bid, _n, _e in branches}
    book = rules if isinstance(rules, RuleBook) else RuleBook(rules)
    timelines = {bid: book.timeline(bid) for bid, _n, _e in branches}
    shared = {id(tl): tl for tl in timelines.values()}  # usually one
    days = sorted({*today_of.values(), *(d for w in windows for tl in shared.values()
                                         for d in committee_days(w, tl))})
    counted = [bid for bid, _name, explicit in branches if explicit is None]
    counts = full_counts(db, counted, days)
    org_ids = [bid for bid, _n, _e in branches]
    org_ids += [g for bid in org_ids for g in groups.get(bid, ())]
    starts = active_from(db, org_ids)
    out: dict[int, BranchFacts] = {}
    zero = (0,) * len(days)
    for bid, _name, explicit in branches:
        per_day = counts.get(bid, zero)
        on = timelines[bid].on
        samples = tuple((d, rule_has_committee(explicit, n, on(d)))
                        for d, n in zip(days, per_day, strict=True))
        today_ = today_of[bid]
        now = rule_has_committee(explicit, per_day[days.index(today_)], on(today_))
        group_ids = tuple(groups.get(bid, ()))
        out[bid] = BranchFacts(
            bid, now, group_ids, active_from=starts.get(bid),
            committee_on=samples if explicit is None else (),
            group_active_from=tuple((g, starts[g]) for g in group_ids if g in starts),
        )
    return out


__all__ = ["active_from", "branch_facts", "committee_on", "full_counts"]
