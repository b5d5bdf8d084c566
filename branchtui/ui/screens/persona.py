"""Demo mode: choose whom to act as."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Label, OptionList
from textual.widgets.option_list import Option

from branchtui.i18n import t
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Loaded
from branchtui.ui.text import content

ORDER = ("shuji", "jilu", "dangyuan", "yubei", "shangji", "jiedao", "xiaozhibu", "admin")


class PersonaScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "ui.key_back", id="persona.back"),
    ]

    def __init__(self, personas: dict[str, str]) -> None:
        super().__init__()
        self.personas = personas

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(t("ui.persona_title"), classes="section-title")
        roles = sorted(self.personas, key=lambda r: ORDER.index(r) if r in ORDER else 99)
        yield OptionList(
            *[Option(content(f"{t('ui.persona.' + r)}（{self.personas[r]}）"), id=r)
              for r in roles],
            id="persona-list",
        )
        yield KeyFooter()

    def action_back(self) -> None:
        # The picker is the first screen in demo mode: there is nothing to go back to.
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        login = self.personas[str(event.option.id)]
        self.fetch("actor", lambda: self.services.roster.actor_for_login(login, via="demo"))

    def on_loaded(self, message: Loaded) -> None:
        self.app.act_as(message.data)  # type: ignore[attr-defined]
