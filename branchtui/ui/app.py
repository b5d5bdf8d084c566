"""The Textual application. Screens stay thin: they ask the services in thread workers and
render frozen core objects; every user string goes through ``ui.text``.

Navigation is global: F2 meetings, F3 members, F4 rectification, F6 my record, F7 leave
to decide, F8 民主评议, F9 home, F12 the rights audit (for the administrator and the upper
level only); F1 help; Ctrl+P the command palette, where every action is
found by its Chinese or English name. Screens are imported on first use, which keeps the
start-up (measured in bench/startup.py) to what the home screen needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from branchtui.core.errors import BranchError
from branchtui.i18n import t
from branchtui.services import Actor, Services
from branchtui.ui.bindings import Translated
from branchtui.ui.connection import ConnectionStatus, DbState
from branchtui.ui.live import Changed, FeedState, PresenceChanged

# (action, key, catalogue key of the Chinese+English palette name, of its help)
NAVIGATION: tuple[tuple[str, str, str, str], ...] = (
    ("go_meetings", "f2", "ui.nav_meetings", "ui.nav_meetings_help"),
    ("go_members", "f3", "ui.nav_members", "ui.nav_members_help"),
    ("go_rectification", "f4", "ui.nav_rect", "ui.nav_rect_help"),
    ("go_mine", "f6", "ui.nav_mine", "ui.nav_mine_help"),
    ("go_leave_inbox", "f7", "ui.nav_leave", "ui.nav_leave_help"),
    ("go_appraisal", "f8", "ui.nav_appraisal", "ui.nav_appraisal_help"),
    ("go_home", "f9", "ui.nav_home", "ui.nav_home_help"),
    ("go_audit", "f12", "audit.nav", "audit.nav_help"),
)


class BranchApp(Translated, App[int]):
    """branchtui. ``actor`` None with ``personas`` set: demo mode starts on the picker."""

    CSS_PATH = "app.tcss"
    TITLE = "branchtui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", "ui.key_help", id="app.help"),
        Binding("ctrl+q", "quit", "ui.key_quit", id="app.quit", priority=True),
        # Our own palette binding, so that its word is translated (Textual adds an English
        # one only when none is declared).
        Binding("ctrl+p", "command_palette", "ui.key_palette", show=False, priority=True,
                id="app.palette"),
        *[Binding(key, action, f"{name}_key", id=f"app.{action}")
          for action, key, name, _help in NAVIGATION],
    ]

    def __init__(self, services: Services, actor: Actor | None,
                 personas: dict[str, str] | None = None, db_url: str | None = None) -> None:
        super().__init__()
        self.services = services
        self.actor = actor
        self.personas = personas or {}
        self.title = t("app.title")
        self.db_url = db_url  # with it, screens follow changes live (services.presence)
        self._watcher: Any = None
        self.connection = ConnectionStatus(self)  # "reconnecting…" / "back", app-wide
        self._pixel_size: Any = None  # of the last Resize let through (see _on_resize)
        # Whether the actor reads the rights audit (F12): asked off the event loop once per
        # actor; until the answer comes the key is hidden.
        self.may_audit = False

    def on_mount(self) -> None:
        from branchtui.ui.screens.home import HomeScreen
        from branchtui.ui.screens.persona import PersonaScreen

        if self.actor is None and self.personas:
            self.push_screen(PersonaScreen(self.personas))
        else:
            self.push_screen(HomeScreen())
        if self.actor is not None:
            self._check_audit(self.actor)
        self.connection.start()
        if self.db_url:
            from branchtui.services.presence import EVERYTHING, ChangeWatcher

            def changed(ids: set[int]) -> None:  # on the watcher's thread
                self.post_message(Changed(frozenset(ids), everything=EVERYTHING in ids))

            self._watcher = ChangeWatcher(
                self.db_url, changed, lambda state: self.post_message(FeedState(state)),
                on_presence=lambda ids: self.post_message(PresenceChanged(frozenset(ids))),
            ).start()

    async def _on_resize(self, event: events.Resize) -> None:
        # Textual 8.2.8 keeps a Resize of the size it already has and, when the app next
        # goes idle, sends it to every screen, which then lays itself out again in full
        # (~30 ms for the home screen with its data). The driver sends one such Resize at
        # every start, and a terminal may repeat SIGWINCH. Drop it: nothing changed.
        # (Textual calls each class's handler in turn: App._on_resize runs after this one
        # unless prevent_default() says not to.)
        if self._size == event.size and event.pixel_size == self._pixel_size:
            event.stop()
            event.prevent_default()
            return
        self._pixel_size = event.pixel_size

    def on_unmount(self) -> None:
        self.connection.stop()
        if self._watcher is not None:
            self._watcher.stop(timeout=1.0)

    def save_before_exit(self) -> None:
        """The terminal hung up and the process is about to end without a Textual shutdown
        (``cli._exit_on_hangup``): save, synchronously on the calling thread, what the open
        screens hold that is not in the database yet (the minutes' drafts). Called from a
        thread of its own while the event loop stands still; never from the loop."""
        services, actor = self.services, self.actor
        if actor is None:
            return
        for screen in self.screen_stack:
            save = getattr(screen, "save_before_exit", None)
            if callable(save):
                save(services, actor)

    def on_changed(self, message: Changed) -> None:
        for screen in self.screen_stack:
            screen.post_message(Changed(message.meeting_ids, message.everything))

    def on_presence_changed(self, message: PresenceChanged) -> None:
        for screen in self.screen_stack:
            screen.post_message(PresenceChanged(message.meeting_ids))

    def on_feed_state(self, message: FeedState) -> None:
        self.connection.feed_state(message.state)

    def on_db_state(self, message: DbState) -> None:
        self.connection.update(message.source, message.lost)

    def act_as(self, actor: Actor) -> None:
        """Demo mode: switch to another persona and start over at home."""
        from branchtui.ui.screens.home import HomeScreen

        self.actor = actor
        self.may_audit = False
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(HomeScreen())
        self._check_audit(actor)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit_scope")
    def _check_audit(self, actor: Actor) -> None:
        """Ask the service whether ``actor`` reads the rights audit, to offer F12 or not."""
        try:
            may = self.services.roster.audit_scope(actor) is not None
        except BranchError:
            may = False
        self.call_from_thread(self._set_may_audit, actor, may)

    def _set_may_audit(self, actor: Actor, may: bool) -> None:
        if actor is self.actor:  # a persona switched meanwhile asks again for itself
            self.may_audit = may
            self.screen.refresh_bindings()

    # -- navigation ---------------------------------------------------------------------------

    def _open(self, make: Callable[[], Screen]) -> None:
        """Go to a top-level screen: back to home first, so F-keys never pile up screens."""
        if self.actor is None:
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.push_screen(make())

    def action_go_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_go_meetings(self) -> None:
        from branchtui.ui.screens.meetings import MeetingsScreen

        self._open(MeetingsScreen)

    def action_go_members(self) -> None:
        from branchtui.ui.screens.members import MembersScreen

        self._open(MembersScreen)

    def action_go_rectification(self) -> None:
        """The tracker of the actor's branch (officers see all its items, members their own)."""
        from branchtui.ui.screens.orglife.tracker import RectificationScreen

        if self.actor is not None:
            self._open_for_branch(self.actor, RectificationScreen)

    def action_go_mine(self) -> None:
        from branchtui.ui.screens.mine import MineScreen

        self._open(MineScreen)

    def action_go_leave_inbox(self) -> None:
        from branchtui.ui.screens.leave import LeaveInboxScreen

        self._open(LeaveInboxScreen)

    def action_go_audit(self) -> None:
        from branchtui.ui.screens.audit import AuditScreen

        self._open(AuditScreen)

    def action_go_keys(self) -> None:
        """The login keys of the actor's branch (the roster's ``k``; the secretary's)."""
        from branchtui.ui.screens.keys import KeysScreen

        if self.actor is not None:
            self._open_for_branch(self.actor, KeysScreen, required=True)

    def action_go_appraisal(self) -> None:
        """民主评议 of the actor's branch for last year (the round held early this year)."""
        from branchtui.ui.screens.appraisal import AppraisalScreen

        today = self.services.ctx.today
        if self.actor is not None:
            self._open_for_branch(self.actor, lambda branch_id: AppraisalScreen(
                branch_id, today(branch_id).year - 1), required=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="nav")
    def _open_for_branch(self, actor: Actor, make: Callable[[Any], Screen],
                         required: bool = False) -> None:
        """Find the actor's branch off the event loop, then open ``make(branch_id)``
        (``make(None)`` when they have none, unless ``required``)."""
        try:
            branches = self.services.roster.my_branches(actor)
        except BranchError as exc:
            self.call_from_thread(self.notify, exc.message(), severity="error", markup=False)
            return
        if not branches and required:
            self.call_from_thread(self.notify, t("ui.no_branch"), markup=False)
            return
        branch_id = branches[0].id if branches else None
        self.call_from_thread(self._open, lambda: make(branch_id))

    def action_help(self) -> None:
        from branchtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Switching persona exists in demo mode only: hidden otherwise (e.g. over SSH).
        if action == "switch_persona":
            return bool(self.personas)
        if action == "go_audit":
            return self.may_audit
        return True

    def action_switch_persona(self) -> None:
        from branchtui.ui.screens.persona import PersonaScreen

        if self.personas:
            self.push_screen(PersonaScreen(self.personas))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Every action reachable by its Chinese and English names.
        yield SystemCommand(t("ui.cmd_help"), t("ui.cmd_help_help"), self.action_help)
        for action, _key, name, help_key in NAVIGATION:
            if action == "go_audit" and not self.may_audit:
                continue
            callback: Any = getattr(self, f"action_{action}")
            yield SystemCommand(t(name), t(help_key), callback)
        if self.personas:
            yield SystemCommand(t("ui.cmd_persona"), t("ui.cmd_persona_help"),
                                self.action_switch_persona)
        for name, help_text, action_cb in getattr(screen, "palette_commands", lambda: [])():
            yield SystemCommand(name, help_text, action_cb)
        yield SystemCommand(t("ui.cmd_quit"), t("ui.cmd_quit_help"), self.exit)
