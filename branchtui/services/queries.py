"""Read-side figures: compliance (one branch or a whole subtree), a member's history,
attendance rates, warning lines. Written as range scans on indexed columns and returned as
tuples: these are the queries the benchmarks time (docs/benchmarks.md)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from peewee import fn

from branchtui.core.compliance import (
    ComplianceSummary,
    ObligationStatus,
    Sitting,
    compliance,
    is_silent,
    report_year_due,
    summarize,
)
from branchtui.core.enums import (
    AttendanceStatus,
    MeetingStatus,
    Obligation,
    OrgKind,
    PeriodKind,
)
from branchtui.core.errors import NotFound
from branchtui.core.frozen import frozen
from branchtui.core.lapse import LapseStatus, lapse_status, months_between
from branchtui.core.model import LeaveRequest, Member, Org, Rectification
from branchtui.core.periods import PeriodSpan, period_containing
from branchtui.core.ruleset import DEFAULT_RULES
from branchtui.core.zones import wall_time
from branchtui.services.base import Actor, Service
from branchtui.services.facts import branch_facts
from branchtui.services.permissions import NOWHERE, branch_target, member_target, org_target
from branchtui.store import convert
from branchtui.store import models as m

if TYPE_CHECKING:
    from branchtui.services.roster import (
        MemberRights,
        MembershipEntry,
        PeriodEntry,
        PositionEntry,
        SshKeyInfo,
    )

COUNTED = (MeetingStatus.PLANNED.value, MeetingStatus.OPEN.value, MeetingStatus.CLOSED.value,
           MeetingStatus.SEALED.value)


# Enum lookups by value, without the Enum call machinery (thousands per roll-up).
_OBLIGATIONS = {o.value: o for o in Obligation}
_STATUSES = {s.value: s for s in MeetingStatus}
_ATTENDANCE = {s.value: s for s in AttendanceStatus}


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _as_datetime(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@frozen
class BranchCompliance:
    branch_id: int
    branch_name: str
    has_committee: bool
    rows: tuple[ObligationStatus, ...]
    summary: ComplianceSummary
    last_activity: date | None
    silent: bool


@frozen
class HistoryEntry:
    meeting_id: int
    day: date
    title: str
    branch_id: int
    status: AttendanceStatus | None
    reason: str


@frozen
class MemberRate:
    member_id: int
    name: str
    expected: int  # meetings on the roll, exempt ones excluded
    present: int  # present + late
    late: int
    leave: int
    absent: int

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


class QueryService(Service):

    # -- compliance -------------------------------------------------------------------------

    def compliance(self, actor: Actor, org_id: int, window: PeriodSpan) -> list[BranchCompliance]:
        """Compliance of every branch in ``org_id``'s subtree (or of the branch itself) for
        the window. During the first months of a year the previous report year's 组织生活会
        is still due, so it is included as well."""
        with self.read():
            self.grants(actor).check("queries.compliance", org_target(org_id))
            branches, groups = convert.branches_under(org_id)
            return self._compliance(branches, groups, window)

    def _compliance(self, branches: list[tuple[int, str, bool | None]],
                    groups: dict[int, list[int]], window: PeriodSpan) -> list[BranchCompliance]:
        rules = self.ctx.rulebook()  # each branch's own, as in force on each day
        ids = [b[0] for b in branches]
        if not ids:
            return []
        many = len(ids) > 50
        wanted = set(ids)
        yearly = [Obligation.ORG_LIFE.value, Obligation.APPRAISAL.value]

        def scan(start: date, end: date, only: list[str] | None = None) -> list[tuple]:
            """Obligation rows of counted sittings with start <= day < end: a range scan
            on the (day) index. Filtering by branch in SQL only pays for a few branches."""
            q = (m.MeetingObligation.select(
                    m.MeetingObligation.meeting, m.MeetingObligation.branch,
                    m.MeetingObligation.day, m.MeetingObligation.obligation,
                    m.Meeting.group, m.Meeting.status, m.Meeting.report_year)
                 .join(m.Meeting, on=(m.MeetingObligation.meeting == m.Meeting.id))
                 .where((m.MeetingObligation.day >= start) & (m.MeetingObligation.day < end)
                        # Redundant (day is the meeting's date) but lets PostgreSQL range
                        # scan the meetings instead of hashing all of them.
                        & (m.Meeting.planned_start >= start)
                        & (m.Meeting.planned_start < end + timedelta(days=1))
                        & m.Meeting.status.in_(COUNTED)))
            if only:
                q = q.where(m.MeetingObligation.obligation.in_(only))
            if not many:
                q = q.where(m.MeetingObligation.branch.in_(ids))
            # The raw cursor: peewee's per-value conversion was two thirds of the roll-up's
            # time at 120 branches. Only the day needs converting (SQLite returns text),
            # and a quarter has ~90 distinct days: convert each once.
            days: dict[object, date] = {}
            out = []
            for r in self.db.execute(q):
                day = days.get(r[2])
                if day is None:
                    day = days[r[2]] = _as_date(r[2])
                out.append((r[0], r[1], day, *r[3:]))
            return out

        # The window itself, plus the yearly obligations over every report year the window
        # touches: a 组织生活会 for report year Y may be held up to the grace months of Y+1,
        # and in the first months of a year last year's round is still due.
        rows = scan(window.starts, window.ends)
        first_year = window.starts.year - 1
        rows += [r for r in scan(date(first_year, 1, 1),
                                 report_year_due(window.ends.year, rules.widest) + timedelta(1),
                                 yearly)
                 if not (window.starts <= r[2] < window.ends)]
        # One Sitting per meeting; most meetings fulfil a single obligation.
        obligations: dict[int, list[Obligation]] = {}
        first: dict[int, tuple] = {}
        for row in rows:
            mid = row[0]
            if row[1] not in wanted:
                continue
            have = obligations.get(mid)
            if have is None:
                obligations[mid] = [_OBLIGATIONS[row[3]]]
                first[mid] = row
            else:
                have.append(_OBLIGATIONS[row[3]])
        sittings: dict[int, list[Sitting]] = defaultdict(list)
        for mid, (_m, bid, day, _o, group, status, ry) in first.items():
            sittings[bid].append(Sitting(mid, day, frozenset(obligations[mid]), group,
                                         _STATUSES[status], ry))
        # Each branch's today and now in its own zone; branches that share a zone (all of
        # them, usually) share one probe below.
        zones, instant = self.ctx.zones(), self.ctx.clock.now()
        by_zone: dict[str, list[int]] = defaultdict(list)
        for bid in ids:
            by_zone[zones.name(bid)].append(bid)
        now_in = {zname: wall_time(instant, zname) for zname in by_zone}
        today_of = {bid: now_in[zname].date() for zname, zone_ids in by_zone.items()
                    for bid in zone_ids}
        # Last activity per branch: a backward probe on meeting(branch, planned_start) per
        # branch, instead of aggregating a year of obligations (13 ms on PostgreSQL at B).
        last: dict[int, date] = {}
        for zname, zone_ids in by_zone.items():
            held = (m.Meeting.select(fn.MAX(m.Meeting.planned_start))
                    .where((m.Meeting.branch == m.Org.id)
                           & (m.Meeting.planned_start <= now_in[zname])
                           & m.Meeting.status.in_([MeetingStatus.OPEN.value,
                                                   MeetingStatus.CLOSED.value,
                                                   MeetingStatus.SEALED.value])))
            last_q = m.Org.select(m.Org.id, held).where(m.Org.kind == OrgKind.BRANCH.value)
            if not many or len(by_zone) > 1:
                last_q = last_q.where(m.Org.id.in_(zone_ids))
            last.update((bid, _as_datetime(v).date()) for bid, v in self.db.execute(last_q)
                        if v)
        windows = [window]
        if (window.kind != PeriodKind.YEAR
                and window.starts <= report_year_due(window.starts.year - 1, rules.widest)):
            windows.append(period_containing(PeriodKind.YEAR, date(window.starts.year - 1, 6, 1)))
        # Each fact as of the day it is about: the committee per period, since when each
        # branch and group exists (services/facts.py).
        all_facts = branch_facts(self.db, branches, groups, [window], today_of, rules)
        out = []
        for bid, name, _explicit in branches:
            facts = all_facts[bid]
            today = today_of[bid]
            rows = compliance(facts, sittings.get(bid, ()), window, today, rules.timeline(bid))
            if len(windows) > 1:
                rows += [
                    r for r in compliance(facts, sittings.get(bid, ()), windows[1], today, rules.timeline(bid))
                    if r.obligation in (Obligation.ORG_LIFE, Obligation.APPRAISAL) and r.due >= window.starts
                ]
            la = last.get(bid)
            out.append(BranchCompliance(bid, name, facts.has_committee, tuple(rows),
                                        summarize(rows), la, is_silent(la, today, rules.on(bid, today))))
        return out

    # -- a member's history -----------------------------------------------------------------

    def member_history(self, actor: Actor, member_id: int) -> list[HistoryEntry]:
        """Every meeting the member was on the roll of, newest first (one index scan)."""
        with self.read():
            self.grants(actor).check("queries.member_history", member_target(member_id))
            return _member_history(member_id)

    def member_year(self, actor: Actor, member_id: int, year: int) -> YearSummary:
        """The member's attendance in one calendar year, up to today, counted in SQL (as
        ``member_years`` counts it, without reading the whole history)."""
        with self.read():
            self.grants(actor).check("queries.member_year", member_target(member_id))
            last = min(self.member_today(member_id), date(year, 12, 31))
            counts = {st or "unmarked": int(n) for st, n in m.Attendance.select(
                m.Attendance.status, fn.COUNT(m.Attendance.id)).where(
                (m.Attendance.member == member_id)
                & (m.Attendance.meeting_day >= date(year, 1, 1))
                & (m.Attendance.meeting_day <= last)).group_by(m.Attendance.status).tuples()}
            return YearSummary(year, *_summary(counts))

    def member_lapse(self, actor: Actor, member_id: int) -> LapseStatus:
        """The member's warning lines today: the same function and facts as ``warnings``."""
        with self.read():
            self.grants(actor).check("queries.member_lapse", member_target(member_id))
            return lapse_statuses(self.db, [member_id], self.member_today(member_id),
                                  self.member_rules(member_id))[member_id]

    # -- branch figures ---------------------------------------------------------------------

    def attendance_rates(self, actor: Actor, branch_id: int, year: int) -> list[MemberRate]:
        """Per member of the branch: meetings expected and attended in ``year``."""
        with self.read():
            self.grants(actor).check("queries.attendance_rates", branch_target(branch_id))
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
            q = (m.Attendance.select(m.Attendance.member, m.Attendance.status,
                                     fn.COUNT(m.Attendance.id))
                 .where((m.Attendance.branch == branch_id)
                        & (m.Attendance.meeting_day >= start)
                        & (m.Attendance.meeting_day < end)
                        & m.Attendance.status.is_null(False))
                 .group_by(m.Attendance.member, m.Attendance.status)
                 .tuples())
            counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for mid, st, n in q:
                counts[mid][st] += n
            names = dict(m.Member.select(m.Member.id, m.Member.name)
                         .where(m.Member.id.in_(list(counts) or [0])).tuples())
            out = []
            for mid, c in counts.items():
                present = c[AttendanceStatus.PRESENT.value] + c[AttendanceStatus.LATE.value]
                expected = sum(v for k, v in c.items() if k != AttendanceStatus.EXEMPT.value)
                out.append(MemberRate(mid, names.get(mid, ""), expected, present,
                                      c[AttendanceStatus.LATE.value],
                                      c[AttendanceStatus.LEAVE.value],
                                      c[AttendanceStatus.ABSENT.value]))
            return sorted(out, key=lambda r: (r.rate if r.rate is not None else 2, r.name))

    def warnings(self, actor: Actor, branch_id: int) -> list[tuple[int, str, LapseStatus]]:
        """Current members near or over the six-month line, or over the unexcused-absence
        threshold: (member id, name, status). The statuses come from ``lapse_statuses``,
        as the member page's do."""
        with self.read():
            self.grants(actor).check("queries.warnings", branch_target(branch_id))
            today = self.ctx.today(branch_id)
            rules = self.rules_for(branch_id, today)
            current = ((m.Membership.branch == branch_id) & (m.Membership.starts <= today)
                       & (m.Membership.ends.is_null() | (m.Membership.ends > today)))
            names: dict[int, str] = dict(
                m.Membership.select(m.Membership.member, m.Member.name)
                .join(m.Member, on=(m.Member.id == m.Membership.member))
                .where(current).tuples())
            if not names:
                return []
            statuses = lapse_statuses(
                self.db, m.Membership.select(m.Membership.member).where(current), today, rules)
            out = [(mid, names[mid], st) for mid, st in statuses.items() if mid in names
                   and (st.lapsed or st.near_lapse or st.over_absence_threshold)]
            return sorted(out, key=lambda x: (-(x[2].months_since or 0), x[1]))

    def current_quarter(self, org_id: int | None = None) -> PeriodSpan:
        """The quarter of today in ``org_id``'s zone (the top's without one)."""
        return period_containing(PeriodKind.QUARTER, self.ctx.today(org_id))

    def member_years(self, actor: Actor, member_id: int) -> list[YearSummary]:
        """The member's attendance per calendar year, newest first: meetings held so far
        (exempt and unmarked ones apart) and how they were marked."""
        with self.read():
            self.grants(actor).check("queries.member_years", member_target(member_id))
            return summarize_years(self.member_history(actor, member_id),
                                   self.member_today(member_id))

    # -- the members screens (issue 3) ------------------------------------------------------

    def member_rates(self, actor: Actor, member_id: int) -> MemberRates:
        """The member's attendance per year (newest first) and per month (oldest first,
        months without meetings included), counted in SQL: one grouped scan of the
        member's rows on the (member, meeting_day) index. Same counting as
        ``summarize_years``: meetings held up to today; exempt and unmarked apart."""
        with self.read():
            self.grants(actor).check("queries.member_rates", member_target(member_id))
            return self._member_rates(member_id)

    def _member_rates(self, member_id: int) -> MemberRates:
        today = self.member_today(member_id)
        year, month = m.Attendance.meeting_day.year, m.Attendance.meeting_day.month
        q = (m.Attendance.select(year, month, m.Attendance.status, fn.COUNT(m.Attendance.id))
             .where((m.Attendance.member == member_id) & (m.Attendance.meeting_day <= today))
             .group_by(year, month, m.Attendance.status)
             .tuples())
        cells: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for y, mo, st, n in q:
            cells[(int(y), int(mo))][st or "unmarked"] += int(n)
        if not cells:
            return MemberRates((), ())
        months = []
        y, mo = min(cells)
        while (y, mo) <= (today.year, today.month):
            months.append(MonthSummary(y, mo, _summary(cells.get((y, mo), {}))))
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        years: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for (y, _mo), c in cells.items():
            for k, v in c.items():
                years[y][k] += v
        return MemberRates(
            tuple(YearSummary(y, *_summary(years[y])) for y in sorted(years, reverse=True)),
            tuple(months))

    def roster_overview(self, actor: Actor, branch_id: int | None = None) -> RosterOverview:
        """The branch's members today with what the roster screen filters on: 正式/预备,
        group, exempt now, 留党察看 now, months since last attended and the warning lines.
        Officers with roster rights only. Without ``branch_id``: the first branch where
        the actor keeps the roster."""
        with self.read():
            g = self.grants(actor)
            today = self.ctx.today()
            if branch_id is None:
                mine = sorted(oid for oid in g.roles
                              if g.allows("queries.roster_overview", branch_target(oid))
                              and m.Org.select().where((m.Org.id == oid) & (
                                  m.Org.kind == OrgKind.BRANCH.value)).exists())
                branch_id = mine[0] if mine else convert.current_membership(
                    actor.member_id, today)[0]
            if branch_id is None:  # no branch of one's own: only the administrator passes
                g.check("queries.roster_overview", NOWHERE)
                raise NotFound(what="branch", id=0)
            g.check("queries.roster_overview", branch_target(branch_id))
            today = self.ctx.today(branch_id)
            branch = m.Org.get_or_none(m.Org.id == branch_id)
            if branch is None or branch.kind != OrgKind.BRANCH.value:
                raise NotFound(what="org", id=branch_id)
            groups = dict(m.Org.select(m.Org.id, m.Org.name).where(
                (m.Org.parent == branch_id) & (m.Org.kind == OrgKind.GROUP.value)).tuples())
            rows = list(m.Member.select(m.Member.id, m.Member.name, m.Member.login,
                                        m.Member.full_since, m.Membership.group)
                        .join(m.Membership, on=(m.Membership.member == m.Member.id))
                        .where((m.Membership.branch == branch_id)
                               & (m.Membership.starts <= today)
                               & (m.Membership.ends.is_null() | (m.Membership.ends > today)))
                        .order_by(m.Member.name, m.Member.id).tuples())
            ids = [r[0] for r in rows] or [0]

            def covers(model: Any) -> Any:
                return (model.member.in_(ids) & (model.starts <= today)
                        & (model.ends.is_null() | (model.ends > today)))

            exempt = dict(m.Exemption.select(m.Exemption.member, m.Exemption.reason)
                          .where(covers(m.Exemption)).tuples())
            disciplined = {mid for (mid,) in m.Discipline.select(m.Discipline.member)
                           .where(covers(m.Discipline)).tuples()}
            since = dict(m.Membership.select(m.Membership.member, fn.MIN(m.Membership.starts))
                         .where(m.Membership.member.in_(ids))
                         .group_by(m.Membership.member).tuples())
            last = dict(m.Attendance.select(m.Attendance.member,
                                            fn.MAX(m.Attendance.meeting_day))
                        .where(m.Attendance.member.in_(ids) & (m.Attendance.meeting_day <= today)
                               & m.Attendance.status.in_([AttendanceStatus.PRESENT.value,
                                                          AttendanceStatus.LATE.value]))
                        .group_by(m.Attendance.member).tuples())
            flags = {mid: st for mid, _name, st in self.warnings(actor, branch_id)}
            entries = []
            for mid, name, login, full_since, group_id in rows:
                lst = _as_date(last[mid]) if last.get(mid) else None
                anchor = lst or (_as_date(since[mid]) if since.get(mid) else None)
                st = flags.get(mid)
                entries.append(RosterEntry(
                    member_id=mid, name=name, login=login or "",
                    is_full=full_since is not None and _as_date(full_since) <= today,
                    group_id=group_id, group_name=groups.get(group_id, "") if group_id else "",
                    exempt_reason=exempt.get(mid), disciplined=mid in disciplined,
                    last_attended=lst,
                    months_since=None if anchor is None else max(0, months_between(anchor,
                                                                                    today)),
                    near_lapse=bool(st and st.near_lapse), lapsed=bool(st and st.lapsed),
                    over_absences=bool(st and st.over_absence_threshold),
                    lapse_months=self.rules_for(branch_id, today).lapse_months))
            return RosterOverview(convert.org(branch), today, tuple(
                (gid, groups[gid]) for gid in sorted(groups)), tuple(entries))

    def member_dossier(self, actor: Actor, member_id: int) -> MemberDossier:
        """Everything the member page shows, in one read transaction with one permission
        check: the member, the rights of the actor, attendance history with yearly and
        monthly rates, months since last attended, exemptions, 留党察看, leave requests,
        rectification items, posts, membership history and (for those who manage them)
        SSH keys. Measured by bench/member_open.py."""
        from branchtui.services import roster as r
        from branchtui.services.meetings import member_leave

        with self.read():
            g = self.grants(actor)
            g.check("queries.member_dossier", member_target(member_id))
            row = m.Member.get_or_none(m.Member.id == member_id)
            if row is None:
                raise NotFound(what="member", id=member_id)
            today = self.member_today(member_id)
            branch, group = convert.current_membership(member_id, today)
            rights = r.member_rights(g, member_id, today)
            names = dict(m.Org.select(m.Org.id, m.Org.name).where(
                m.Org.id.in_([branch or 0, group or 0])).tuples())
            history = _member_history(member_id)
            memberships = r.membership_entries(member_id)
            return MemberDossier(
                member=convert.member(row, branch, group), today=today,
                branch_name=names.get(branch or 0, ""), group_name=names.get(group or 0, ""),
                rights=rights,
                lapse=lapse_statuses(self.db, [member_id], today, self.member_rules(member_id, today))[member_id],
                rates=self._member_rates(member_id),
                history=tuple(history),
                exemptions=tuple(r.period_entries(m.Exemption, member_id)),
                disciplines=tuple(r.period_entries(m.Discipline, member_id)),
                leave=tuple(member_leave(member_id)),
                rectifications=tuple(convert.rectification(x) for x in m.Rectification
                                     .select().where(m.Rectification.owner == member_id)
                                     .order_by(m.Rectification.deadline)),
                positions=tuple(r.position_entries(member_id)),
                memberships=tuple(memberships),
                keys=tuple(r.key_entries(member_id)) if rights.keys else (),
            )


