"""The attendance sheet's questions: the reason (and kind of leave) for 请假 or 缺席, a choice
among a few answers, and a 列席 guest."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from branchtui.core.enums import AttendanceStatus, LeaveKind
from branchtui.core.frozen import frozen
from branchtui.i18n import enum_label, t
from branchtui.ui.bindings import Translated
from branchtui.ui.text import content


@frozen
class ReasonAnswer:
    reason: str
    leave_kind: LeaveKind | None


class ReasonModal(Translated, ModalScreen[ReasonAnswer | None]):
    """Reason (and for 请假 the kind of leave). Enter confirms, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_attendance.cancel", id="attendance.reason.cancel"),
    ]
    DEFAULT_CSS = """
    ReasonModal { align: center middle; }
    ReasonModal #reason-box { width: 70; max-width: 95%; height: auto; max-height: 95%;
        background: $panel; border: round $accent; padding: 0 1; }
    ReasonModal RadioSet { width: 100%; height: auto; layout: horizontal; }
    ReasonModal RadioButton { width: auto; margin-right: 2; }
    ReasonModal .modal-buttons { height: auto; align-horizontal: right; }
    ReasonModal .modal-buttons Button { margin-left: 1; min-width: 8; }
    """

    def __init__(self, title: str, status: AttendanceStatus, reason: str = "",
                 leave_kind: LeaveKind | None = None) -> None:
        super().__init__()
        self.heading = title
        self.status = status
        self.initial_reason = reason
        self.initial_kind = leave_kind or LeaveKind.SICK

    @property
    def is_leave(self) -> bool:
        return self.status is AttendanceStatus.LEAVE

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box"):
            yield Label(content(self.heading), classes="section-title")
            yield Label(t("ui_attendance.reason_label"))
            yield Input(value=self.initial_reason, id="reason", placeholder=t(
                "ui_attendance.reason_leave_placeholder" if self.is_leave
                else "ui_attendance.reason_absent_placeholder"))
            if self.is_leave:
                yield Label(t("ui_attendance.kind_label"))
                with RadioSet(id="kind"):
                    for kind in LeaveKind:
                        yield RadioButton(content(enum_label(kind)),
                                          value=kind is self.initial_kind, name=kind.value)
            yield Static(id="reason-error", classes="error")
            with Horizontal(classes="modal-buttons"):
                yield Label(t("ui_attendance.modal_hint"))
                yield Button(content(t("ui_attendance.confirm")), id="ok", variant="primary")
                yield Button(content(t("ui_attendance.cancel")), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        # Choosing a kind hands the keyboard back to the reason, so Enter confirms.
        self.query_one("#reason", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        kind = None
        if self.is_leave:
            if not reason:
                self.query_one("#reason-error", Static).update(
                    content(t("ui_attendance.reason_required")))
                self.query_one("#reason", Input).focus()
                return
            pressed = self.query_one("#kind", RadioSet).pressed_button
            kind = LeaveKind(pressed.name) if pressed is not None and pressed.name \
                else LeaveKind.OTHER
        self.dismiss(ReasonAnswer(reason, kind))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(Translated, ModalScreen[str | None]):
    """A question with a few buttons; Escape answers None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_attendance.cancel", id="attendance.choice.cancel"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]
    DEFAULT_CSS = """
    ChoiceModal { align: center middle; }
    ChoiceModal #choice-box { width: 70; max-width: 95%; height: auto; max-height: 95%;
        background: $panel; border: round $warning; padding: 0 1; }
    ChoiceModal #choice-body { height: auto; margin: 1 0; }
    ChoiceModal .modal-buttons { height: auto; }
    ChoiceModal .modal-buttons Button { margin-right: 1; }
    """

    def __init__(self, title: str, body: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.heading = title
        self.body = body
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Label(content(self.heading), classes="section-title")
            yield Static(content(self.body), id="choice-body")
            with Horizontal(classes="modal-buttons"):
                for i, (answer, label) in enumerate(self.choices):
                    yield Button(content(label), id=f"choice-{answer}",
                                 variant="primary" if i == 0 else "default")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


@frozen
class GuestAnswer:
    name: str
    affiliation: str
    reason: str


class GuestModal(Translated, ModalScreen[GuestAnswer | None]):
    """Name, affiliation and reason of a 列席 guest."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_attendance.cancel", id="attendance.guest.cancel"),
    ]
    DEFAULT_CSS = """
    GuestModal { align: center middle; }
    GuestModal #guest-box { width: 76; max-width: 95%; height: auto; max-height: 95%;
        background: $panel; border: round $accent; padding: 0 1; }
    """

    def __init__(self, draft: GuestAnswer | None = None) -> None:
        super().__init__()
        self.draft = draft or GuestAnswer("", "", "")

    def compose(self) -> ComposeResult:
        with Vertical(id="guest-box"):
            yield Label(t("ui_attendance.guest_title"), classes="section-title")
            yield Label(t("field.name"))
            yield Input(value=self.draft.name, id="guest-name",
                        placeholder=t("ui_attendance.guest_name_placeholder"))
            yield Label(t("field.affiliation"))
            yield Input(value=self.draft.affiliation, id="guest-affiliation",
                        placeholder=t("ui_attendance.guest_affiliation_placeholder"))
            yield Label(t("field.reason"))
            yield Input(value=self.draft.reason, id="guest-reason",
                        placeholder=t("ui_attendance.guest_reason_placeholder"))
            yield Label(t("ui_attendance.guest_hint"))

    def on_mount(self) -> None:
        self.query_one("#guest-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "guest-reason":
            self.dismiss(GuestAnswer(
                self.query_one("#guest-name", Input).value,
                self.query_one("#guest-affiliation", Input).value,
                self.query_one("#guest-reason", Input).value))
        else:
            self.focus_next()

    def action_cancel(self) -> None:
        self.dismiss(None)
