"""Use cases over the store. Every call takes an Actor, checks permission, runs in one
transaction, writes the change log, and returns frozen core objects."""

from __future__ import annotations

from peewee import Database

from branchtui.core.frozen import cached_dataclass
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.services.base import Actor, Clock, Context, FixedClock, SystemClock
from branchtui.services.drafts import DraftService, SavedDraft
from branchtui.services.home import HomeData, HomeService
from branchtui.services.meetings import MeetingDraft, MeetingRecord, MeetingService
from branchtui.services.minutes import MinutesService, VoteDraft
from branchtui.services.presence import PresenceService
from branchtui.services.queries import QueryService
from branchtui.services.roster import MemberDraft, RosterService

__all__ = [
    "Actor",
    "Clock",
    "Context",
    "FixedClock",
    "HomeData",
    "MeetingDraft",
    "MeetingRecord",
    "MemberDraft",
    "SavedDraft",
    "Services",
    "SystemClock",
    "VoteDraft",
]


@cached_dataclass
class Services:
    """The one object the CLI and the UI hold."""

    ctx: Context
    roster: RosterService
    meetings: MeetingService
    minutes: MinutesService
    queries: QueryService
    home: HomeService
    drafts: DraftService
    presence: PresenceService

    @classmethod
    def create(cls, db: Database, clock: Clock | None = None,
               rules: RuleSet = DEFAULT_RULES) -> Services:
        ctx = Context(db=db, clock=clock or SystemClock(), rules=rules)
        roster, meetings = RosterService(ctx), MeetingService(ctx)
        minutes, queries = MinutesService(ctx), QueryService(ctx)
        return cls(ctx=ctx, roster=roster, meetings=meetings, minutes=minutes,
                   queries=queries, home=HomeService(roster, meetings, minutes, queries),
                   drafts=DraftService(ctx), presence=PresenceService(ctx))

    def ping(self) -> None:
        """One round trip to the database, retried like any read (``Unavailable`` when it
        stays away): the app probes with it while reconnecting."""
        self.presence.ping()