@frozen
class YearSummary:
    """One year of a member's attendance. ``expected`` counts the meetings held up to
    today that were marked and not exempt; ``present`` includes ``late``."""

    year: int
    expected: int
    present: int
    late: int
    leave: int
    absent: int
    exempt: int
    unmarked: int

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


def summarize_years(history: list[HistoryEntry], today: date) -> list[YearSummary]:
    """Per-year counts of ``history`` (entries after ``today`` are not held yet)."""
    years: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for h in history:
        if h.day > today:
            continue
        key = h.status.value if h.status is not None else "unmarked"
        years[h.day.year][key] += 1
    out = []
    for year in sorted(years, reverse=True):
        c = years[year]
        present = c[AttendanceStatus.PRESENT.value] + c[AttendanceStatus.LATE.value]
        leave, absent = c[AttendanceStatus.LEAVE.value], c[AttendanceStatus.ABSENT.value]
        out.append(YearSummary(year, present + leave + absent, present,
                               c[AttendanceStatus.LATE.value], leave, absent,
                               c[AttendanceStatus.EXEMPT.value], c["unmarked"]))
    return out


def lapse_statuses(db: Any, members: Any, today: date, rules: Any) -> dict[int, LapseStatus]:
    """The warning lines on ``today`` of ``members`` (a list of ids or a subquery of them),
    one ``LapseStatus`` each: the one place the home warnings, the roster and the member
    pages get them from, so they cannot disagree (issue 11).

    The facts, for the whole history and independent of the current membership row (a
    move between groups or branches does not reset the clock): the member's first
    membership start, the marked rows from the last attendance on and this year's
    unexcused absences, and the exemption periods. Grouped queries whatever the number of
    members: the last twelve months (and this year) first, which holds all that matters
    for everyone who attended in them; the whole history only for those who did not
    (rows before a member's last attendance cannot change the result)."""
    a = m.Attendance
    window_start = date(today.year, 1, 1)
    recent = min(window_start, today - timedelta(days=366))
    since = {mid: _as_date(d) for mid, d in db.execute(
        m.Membership.select(m.Membership.member, fn.MIN(m.Membership.starts))
        .where(m.Membership.member.in_(members)).group_by(m.Membership.member))}
    hist: dict[int, list[tuple[date, AttendanceStatus]]] = defaultdict(list)
    days: dict[date | str, date] = {}

    def read(who: Any, lo: date | None) -> None:
        # Raw cursor rows: peewee's per-row conversion was most of the home screen's call.
        where = a.member.in_(who) & (a.meeting_day <= today) & a.status.is_null(False)
        if lo is not None:
            where &= a.meeting_day >= lo
        for mid, day, st in db.execute(a.select(a.member, a.meeting_day, a.status)
                                       .where(where)):
            d = days.get(day)
            if d is None:
                d = days[day] = _as_date(day)
            hist[mid].append((d, _ATTENDANCE[st]))

    read(members, recent)
    present = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
    ids = members if isinstance(members, list) else list(since)
    older = [mid for mid in ids if not any(st in present for _d, st in hist.get(mid, ()))]
    if older:
        for mid in older:
            hist.pop(mid, None)
        read(older, None)
    exempt: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for mid, starts, ends in db.execute(
            m.Exemption.select(m.Exemption.member, m.Exemption.starts, m.Exemption.ends)
            .where(m.Exemption.member.in_(members) & (m.Exemption.starts <= today))):
        exempt[mid].append((_as_date(starts), _as_date(ends) if ends else None))
    return {mid: lapse_status(mid, hist.get(mid, ()), today, rules, member_since=since.get(mid),
                              window_start=window_start, exemptions=exempt.get(mid, ()))
            for mid in ids}


