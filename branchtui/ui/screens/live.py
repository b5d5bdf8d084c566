"""A screen that shows one meeting and follows it live: it reloads when the change feed says
the meeting changed (``live_refresh``, by default ``action_refresh``), and keeps a presence
heartbeat so that others see who is viewing or editing it, shown on one line. The line is
read again when the feed says someone came, left or switched mode, so it does not wait for
the next heartbeat."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.widgets import Footer, Static

from branchtui.i18n import t
from branchtui.services.presence import HEARTBEAT_SECONDS, Present
from branchtui.ui.live import Changed, PresenceChanged
from branchtui.ui.screens.base import DataScreen
from branchtui.ui.text import content


class PresenceSeen(Message):
    def __init__(self, present: Present) -> None:
        super().__init__()
        self.present = present


class LiveMeetingScreen(DataScreen):
    """Base of the meeting screens (record, attendance, minutes). Subclasses set
    ``meeting_id`` in ``__init__``; Textual calls this class's ``on_mount``/``on_unmount``
    as well as the subclass's own."""

    meeting_id: int
    present: Present | None = None

    def presence_mode(self) -> str:
        """"view" or "edit": overridden by screens where the user may write."""
        return "view"

    def live_refresh(self) -> None:
        refresh: Any = getattr(self, "action_refresh", None)
        if refresh is not None:
            refresh()

    def on_mount(self) -> None:
        line = Static(id="presence", classes="presence")
        line.display = False
        footers = self.query(Footer)
        if footers:
            self.mount(line, before=footers.first())
        else:
            self.mount(line)
        self.set_interval(HEARTBEAT_SECONDS, self._beat)
        self._beat()

    def on_unmount(self) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        if actor is None:
            return

        def leave() -> None:
            with contextlib.suppress(Exception):
                svc.presence.leave(actor, mid)

        # An app worker: the screen's own workers are cancelled as it goes.
        self.app.run_worker(leave, thread=True, exit_on_error=False, group="presence")

    def on_changed(self, message: Changed) -> None:
        if message.concerns(self.meeting_id):
            self.live_refresh()
        if message.everything:  # back from an outage: who is here may have changed too
            self._reload_presence()

    def on_presence_changed(self, message: PresenceChanged) -> None:
        if self.meeting_id in message.meeting_ids:
            self._reload_presence()

    def _reload_presence(self) -> None:
        """Read who else is on the meeting (a read: the heartbeat keeps its own pace)."""
        svc, actor, mid = self.services, self.actor, self.meeting_id
        if actor is not None:
            self._presence(lambda: svc.presence.who(actor, mid))

    def _beat(self) -> None:
        svc, actor, mid, mode = self.services, self.actor, self.meeting_id, self.presence_mode()
        if actor is not None:
            self._presence(lambda: svc.presence.beat(actor, mid, mode))

    def _presence(self, call: Callable[[], Any]) -> None:
        """Run a presence call in a thread and show who is there from its answer."""

        def run() -> None:
            # Presence is a courtesy: never an error in the user's face.
            with contextlib.suppress(Exception):
                self.post_message(PresenceSeen(call()))

        self.run_worker(run, thread=True, exit_on_error=False, group="presence")

    def on_presence_seen(self, message: PresenceSeen) -> None:
        if message.present == self.present:
            return  # nobody came or went: no redraw (an idle session stays idle)
        self.present = p = message.present
        sep, names = t("ui.presence_sep"), t("ui.presence_names_sep")
        parts = []
        if p.viewing:
            parts.append(t("ui.presence_viewing", names=names.join(p.viewing)))
        if p.editing:
            parts.append(t("ui.presence_editing", names=names.join(p.editing)))
        line = self.query_one("#presence", Static)
        line.update(content(sep.join(parts)))
        line.display = bool(parts)
