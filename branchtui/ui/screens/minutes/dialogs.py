"""The live minutes' dialogs: a stale speech, yes or no, closing with gaps in the record,
giving a remark to another speaker, and opening on another day than planned."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from branchtui.core import model as c
from branchtui.core.frozen import frozen
from branchtui.core.record_check import Finding, describe
from branchtui.i18n import t
from branchtui.ui.bindings import Translated
from branchtui.ui.text import content, span, when
from branchtui.ui.widgets.member_picker import MemberPicker


class SpeechConflict(Translated, ModalScreen[str]):
    """Someone saved this speech first. Show both texts; the user chooses."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('edit')", "ui_minutes.conflict_keep_editing"),
    ]
    DEFAULT_CSS = """
    SpeechConflict { align: center middle; }
    #clash { width: 90%; max-width: 100; height: auto; max-height: 90%;
             background: $panel; border: round $warning; padding: 0 1; }
    #clash VerticalScroll { height: auto; max-height: 12; }
    #clash .text { padding: 0 1; background: $boost; }
    #clash Horizontal { height: auto; }
    #clash Button { margin: 0 1 0 0; }
    """

    def __init__(self, mine: str, theirs: c.Speech) -> None:
        super().__init__()
        self.mine = mine
        self.theirs = theirs

    def compose(self) -> ComposeResult:
        with Vertical(id="clash"):
            yield Label(t("ui_minutes.conflict_title"), classes="section-title")
            with VerticalScroll():
                yield Label(t("ui_minutes.conflict_theirs"))
                yield Static(content(self.theirs.text), classes="text", id="clash-theirs")
                yield Label(t("ui_minutes.conflict_mine"))
                yield Static(content(self.mine), classes="text", id="clash-mine")
            with Horizontal():
                yield Button(t("ui_minutes.conflict_overwrite"), id="overwrite",
                             variant="warning")
                yield Button(t("ui_minutes.conflict_take_theirs"), id="theirs")
                yield Button(t("ui_minutes.conflict_keep_editing"), id="edit",
                             variant="primary")

    def on_mount(self) -> None:
        self.query_one("#edit", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "edit")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class Confirm(Translated, ModalScreen[bool]):
    """Yes or no, with the question in the user's language."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "ui_minutes.no"),
        Binding("y", "answer(True)", "ui_minutes.yes"),
    ]
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    #confirm { width: 70%; max-width: 80; height: auto; background: $panel;
               border: round $accent; padding: 1 2; }
    #confirm Horizontal { height: auto; margin: 1 0 0 0; }
    #confirm Button { margin: 0 1 0 0; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(content(self.question))
            # The focus starts on 取消 (the safe answer): say which keys answer.
            yield Static(content(t("ui_minutes.confirm_keys")), classes="hint")
            with Horizontal():
                yield Button(t("ui_minutes.yes"), id="yes", variant="warning")
                yield Button(t("ui_minutes.no"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class CloseWithGaps(Translated, ModalScreen[str | None]):
    """Closing a meeting whose record lacks what it must have: the gaps the record check
    found, and the reason for closing all the same (required; kept with the record).
    Escape goes back to complete the record."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_minutes.gaps_back", id="minutes.gaps.back"),
    ]
    DEFAULT_CSS = """
    CloseWithGaps { align: center middle; }
    #gaps-box { width: 90%; max-width: 100; height: auto; max-height: 100%;
                background: $panel; border: round $warning; padding: 0 1; }
    #gaps-box #gaps-list { height: auto; max-height: 8; }
    #gaps-box .modal-buttons { height: auto; align-horizontal: right; }
    #gaps-box .modal-buttons Button { margin-left: 1; min-width: 8; }
    """

    def __init__(self, gaps: list[Finding]) -> None:
        super().__init__()
        self.gaps = gaps

    def compose(self) -> ComposeResult:
        with Vertical(id="gaps-box"):
            yield Label(content(t("ui_minutes.gaps_title")), classes="section-title")
            yield Static(content(t("ui_minutes.gaps_intro")))
            with VerticalScroll(id="gaps-list"):
                for f in self.gaps:
                    yield Static(content(t("ui_minutes.gaps_item", text=describe(f))),
                                 classes="gap")
            yield Static(content(t("ui_minutes.gaps_hint")), classes="hint")
            yield Label(content(t("ui_minutes.gaps_reason")))
            yield Input(placeholder=t("ui_minutes.gaps_reason_hint"), id="gaps-reason")
            yield Static(id="gaps-error", classes="error")
            with Horizontal(classes="modal-buttons"):
                # The buttons run the dialog's own actions (docs/ui-conventions.md).
                yield Button(content(t("ui_minutes.gaps_close")), id="gaps-close",
                             variant="warning", action="screen.close_anyway")
                yield Button(content(t("ui_minutes.gaps_back")), id="gaps-back",
                             variant="primary", action="screen.cancel")

    def on_mount(self) -> None:
        self.query_one("#gaps-reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_close_anyway()

    def action_close_anyway(self) -> None:
        reason = self.query_one("#gaps-reason", Input).value.strip()
        if not reason:
            self.query_one("#gaps-error", Static).update(
                content(t("ui_minutes.gaps_required")))
            self.query_one("#gaps-reason", Input).focus()
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)