def _member_history(member_id: int) -> list[HistoryEntry]:
    """Every meeting the member was on the roll of, newest first (one index scan)."""
    q = (m.Attendance.select(m.Attendance.meeting, m.Attendance.meeting_day,
                             m.Meeting.title, m.Attendance.branch,
                             m.Attendance.status, m.Attendance.reason)
         .join(m.Meeting, on=(m.Attendance.meeting == m.Meeting.id))
         .where(m.Attendance.member == member_id)
         .order_by(m.Attendance.meeting_day.desc(), m.Attendance.meeting.desc())
         .tuples())
    return [HistoryEntry(mid, day, title, bid, AttendanceStatus(st) if st else None, reason)
            for mid, day, title, bid, st, reason in q]


def _summary(c: dict[str, int]) -> tuple[int, int, int, int, int, int, int]:
    """(expected, present, late, leave, absent, exempt, unmarked) from status counts."""
    get = c.get
    present = get(AttendanceStatus.PRESENT.value, 0) + get(AttendanceStatus.LATE.value, 0)
    leave, absent = get(AttendanceStatus.LEAVE.value, 0), get(AttendanceStatus.ABSENT.value, 0)
    return (present + leave + absent, present, get(AttendanceStatus.LATE.value, 0), leave,
            absent, get(AttendanceStatus.EXEMPT.value, 0), get("unmarked", 0))


