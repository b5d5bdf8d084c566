"""The home screen's figures for whoever logs in, gathered in one call."""

from __future__ import annotations

from datetime import date

from branchtui.core import model as c
from branchtui.core.enums import OrgKind, PeriodKind
from branchtui.core.errors import PermissionDenied
from branchtui.core.frozen import frozen
from branchtui.core.lapse import LapseStatus
from branchtui.core.periods import PeriodSpan, period_containing
from branchtui.services.base import Actor, unit_of_work
from branchtui.services.meetings import MeetingService
from branchtui.services.minutes import MinutesService
from branchtui.services.queries import BranchCompliance, QueryService
from branchtui.services.roster import RosterService


@frozen
class MySummary:
    year: int
    expected: int
    present: int
    leave: int
    absent: int
    lapse: LapseStatus


@frozen
class HomeData:
    actor: Actor
    today: date
    quarter: PeriodSpan
    branches: tuple[c.Org, ...]  # branches I belong to or hold a post in
    watched: tuple[c.Org, ...]  # orgs I watch from above
    upcoming: tuple[c.Meeting, ...]
    compliance: tuple[BranchCompliance, ...]  # my branches, or the watched subtree
    overdue: tuple[c.Rectification, ...]
    warnings: tuple[tuple[int, str, LapseStatus], ...]
    pending_leave: tuple[c.LeaveRequest, ...]
    mine: MySummary


class HomeService:
    def __init__(self, roster: RosterService, meetings: MeetingService,
                 minutes: MinutesService, queries: QueryService) -> None:
        self.roster, self.meetings, self.minutes, self.queries = roster, meetings, minutes, queries
        self.ctx = queries.ctx

    @unit_of_work  # reads only: retried as a whole when the connection is lost
    def load(self, actor: Actor) -> HomeData:
        # One read transaction for all ten reads (each service's read() joins it).
        with self.queries.read():
            return self._load(actor)

    def _load(self, actor: Actor) -> HomeData:
        ctx = self.queries.ctx
        # Today where the actor's branch is; each branch's own figures use its own today.
        today = self.queries.member_today(actor.member_id)
        quarter = period_containing(PeriodKind.QUARTER, today)
        branches = self.roster.my_branches(actor)
        g = self.queries.grants(actor)
        g.check("home.load")
        # Only someone with a post above branch level watches: the others skip reading
        # the whole org tree.
        watched = [o for o in self.roster.orgs(actor)
                   if o.id in g.upper and o.kind != OrgKind.BRANCH] if g.upper else []
        compliance: list[BranchCompliance] = []
        overdue: list[c.Rectification] = []
        warnings: list[tuple[int, str, LapseStatus]] = []
        if watched:
            compliance = self.queries.compliance(actor, watched[0].id, quarter)
        for b in branches:
            try:
                if not watched:
                    compliance += self.queries.compliance(actor, b.id, quarter)
                overdue += self.minutes.rectifications(actor, b.id,
                                                       overdue_on=ctx.today(b.id))
                warnings += self.queries.warnings(actor, b.id)
            except PermissionDenied:
                continue  # an ordinary member: no branch-wide figures
        if not overdue:
            overdue = self.minutes.rectifications(actor, overdue_on=today)
        year = self.queries.member_year(actor, actor.member_id, today.year)
        mine = MySummary(year=today.year, expected=year.expected, present=year.present,
                         leave=year.leave, absent=year.absent,
                         lapse=self.queries.member_lapse(actor, actor.member_id))
        return HomeData(
            actor=actor, today=today, quarter=quarter, branches=tuple(branches),
            watched=tuple(watched), upcoming=tuple(self.meetings.upcoming(actor, days=45)),
            compliance=tuple(compliance), overdue=tuple(overdue), warnings=tuple(warnings),
            pending_leave=tuple(self.meetings.pending_leave(actor)), mine=mine,
        )
