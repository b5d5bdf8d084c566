"""Cancelling a planned sitting with a reason (the meetings list and the schedule form):
the dialog, and the worker call that cancels it or every future sitting of its series."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from branchtui.core import model as c
from branchtui.i18n import t
from branchtui.ui.bindings import Translated
from branchtui.ui.text import content, when


def cancel_call(services: Any, actor: Any, mtg: c.Meeting, reason: str,
                whole_series: bool) -> Callable[[], str]:
    """A call for a worker: cancel one sitting, or every future one of its series; returns
    what to tell the user."""
    def call() -> str:
        if whole_series and mtg.series_id is not None:
            n = services.meetings.cancel_series(actor, mtg.series_id, reason)
            return t("ui_meetings.series_cancelled", n=n)
        services.meetings.cancel(actor, mtg.id, mtg.version, reason)
        return t("ui_meetings.cancelled", title=mtg.title)
    return call


class CancelDialog(Translated, ModalScreen[tuple[str, bool] | None]):
    """Cancel a planned sitting with a reason; for a series occurrence, this one or all."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "ui.key_back"),
        Binding("ctrl+s", "confirm", "ui_meetings.key_confirm_cancel"),
    ]
    DEFAULT_CSS = """
    CancelDialog { align: center middle; }
    #cancel-box { width: 70; max-width: 96%; height: auto; max-height: 96%;
                  background: $panel; border: round $error; padding: 0 1; }
    #cancel-box Input { margin: 0 0 1 0; }
    #cancel-box RadioSet { width: 100%; height: auto; }
    #cancel-buttons { height: auto; align-horizontal: right; }
    #cancel-buttons Button { margin: 0 1; min-width: 10; }
    """

    def __init__(self, meeting: c.Meeting) -> None:
        super().__init__()
        self.meeting = meeting

    def compose(self) -> ComposeResult:
        with Vertical(id="cancel-box"):
            yield Label(t("ui_meetings.cancel_title"), classes="section-title")
            yield Static(content(t("ui_meetings.cancel_which", title=self.meeting.title,
                                   start=when(self.meeting.planned_start))))
            yield Input(placeholder=t("ui_meetings.cancel_reason"), id="cancel-reason",
                        compact=True)
            if self.meeting.series_id is not None:
                with RadioSet(id="cancel-scope"):
                    yield RadioButton(t("ui_meetings.scope_one"), value=True, id="one")
                    yield RadioButton(t("ui_meetings.scope_series"), id="series")
            yield Static(id="cancel-error", classes="error")
            with Horizontal(id="cancel-buttons"):
                yield Button(t("ui_meetings.confirm_cancel"), variant="error", id="do-cancel",
                             action="screen.confirm")
                yield Button(t("ui.key_back"), id="keep")

    def on_mount(self) -> None:
        self.query_one("#cancel-reason", Input).focus()

    def action_confirm(self) -> None:
        reason = self.query_one("#cancel-reason", Input).value
        if not reason.strip():
            self.query_one("#cancel-error", Static).update(
                content(t("ui_meetings.reason_required")))
            self.query_one("#cancel-reason", Input).focus()
            return
        whole = False
        if self.meeting.series_id is not None:
            whole = self.query_one("#series", RadioButton).value
        self.dismiss((reason, whole))

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#cancel-reason")
    def _submitted(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#keep")
    def _pressed_keep(self) -> None:
        self.dismiss(None)