@frozen
class MonthSummary:
    """One calendar month of a member's attendance (all zeros: no meeting that month)."""

    year: int
    month: int
    counts: tuple[int, int, int, int, int, int, int]  # as ``_summary``

    @property
    def expected(self) -> int:
        return self.counts[0]

    @property
    def present(self) -> int:
        return self.counts[1]

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


@frozen
class MemberRates:
    years: tuple[YearSummary, ...]  # newest first
    months: tuple[MonthSummary, ...]  # oldest first, no gaps, up to this month


@frozen
class RosterEntry:
    """One line of the roster screen."""

    member_id: int
    name: str
    login: str
    is_full: bool
    group_id: int | None
    group_name: str
    exempt_reason: str | None  # exempt from 组织生活 today, and why
    disciplined: bool  # under 留党察看 today
    last_attended: date | None
    months_since: int | None
    near_lapse: bool
    lapsed: bool
    over_absences: bool
    lapse_months: int = DEFAULT_RULES.lapse_months  # the branch's lapse line today

    def matches(self, query: str, labels: tuple[str, ...] = ()) -> bool:
        """Incremental search: every whitespace-separated term of ``query`` occurs (case
        folded) in the name, the login, the group's name or one of ``labels`` (the words
        the screen shows for this line, e.g. 预备 or 免)."""
        hay = "\n".join((self.name, self.login, self.group_name, *labels)).casefold()
        return all(term in hay for term in query.casefold().split())


@frozen
class RosterOverview:
    branch: Org
    today: date
    groups: tuple[tuple[int, str], ...]
    entries: tuple[RosterEntry, ...]


@frozen
class MemberDossier:
    member: Member
    today: date
    branch_name: str
    group_name: str
    rights: MemberRights
    lapse: LapseStatus
    rates: MemberRates
    history: tuple[HistoryEntry, ...]
    exemptions: tuple[PeriodEntry, ...]
    disciplines: tuple[PeriodEntry, ...]
    leave: tuple[LeaveRequest, ...]
    rectifications: tuple[Rectification, ...]
    positions: tuple[PositionEntry, ...]
    memberships: tuple[MembershipEntry, ...]
    keys: tuple[SshKeyInfo, ...]