def excerpt(text: str, width: int = 40) -> str:
    """The start of a remark on one line, for a question about it."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class MoveSpeech(Translated, ModalScreen[tuple[int | None, str] | None]):
    """Whose remark it really is: type part of the name, Enter picks (a guest's name as
    typed). Escape leaves the remark as it is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_minutes.no", id="minutes.move.cancel"),
    ]
    DEFAULT_CSS = """
    MoveSpeech { align: center middle; }
    #move-box { width: 90%; max-width: 90; height: auto; max-height: 100%;
                background: $panel; border: round $accent; padding: 0 1; }
    #move-box .modal-buttons { height: auto; align-horizontal: right; }
    #move-box .modal-buttons Button { margin-left: 1; min-width: 8; }
    """

    def __init__(self, speech: c.Speech, candidates: list[tuple[int | None, str, str]]) -> None:
        super().__init__()
        self.speech = speech
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        s = self.speech
        with Vertical(id="move-box"):
            yield Label(content(t("ui_minutes.move_title")), classes="section-title")
            yield Static(content(t("ui_minutes.move_speech", time=s.spoken_at.strftime("%H:%M"),
                                   name=s.speaker_name, text=excerpt(s.text))),
                         id="move-what")
            yield MemberPicker(t("ui_minutes.move_to"),
                               placeholder=t("ui_minutes.speaker_hint"), drop_down=True,
                               allow_free=True, id="move-to")
            yield Static(id="move-error", classes="error")
            with Horizontal(classes="modal-buttons"):
                yield Button(content(t("ui_minutes.yes")), id="move-ok", variant="primary",
                             action="screen.confirm")
                yield Button(content(t("ui_minutes.no")), id="move-cancel",
                             action="screen.cancel")

    def on_mount(self) -> None:
        picker = self.query_one(MemberPicker)
        picker.set_candidates(self.candidates)
        picker.input.focus()

    @on(MemberPicker.Picked)
    def _picked(self, event: MemberPicker.Picked) -> None:
        event.stop()
        self.dismiss((event.member_id, event.name))

    def action_confirm(self) -> None:
        choice = self.query_one(MemberPicker).resolve()
        if choice is None:
            self.query_one("#move-error", Static).update(content(t("ui_minutes.move_pick")))
            self.query_one(MemberPicker).input.focus()
            return
        self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)


@frozen
class OtherDayOffer:
    """What the offer shows: the meeting, today, the slot "改期到今天" moves it to, whether
    the actor may reschedule it, and the branch's other sittings at that time."""

    meeting: c.Meeting
    today: date
    start: datetime
    end: datetime | None
    may_reschedule: bool
    overlaps: tuple[c.Meeting, ...] = ()


class OpenOtherDay(Translated, ModalScreen[tuple[str, str] | None]):
    """A meeting is held on its planned day. Opened on another day, it is moved to today
    first (one key, Y), or, planned for a day already past and recorded only now, opened
    as a 补录 with a reason. Answers ("move", "") or ("late", reason); None to cancel."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_minutes.no"),
        Binding("y", "move", "ui_minutes.key_move_today"),
    ]
    DEFAULT_CSS = """
    OpenOtherDay { align: center middle; }
    #other-day { width: 80%; max-width: 90; height: auto; max-height: 96%;
                 background: $panel; border: round $warning; padding: 0 1; }
    #other-day Static { margin: 0 0 1 0; }
    #other-day #od-error { color: $error; margin: 0; }
    #other-day Horizontal { height: auto; }
    #other-day Button { margin: 0 1 0 0; }
    """

    def __init__(self, offer: OtherDayOffer) -> None:
        super().__init__()
        self.offer = offer
        self.past = offer.meeting.planned_start.date() < offer.today

    def compose(self) -> ComposeResult:
        o, m = self.offer, self.offer.meeting
        day = m.planned_start.date().isoformat()
        with VerticalScroll(id="other-day"):
            yield Static(content(t("ui_minutes.other_day", title=m.title, day=day,
                                   today=o.today.isoformat())), id="od-question")
            if o.may_reschedule:
                yield Static(content(t("ui_minutes.move_offer", slot=span(o.start, o.end))),
                             id="od-move")
                if o.overlaps:
                    others = t("ui_minutes.sep").join(
                        f"{x.title}（{when(x.planned_start)}）" for x in o.overlaps[:3])
                    yield Static(content(t("ui_minutes.move_overlaps", n=len(o.overlaps),
                                           others=others)), id="od-overlaps")
            else:
                yield Static(content(t("ui_minutes.move_not_allowed")), id="od-move")
            if self.past:
                yield Static(content(t("ui_minutes.late_offer", day=day)), id="od-late")
                yield Input(placeholder=t("ui_minutes.late_reason_hint"), id="od-reason")
                yield Static(id="od-error")
            with Horizontal():
                yield Button(t("ui_minutes.move_today"), id="od-move-btn", variant="warning",
                             disabled=not o.may_reschedule, action="screen.move")
                if self.past:
                    yield Button(t("ui_minutes.open_late"), id="od-late-btn",
                                 action="screen.late")
                yield Button(t("ui_minutes.no"), id="od-no", variant="primary",
                             action="screen.cancel")

    def on_mount(self) -> None:
        first = ("#od-move-btn" if self.offer.may_reschedule
                 else "#od-reason" if self.past else "#od-no")
        self.query_one(first).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move":
            return self.offer.may_reschedule
        return True

    def action_move(self) -> None:
        if self.offer.may_reschedule:
            self.dismiss(("move", ""))

    def action_late(self) -> None:
        reason = self.query_one("#od-reason", Input).value
        if not reason.strip():
            self.query_one("#od-error", Static).update(
                content(t("text.required", field=t("field.late_reason"))))
            self.query_one("#od-reason", Input).focus()
            return
        self.dismiss(("late", reason))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#od-reason")
    def _submitted(self) -> None:
        self.action_late()
