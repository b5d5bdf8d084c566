"""One status for the database connection, whoever noticed the loss: the services (a call
that could not reconnect, see ``services.base.Health``) or the change feed (its watcher
thread). While the database is away the header says so on every screen, a notice says so
once, and a probe asks again every few seconds; when it answers, a notice says it is back.
Screens do nothing for this: their workers get ``Unavailable`` (a translated message) and
keep what the user typed; the minutes' autosave tries again at its next tick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.timer import Timer

from branchtui.i18n import t

PROBE_SECONDS = 2.0
SERVICES, FEED = "services", "feed"


class DbState(Message, bubble=False):
    """``source`` ("services" or "feed") lost or regained the database."""

    def __init__(self, source: str, lost: bool) -> None:
        super().__init__()
        self.source = source
        self.lost = lost


class ConnectionStatus:
    """Owned by the app, which hands it ``DbState`` and the feed's state."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lost: set[str] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._probe: Timer | None = None
        self._probing = False
        self._saved_sub_title = ""

    @property
    def away(self) -> bool:
        return bool(self.lost)

    def start(self) -> None:
        health = self.app.services.ctx.health

        def changed(state: str) -> None:  # on whichever thread saw it: post, never touch
            self.app.post_message(DbState(SERVICES, state == health.LOST))

        self._unsubscribe = health.subscribe(changed)
        if health.state == health.LOST:
            self.update(SERVICES, True)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def feed_state(self, state: str) -> None:
        self.update(FEED, state != "live")

    def update(self, source: str, lost: bool) -> None:
        was = self.away
        if lost:
            self.lost.add(source)
        else:
            self.lost.discard(source)
        self._keep_probing(SERVICES in self.lost)
        if self.away and not was:
            self._saved_sub_title = self.app.sub_title
            self.app.sub_title = t("ui.db_status_reconnecting")
            self.app.notify(t("ui.live_reconnecting"), markup=False, severity="warning",
                            timeout=30)
        elif was and not self.away:
            self.app.sub_title = self._saved_sub_title
            self.app.notify(t("ui.live_back"), markup=False, severity="information",
                            timeout=5)

    def _keep_probing(self, on: bool) -> None:
        if on and self._probe is None:
            self._probe = self.app.set_interval(PROBE_SECONDS, self._ask)
        elif not on and self._probe is not None:
            self._probe.stop()
            self._probe = None

    def _ask(self) -> None:
        """One probe at a time: a probe waits for the services' own retries."""
        if self._probing:
            return
        self._probing = True
        services = self.app.services

        def ping() -> None:
            try:
                with contextlib.suppress(Exception):  # the outcome reaches us via Health
                    services.ping()
            finally:
                self._probing = False

        self.app.run_worker(ping, thread=True, exit_on_error=False, group="db-probe")
