"""The keys of the current screen and of the app."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

from branchtui.i18n import t
from branchtui.ui.bindings import Translated, described
from branchtui.ui.text import cell


class HelpScreen(Translated, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,question_mark", "app.pop_screen", "ui.key_back"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 80%; max-width: 90; height: auto; max-height: 90%;
                background: $panel; border: round $accent; padding: 1 2; }
    """

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="help-box"):
            yield Label(t("ui.help_title"), classes="section-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui.help_palette"))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(t("ui.help_key"), t("ui.help_action"))
        seen = set()
        for node in (self.under, self.app):
            for b in described(node):
                # A key the screen hides for this actor (F12 for those who may not read the
                # rights audit) is not offered here either.
                if b.key in seen or ("." not in b.action
                                     and node.check_action(b.action, ()) is False):
                    continue
                seen.add(b.key)
                table.add_row(cell(self.app.get_key_display(b)), cell(b.description))
