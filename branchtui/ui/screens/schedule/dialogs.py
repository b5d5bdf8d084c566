"""The schedule form's dialog for a stale edit: someone saved the sitting first."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from branchtui.core import model as c
from branchtui.i18n import enum_label, t
from branchtui.ui.bindings import Translated
from branchtui.ui.text import content, when


class ConflictDialog(Translated, ModalScreen[str]):
    """Someone saved the sitting first: show their values next to the user's and let the
    user choose. Answers "mine" (save mine over theirs), "theirs" (take theirs into the
    form) or "edit" (keep editing; nothing is saved)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('edit')", "ui_meetings.key_keep_editing"),
        Binding("ctrl+s", "choose('mine')", "ui_meetings.key_keep_mine"),
        Binding("ctrl+t", "choose('theirs')", "ui_meetings.key_take_theirs"),
    ]
    DEFAULT_CSS = """
    ConflictDialog { align: center middle; }
    #conflict-box { width: 84; max-width: 98%; height: auto; max-height: 98%;
                    background: $panel; border: round $warning; padding: 0 1; }
    #conflict-box Static { height: auto; margin: 0 0 1 0; }
    #conflict-buttons { height: auto; }
    #conflict-buttons Button { margin: 0 1 0 0; }
    """

    def __init__(self, current: c.Meeting | None, mine: dict[str, str]) -> None:
        super().__init__()
        self.current = current
        self.mine = mine

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="conflict-box"):
            yield Label(t("ui_meetings.conflict_title"), classes="section-title")
            yield Static(content(t("ui_meetings.conflict_explain")))
            if self.current is not None:
                cur = self.current
                yield Static(content(t(
                    "ui_meetings.conflict_theirs", title=cur.title,
                    start=when(cur.planned_start), end=when(cur.planned_end), place=cur.place,
                    status=enum_label(cur.status))), id="theirs")
            yield Static(content(t("ui_meetings.conflict_mine", **self.mine)), id="mine")
            with Horizontal(id="conflict-buttons"):
                yield Button(t("ui_meetings.keep_mine"), variant="warning", id="mine-btn")
                if self.current is not None:
                    yield Button(t("ui_meetings.take_theirs"), id="theirs-btn")
                yield Button(t("ui_meetings.keep_editing"), variant="primary", id="edit-btn")

    def on_mount(self) -> None:
        self.query_one("#edit-btn", Button).focus()

    def action_choose(self, answer: str) -> None:
        if answer == "theirs" and self.current is None:
            return
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose((event.button.id or "edit-btn").removesuffix("-btn"))
