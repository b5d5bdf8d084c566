"""The Textual application. Screens stay thin: they ask the services in thread workers and
render frozen core objects; every user string goes through ``ui.text``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from branchtui.i18n import t
from branchtui.services import Actor, Services
from branchtui.ui.bindings import Translated


class BranchApp(Translated, App[int]):
    """branchtui. ``actor`` None with ``personas`` set: demo mode starts on the picker."""

    CSS_PATH = "app.tcss"
    TITLE = "branchtui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", "ui.key_help", id="app.help"),
        Binding("ctrl+q", "quit", "ui.key_quit", id="app.quit", priority=True),
    ]

    def __init__(self, services: Services, actor: Actor | None,
                 personas: dict[str, str] | None = None) -> None:
        super().__init__()
        self.services = services
        self.actor = actor
        self.personas = personas or {}
        self.title = t("app.title")

    def on_mount(self) -> None:
        from branchtui.ui.screens.home import HomeScreen
        from branchtui.ui.screens.persona import PersonaScreen

        if self.actor is None and self.personas:
            self.push_screen(PersonaScreen(self.personas))
        else:
            self.push_screen(HomeScreen())

    def act_as(self, actor: Actor) -> None:
        """Demo mode: switch to another persona and start over at home."""
        from branchtui.ui.screens.home import HomeScreen

        self.actor = actor
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(HomeScreen())

    def action_help(self) -> None:
        from branchtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_switch_persona(self) -> None:
        from branchtui.ui.screens.persona import PersonaScreen

        if self.personas:
            self.push_screen(PersonaScreen(self.personas))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Every action reachable by its Chinese and English names.
        yield SystemCommand(t("ui.cmd_help"), t("ui.cmd_help_help"), self.action_help)
        if self.personas:
            yield SystemCommand(t("ui.cmd_persona"), t("ui.cmd_persona_help"),
                                self.action_switch_persona)
        for name, help_text, action in getattr(screen, "palette_commands", lambda: [])():
            yield SystemCommand(name, help_text, action)
        yield SystemCommand(t("ui.cmd_quit"), t("ui.cmd_quit_help"), self.exit)
