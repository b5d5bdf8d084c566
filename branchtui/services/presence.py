"""Live: who is viewing or editing a meeting (presence), and the change feed the UI follows.

A meeting screen beats every ``HEARTBEAT_SECONDS`` while open; people seen within
``WINDOW_SECONDS`` are shown; closing the screen removes the row. Presence is not record:
it is not in the change log and carries no version."""

from __future__ import annotations

from datetime import timedelta

from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.services.base import Actor, Service, get_or_404
from branchtui.store import models as m
from branchtui.store.feed import EVERYTHING, LIVE, RECONNECTING, ChangeFeed, ChangeWatcher

__all__ = ["EVERYTHING", "LIVE", "RECONNECTING", "ChangeFeed", "ChangeWatcher",
           "PresenceService", "Present"]

HEARTBEAT_SECONDS = 10.0
WINDOW_SECONDS = 30.0
MODES = ("view", "edit")


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
        with self.write():
            self._require(actor, meeting_id, mode)
            (m.Presence.insert(member=actor.member_id, meeting=meeting_id, mode=mode,
                               heartbeat_at=now)
             .on_conflict(conflict_target=[m.Presence.meeting, m.Presence.member],
                          update={m.Presence.mode: mode, m.Presence.heartbeat_at: now})
             .execute())
            # Who else is there, in the same transaction: one round of work per heartbeat.
            return self._present(actor, meeting_id, include_self=False)

    def who(self, actor: Actor, meeting_id: int, *, include_self: bool = False) -> Present:
        with self.read():
            self._require(actor, meeting_id, "view")
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

    def _require(self, actor: Actor, meeting_id: int, mode: str) -> None:
        """Who is on a meeting is seen only by those who may read it; "editing" is claimed
        only by those who may mark attendance or write its minutes."""
        row = get_or_404(m.Meeting, meeting_id)
        g = self.grants(actor)
        g.require(g.can_read_meeting(row), "perm.read")
        if mode == "edit":
            g.require(g.can_mark(row) or g.can_write_minutes(row), "perm.minutes")

    def leave(self, actor: Actor, meeting_id: int) -> None:
        with self.write():
            m.Presence.delete().where((m.Presence.member == actor.member_id)
                                      & (m.Presence.meeting == meeting_id)).execute()
