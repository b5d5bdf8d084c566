"""Live: who is viewing or editing a meeting (presence), and the change feed the UI follows.

A meeting screen beats every ``HEARTBEAT_SECONDS`` while open; people seen within
``WINDOW_SECONDS`` are shown; closing the screen removes the row. Presence is not record:
it is not in the change log and carries no version. A join, a leave or a change of mode
(not a heartbeat that changes nothing) reaches the other sessions through the change feed
at once (store/feed.py: a ``presence_change`` marker on SQLite, a NOTIFY on PostgreSQL);
someone whose session died without leaving drops out after the window, at the others'
next heartbeat."""

from __future__ import annotations

from datetime import timedelta

from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.services.base import Actor, Service, get_or_404
from branchtui.services.permissions import meeting_target, self_target
from branchtui.store import models as m
from branchtui.store.db import is_sqlite
from branchtui.store.feed import (
    EVERYTHING,
    LIVE,
    RECONNECTING,
    ChangeFeed,
    ChangeWatcher,
    notify_sql,
    presence_payload,
)

__all__ = ["EVERYTHING", "LIVE", "RECONNECTING", "ChangeFeed", "ChangeWatcher",
           "PresenceService", "Present"]

HEARTBEAT_SECONDS = 10.0
WINDOW_SECONDS = 30.0
MODES = ("view", "edit")
KEEP_CHANGES = 1000  # presence_change rows kept: a feed further behind reloads at a beat


@frozen
class Present:
    """Who is on a meeting now, by mode; names in the order they arrived."""

    viewing: tuple[str, ...]
    editing: tuple[str, ...]


class PresenceService(Service):
    def beat(self, actor: Actor, meeting_id: int, mode: str = "view") -> Present:
        """Upsert the actor's heartbeat on the meeting and return who else is there."""
        if mode not in MODES:
            raise ValidationError("presence.bad_mode")
        now = self.now()
        since = now - timedelta(seconds=WINDOW_SECONDS)
        with self.write():
            self._require(actor, meeting_id, mode, "presence.beat")
            was = (m.Presence.select(m.Presence.mode, m.Presence.heartbeat_at)
                   .where((m.Presence.meeting == meeting_id)
                          & (m.Presence.member == actor.member_id))
                   .tuples().first())
            (m.Presence.insert(member=actor.member_id, meeting=meeting_id, mode=mode,
                               heartbeat_at=now)
             .on_conflict(conflict_target=[m.Presence.meeting, m.Presence.member],
                          update={m.Presence.mode: mode, m.Presence.heartbeat_at: now})
             .execute())
            if was is None or was[0] != mode or was[1] < since:
                self._announce(meeting_id)  # others see a newcomer (or a change) at once
            # Who else is there, in the same transaction: one round of work per heartbeat.
            return self._present(actor, meeting_id, include_self=False)

    def who(self, actor: Actor, meeting_id: int, *, include_self: bool = False) -> Present:
        with self.read():
            self._require(actor, meeting_id, "view", "presence.who")
            return self._present(actor, meeting_id, include_self=include_self)

    def _present(self, actor: Actor, meeting_id: int, *, include_self: bool) -> Present:
        since = self.now() - timedelta(seconds=WINDOW_SECONDS)
        q = (m.Presence.select(m.Member.name, m.Presence.mode)
             .join(m.Member, on=(m.Presence.member == m.Member.id))
             .where((m.Presence.meeting == meeting_id) & (m.Presence.heartbeat_at >= since))
             .order_by(m.Presence.id))
        if not include_self:
            q = q.where(m.Presence.member != actor.member_id)
        rows = list(q.tuples())
        return Present(tuple(n for n, mode in rows if mode == "view"),
                       tuple(n for n, mode in rows if mode == "edit"))

    def _require(self, actor: Actor, meeting_id: int, mode: str, right: str) -> None:
        """Who is on a meeting is seen only by those who may read it; "editing" is claimed
        only by those who may mark attendance or write its minutes."""
        row = get_or_404(m.Meeting, meeting_id)
        g = self.grants(actor)
        target = meeting_target(row)
        g.check(right, target)
        if mode == "edit":
            g.check("presence.edit", target)

    def leave(self, actor: Actor, meeting_id: int) -> None:
        with self.write():
            self.grants(actor).check("presence.leave", self_target(actor))
            gone = (m.Presence.delete()
                    .where((m.Presence.member == actor.member_id)
                           & (m.Presence.meeting == meeting_id)).execute())
            if gone:
                self._announce(meeting_id)

    def _announce(self, meeting_id: int) -> None:
        """Tell the other sessions' change feeds that who is on the meeting changed, at
        commit: a marker row on SQLite (the oldest pruned), a NOTIFY on PostgreSQL."""
        if is_sqlite(self.db):
            new = m.PresenceChange.insert(meeting_id=meeting_id).execute()
            m.PresenceChange.delete().where(m.PresenceChange.id <= new - KEEP_CHANGES).execute()
        else:
            self.db.execute_sql(notify_sql(), (presence_payload(meeting_id),))
