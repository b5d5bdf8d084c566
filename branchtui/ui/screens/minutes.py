"""Live minutes (记录): the recorder writes the record while the meeting runs.

Per agenda item: each speaker's remarks (the speaker picked by typing part of the name),
and decisions with their tally, judged by the rule set while the numbers are typed.
Whatever is being typed is autosaved as a personal draft every couple of seconds and on
leaving the field, so a crash or a dropped SSH connection loses almost nothing. The entry
times are the server's (the service keeps them); the screen never reads a clock for them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from branchtui.core import model as c
from branchtui.core.entry import (
    counts_written,
    needs_candidate,
    parse_day,
    unique_match,
)
from branchtui.core.enums import Act, MeetingStatus
from branchtui.core.errors import BranchError, Conflict, Unavailable, ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.record_check import Finding, RecordGaps, close_gaps, describe
from branchtui.core.votes import Tally, VoteBase, VoteOutcome, evaluate
from branchtui.i18n import enum_label, t, t_params
from branchtui.services import MeetingRecord, VoteDraft
from branchtui.services.meetings import slot_today
from branchtui.services.minutes import MeetingPeople
from branchtui.ui.bindings import Translated
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.live import LiveMeetingScreen
from branchtui.ui.text import cell, content, span, when
from branchtui.ui.widgets.member_picker import MemberPicker

AUTOSAVE_SECONDS = 2.0
NO_ITEM = 0  # the "other remarks" entry, for speeches outside any agenda item


# -- messages from the workers -------------------------------------------------------------


class Done(Message):
    def __init__(self, tag: str, data: Any) -> None:
        super().__init__()
        self.tag = tag
        self.data = data


class Refused(Message):
    def __init__(self, tag: str, text: str, key: str = "") -> None:
        super().__init__()
        self.tag = tag
        self.text = text
        self.key = key  # the refusal's catalogue key


class Clashed(Message):
    """A stale edit: ``current`` is the newer object, ``text`` says what happened."""

    def __init__(self, tag: str, current: Any, text: str) -> None:
        super().__init__()
        self.tag = tag
        self.current = current
        self.text = text


# -- the conflict dialog --------------------------------------------------------------------


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


def _excerpt(text: str, width: int = 40) -> str:
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
                                   name=s.speaker_name, text=_excerpt(s.text))),
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


# Refusals of ``open`` that the offer below answers.
OTHER_DAY = ("meeting.open_early", "meeting.open_late")


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


# -- the screen -------------------------------------------------------------------------------


class MinutesScreen(LiveMeetingScreen):
    """The live minutes of one meeting."""

    # Textual declares this oddly (ClassVar[...] | None), hence the ignore.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # type: ignore[misc]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        # App-wide F2-F4 and F6-F9 navigate; this screen keeps off them.
        Binding("ctrl+s", "save", "ui_minutes.key_save", id="minutes.save"),
        Binding("ctrl+t", "toggle_tab", "ui_minutes.key_toggle", id="minutes.toggle"),
        Binding("ctrl+o", "edit_speech", "ui_minutes.key_edit", id="minutes.edit"),
        # Corrections, not the daily keys: in the help (F1) and the palette, not the footer,
        # which keeps F10 in sight. Ctrl+D goes before the text fields' own (delete right:
        # the Delete key does that there).
        Binding("ctrl+g", "move_speech", "ui_minutes.key_move", id="minutes.move",
                show=False),
        Binding("ctrl+d", "delete_speech", "ui_minutes.key_delete", id="minutes.delete",
                priority=True, show=False),
        Binding("ctrl+up", "item(-1)", "ui_minutes.key_prev_item", id="minutes.prev_item"),
        Binding("ctrl+down", "item(1)", "ui_minutes.key_next_item", id="minutes.next_item"),
        Binding("f10", "open_meeting", "ui_minutes.key_open", id="minutes.open"),
        Binding("f10", "close_meeting", "ui_minutes.key_close", id="minutes.close"),
        Binding("ctrl+l", "review", "ui_minutes.key_review", id="minutes.review"),
        Binding("ctrl+r", "record", "ui_minutes.key_record", id="minutes.record"),
        Binding("f5", "refresh", "ui.key_refresh", id="minutes.refresh"),
        Binding("escape", "back", "ui_minutes.key_back", id="minutes.back"),
    ]
    DEFAULT_CSS = """
    MinutesScreen #head { height: auto; }
    MinutesScreen #main { height: 1fr; layout: vertical; }
    MinutesScreen.-wide #main { layout: horizontal; }
    MinutesScreen #agenda-box { height: auto; max-height: 5; }
    MinutesScreen.-wide #agenda-box { width: 40; height: 1fr; max-height: 100%; }
    MinutesScreen #agenda { height: auto; max-height: 4; border: none; }
    MinutesScreen.-wide #agenda { max-height: 100%; height: 1fr; }
    MinutesScreen #agenda-title { margin: 0 1; }
    MinutesScreen TabbedContent { height: 1fr; }
    MinutesScreen TabPane { padding: 0; }
    MinutesScreen .pane { height: 1fr; }
    MinutesScreen DataTable { max-height: 6; margin: 0; }
    MinutesScreen.-wide DataTable { max-height: 12; }
    MinutesScreen TextArea { height: 6; min-height: 4; }
    MinutesScreen.-wide TextArea { height: 8; }
    MinutesScreen .row { height: auto; }
    MinutesScreen .row > Label { width: 12; padding: 0 1 0 0; }
    MinutesScreen .row > Input { width: 1fr; }
    MinutesScreen .votes > Label { width: auto; padding: 0 1; }
    MinutesScreen .votes > Input { width: 8; }
    MinutesScreen #written { display: none; }
    MinutesScreen #written.-on { display: block; }
    MinutesScreen #candidate-row { display: none; }
    MinutesScreen #candidate-row.-on { display: block; }
    MinutesScreen .line { height: auto; padding: 0 1; }
    MinutesScreen #verdict.-passed { color: $success; text-style: bold; }
    MinutesScreen #verdict.-failed { color: $error; text-style: bold; }
    MinutesScreen #verdict.-invalid { color: $warning; }
    MinutesScreen #speech-mode.-editing { background: $warning 30%; }
    """

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.record: MeetingRecord | None = None
        self.people: MeetingPeople | None = None
        self.items: list[c.AgendaItem | None] = [None]
        self.item_index = 0
        self.editing: c.Speech | None = None
        self.base: VoteBase | None = None
        self.base_act: Act | None = None
        # Autosave: the latest text per draft key, the keys typed since the last save, and
        # a generation per key so a save still in flight never revives a cleared draft.
        self._texts: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._inflight: set[str] = set()  # keys an autosave worker is saving right now
        self._gen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._restored_once = False
        self._pending_text = ""
        self._rendered_wide = False

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="head", classes="who")
        with Horizontal(id="main"):
            with Vertical(id="agenda-box"):
                yield OptionList(id="agenda")
            with TabbedContent(id="tabs", initial="tab-speech"):
                with TabPane(t("ui_minutes.tab_speeches"), id="tab-speech"), \
                        VerticalScroll(classes="pane"):
                    yield DataTable(id="speeches", cursor_type="row", zebra_stripes=True)
                    yield MemberPicker(t("field.speaker"),
                                       placeholder=t("ui_minutes.speaker_hint"),
                                       drop_down=True, allow_free=True, id="speaker",
                                       then="#speech-text")
                    yield TextArea(id="speech-text", soft_wrap=True, tab_behavior="focus",
                                   show_line_numbers=False)
                    yield Static(id="speech-mode", classes="line")
                with TabPane(t("ui_minutes.tab_decisions"), id="tab-decision"), \
                        VerticalScroll(classes="pane"):
                    yield DataTable(id="decisions", cursor_type="row", zebra_stripes=True)
                    with Horizontal(classes="row"):
                        yield Label(t("ui_minutes.act"))
                        yield Select([(content(enum_label(a)), a) for a in Act],
                                     value=Act.GENERAL_DECISION, allow_blank=False,
                                     compact=True, id="act")
                    with Horizontal(classes="row", id="candidate-row"):
                        yield Label(t("field.candidate"))
                        yield Input(placeholder=t("ui_minutes.candidate_hint"),
                                    compact=True, id="candidate")
                    yield TextArea(id="decision-text", soft_wrap=True,
                                   tab_behavior="focus", show_line_numbers=False)
                    with Horizontal(classes="row votes", id="votes"):
                        yield Label(t("ui_minutes.yes_votes"))
                        yield Input(type="integer", compact=True, id="yes")
                        yield Label(t("ui_minutes.no_votes"))
                        yield Input(type="integer", compact=True, id="no")
                        yield Label(t("ui_minutes.abstain_votes"))
                        yield Input(type="integer", compact=True, id="abstain")
                    with Horizontal(classes="row votes", id="written"):
                        yield Label(t("ui_minutes.written"))
                        yield Label(t("ui_minutes.yes_votes"))
                        yield Input(type="integer", compact=True, id="wyes")
                        yield Label(t("ui_minutes.no_votes"))
                        yield Input(type="integer", compact=True, id="wno")
                        yield Label(t("ui_minutes.abstain_votes"))
                        yield Input(type="integer", compact=True, id="wabstain")
                    yield Static(id="base", classes="line")
                    yield Static(id="verdict", classes="line")
                    yield MemberPicker(t("ui_minutes.owner"),
                                       placeholder=t("ui_minutes.owner_hint"),
                                       drop_down=True, id="owner", then="#due")
                    with Horizontal(classes="row"):
                        yield Label(t("ui_minutes.due"))
                        yield Input(placeholder=t("ui_minutes.due_hint"), compact=True,
                                    id="due")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#speech-text", TextArea).border_title = t("field.speech")
        self.query_one("#decision-text", TextArea).border_title = t("field.decision")
        self.set_interval(AUTOSAVE_SECONDS, self._autosave)
        self.action_refresh()

    # -- workers --------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="minutes")
    def call(self, tag: str, fn: Callable[[], Any]) -> None:
        """Run a service call in a thread; post Done, Refused or Clashed."""
        try:
            self.post_message(Done(tag, fn()))
        except RecordGaps as exc:
            # The record changed since the check: show the gaps as they are now.
            self.post_message(Done("close_check", list(exc.findings)))
        except Conflict as exc:
            self.post_message(Clashed(tag, exc.params.get("current"), exc.message()))
        except BranchError as exc:
            self.post_message(Refused(tag, exc.message(), exc.key))
        except Exception as exc:
            self.post_message(Refused(tag, t("ui.unexpected", detail=type(exc).__name__)))

    def action_refresh(self) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        prefix = f"m={mid}:"

        def load() -> tuple[MeetingRecord, MeetingPeople, dict[str, str]]:
            record = svc.meetings.record(actor, mid)
            people = svc.minutes.people(actor, mid)
            drafts = {d.key: d.text for kind in ("speech:", "decision:")
                      for d in svc.drafts.mine(actor, kind + prefix)}
            return record, people, drafts

        self.call("load", load)

    def on_refused(self, message: Refused) -> None:
        if message.tag in ("speech", "edit", "decision"):
            self._retain()
        if message.tag == "opened" and message.key in OTHER_DAY:
            self._offer_other_day()  # the day changed under the screen: same offer
            return
        self.notify(message.text, severity="error", markup=False, timeout=8)

    def on_done(self, message: Done) -> None:
        handler = getattr(self, f"_done_{message.tag}", None)
        if handler is not None:
            handler(message.data)

    # -- loading and rendering ----------------------------------------------------------------

    def _done_load(self, data: tuple[MeetingRecord, MeetingPeople, dict[str, str]]) -> None:
        record, people, drafts = data
        first = self.record is None
        self.record, self.people = record, people
        self.items = [*record.meeting.agenda, None]
        self.item_index = min(self.item_index, len(self.items) - 1)
        for key, text in drafts.items():
            if key not in self._texts:
                self._texts[key] = text
        self._render_head()
        self._render_agenda()
        self._render_item()
        self._fill_candidates()
        if first:
            self._restore_edit(drafts)
            if self.editing is None and people.may_write \
                    and record.meeting.status is MeetingStatus.OPEN:
                self.query_one("#speaker-input", Input).focus()
            if drafts and not self._restored_once:
                self._restored_once = True
                # Longer than the default 5 s: a recorder back after a dropped line must
                # not miss that the text on screen is the draft (a loaded test missed it).
                self.notify(t("ui_minutes.drafts_restored", n=len(drafts)), markup=False,
                            timeout=12)
        self._load_base()
        self._update_state()
        self.refresh_bindings()

    def presence_mode(self) -> str:
        return "edit" if self.may_write else "view"

    def live_refresh(self) -> None:
        """Someone changed the meeting: new speeches, decisions and the status appear; what
        the user is typing (text areas, inputs) and the item they are on stay as they are."""
        svc, actor, mid = self.services, self.actor, self.meeting_id
        self.call("live", lambda: (svc.meetings.record(actor, mid),
                                   svc.minutes.people(actor, mid)))

    def _done_live(self, data: tuple[MeetingRecord, MeetingPeople]) -> None:
        if self.record is None:
            return
        current = self._item_id(self.items[self.item_index])
        self.record, self.people = data
        self.items = [*self.record.meeting.agenda, None]
        ids = [self._item_id(i) for i in self.items]
        self.item_index = ids.index(current) if current in ids else len(self.items) - 1
        self._render_head()
        self._render_agenda()
        self._render_tables(keep_cursor=True)
        self._fill_candidates()
        self._update_state()
        self.refresh_bindings()

    def _who(self, member_id: int | None) -> str:
        if member_id is None or self.people is None:
            return t("ui_minutes.unset")
        return self.people.names.get(member_id, t("ui_minutes.unset"))

    def _render_head(self) -> None:
        assert self.record is not None
        m = self.record.meeting
        until = t("ui_minutes.until", end=m.planned_end.strftime("%H:%M")) if m.planned_end else ""
        self.query_one("#head", Static).update(content(t(
            "ui_minutes.head", title=m.title, number=m.number or "-",
            start=when(m.planned_start), until=until, place=m.place or t("ui_minutes.unset"),
            moderator=self._who(m.moderator_id), recorder=self._who(m.recorder_id),
            convener=self._who(m.convener_id),
            status=enum_label(m.status) + (t("ui_minutes.late_mark") if m.entered_late else ""))))

    def _item_id(self, item: c.AgendaItem | None) -> int | None:
        return item.id if item is not None else None

    def _render_agenda(self) -> None:
        assert self.record is not None
        options = self.query_one("#agenda", OptionList)
        options.clear_options()
        self._rendered_wide = self._wide
        for i, item in enumerate(self.items):
            iid = self._item_id(item)
            n = sum(1 for s in self.record.speeches if s.agenda_item_id == iid)
            d = sum(1 for x in self.record.decisions if x.agenda_item_id == iid)
            if item is None:
                title = t("ui_minutes.item_other")
            else:
                act = t("ui_minutes.item_act", act=enum_label(item.act)) if item.act else ""
                title = t("ui_minutes.item", pos=item.position, title=item.title, act=act)
            counts = t("ui_minutes.item_counts", n=n, d=d)
            # Wide: the counts on a line of their own; narrow: one line per item.
            label = f"{title}\n{counts}" if self._wide else f"{title} {counts}"
            options.add_option(Option(content(label), id=str(i)))
        options.highlighted = self.item_index

    @property
    def _wide(self) -> bool:
        return self.has_class("-wide")

    def on_resize(self) -> None:
        if self.record is not None and self._wide != self._rendered_wide:
            self._render_agenda()

    def _render_item(self) -> None:
        self._render_tables()
        item = self.items[self.item_index]
        if item is not None and item.act is not None:
            self.query_one("#act", Select).value = item.act
        self._load_texts()

    def _render_tables(self, keep_cursor: bool = False) -> None:
        """The item's speeches and decisions. ``keep_cursor`` (a live reload): the cursor
        stays unless it was on the last speech, where it follows new ones."""
        assert self.record is not None
        iid = self._item_id(self.items[self.item_index])
        sp = self.query_one("#speeches", DataTable)
        was = sp.cursor_row if keep_cursor and sp.cursor_row < sp.row_count - 1 else None
        sp.clear(columns=True)
        sp.add_columns(t("ui.col_time"), t("field.speaker"), t("field.speech"))
        for s in self.record.speeches:
            if s.agenda_item_id == iid:
                sp.add_row(cell(s.spoken_at.strftime("%H:%M")), cell(s.speaker_name),
                           cell(" ".join(s.text.split())), key=str(s.id))
        if sp.row_count:
            sp.move_cursor(row=sp.row_count - 1 if was is None else min(was, sp.row_count - 1))
        de = self.query_one("#decisions", DataTable)
        de_was = de.cursor_row
        de.clear(columns=True)
        de.add_columns(t("ui_minutes.act"), t("field.decision"), t("ui.col_votes"),
                       t("ui.col_result"), t("ui_minutes.owner"), t("ui_minutes.due"))
        for x in self.record.decisions:
            if x.agenda_item_id == iid:
                de.add_row(cell(enum_label(x.act)), cell(" ".join(x.text.split())),
                           cell(f"{x.yes}/{x.no}/{x.abstain}"),
                           cell(t_params(x.reason_key, x.reason_params),
                                "green" if x.passed else "red"),
                           cell(self._who(x.follow_up_owner_id)
                                if x.follow_up_owner_id else ""),
                           cell(x.follow_up_due.isoformat() if x.follow_up_due else ""),
                           key=str(x.id))
        if keep_cursor and de.row_count:
            de.move_cursor(row=min(de_was, de.row_count - 1))

    def _fill_candidates(self) -> None:
        assert self.record is not None and self.people is not None
        roll: list[tuple[int | None, str, str]] = []
        seen: set[int] = set()
        for a in self.record.attendance:
            note = enum_label(a.status) if a.status else ""
            roll.append((a.member_id, a.member_name, note))
            seen.add(a.member_id)
        officers: list[tuple[int | None, str, str]] = [
            (mid, name, "") for mid, name in self.people.names.items() if mid not in seen]
        guests: list[tuple[int | None, str, str]] = [
            (None, g.name, t("ui_minutes.guest")) for g in self.record.guests]
        self.query_one("#speaker", MemberPicker).set_candidates(roll + officers + guests)
        self.query_one("#owner", MemberPicker).set_candidates(
            [(mid, name, note) for mid, name, note in roll + officers])

    # -- state: what may be done now ---------------------------------------------------------

    @property
    def status(self) -> MeetingStatus | None:
        return self.record.meeting.status if self.record else None

    @property
    def may_write(self) -> bool:
        return bool(self.people and self.people.may_write
                    and self.status is MeetingStatus.OPEN)

    def _update_state(self) -> None:
        writable = self.may_write
        for selector in ("#speech-text", "#decision-text"):
            self.query_one(selector, TextArea).read_only = not writable
        for widget in self.query(Input):
            widget.disabled = not writable
        self.query_one("#act", Select).disabled = not writable
        mode = self.query_one("#speech-mode", Static)
        if self.editing is not None:
            mode.update(content(t("ui_minutes.editing", name=self.editing.speaker_name,
                                  time=self.editing.spoken_at.strftime("%H:%M"))))
            mode.add_class("-editing")
        else:
            mode.remove_class("-editing")
            mode.update(content(self._state_hint()))

    def _state_hint(self) -> str:
        if self.people is not None and not self.people.may_write:
            return t("ui_minutes.read_only")
        if self.status is MeetingStatus.PLANNED:
            return t("ui_minutes.not_open_yet")
        if self.status in (MeetingStatus.CLOSED, MeetingStatus.SEALED):
            return t("ui_minutes.closed")
        return t("ui_minutes.save_hint")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.record is None or self.people is None:
            return action in ("back", "refresh", "tab", "toggle_tab", "item")
        if action == "open_meeting":
            return self.people.may_run and self.status is MeetingStatus.PLANNED
        if action == "close_meeting":
            return self.people.may_run and self.status is MeetingStatus.OPEN
        if action in ("save", "edit_speech", "move_speech", "delete_speech"):
            if not self.people.may_write:
                return False
            return True if self.status is MeetingStatus.OPEN else None
        return True

    # -- agenda items ------------------------------------------------------------------------

    def action_item(self, step: int) -> None:
        self._select_item((self.item_index + step) % len(self.items))

    @on(OptionList.OptionHighlighted, "#agenda")
    def _agenda_moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and int(event.option.id) != self.item_index:
            self._select_item(int(event.option.id))

    def _select_item(self, index: int) -> None:
        if self.record is None or index == self.item_index:
            return
        self._flush()
        self._stop_editing()
        self.item_index = index
        self.query_one("#agenda", OptionList).highlighted = index
        self._render_item()
        self._update_state()

    def action_toggle_tab(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        self.action_tab("speech" if tabs.active == "tab-decision" else "decision")

    def action_tab(self, which: str) -> None:
        self.query_one("#tabs", TabbedContent).active = f"tab-{which}"
        if which == "speech":
            first = "#speech-text" if self.editing is not None else "#speaker-input"
        elif needs_candidate(self.act) and not self.query_one("#candidate", Input).value:
            first = "#candidate"
        else:
            first = "#decision-text"
        self.query_one(first).focus()

    # -- drafts ------------------------------------------------------------------------------

    def _speech_key(self) -> str:
        if self.editing is not None:
            return f"speech:m={self.meeting_id}:s={self.editing.id}:v={self.editing.version}"
        return f"speech:m={self.meeting_id}:i={self._item_id(self.items[self.item_index]) or NO_ITEM}"

    def _decision_key(self) -> str:
        return f"decision:m={self.meeting_id}:i={self._item_id(self.items[self.item_index]) or NO_ITEM}"

    def _load_texts(self) -> None:
        for selector, key in (("#speech-text", self._speech_key()),
                              ("#decision-text", self._decision_key())):
            area = self.query_one(selector, TextArea)
            with area.prevent(TextArea.Changed):
                area.load_text(self._texts.get(key, ""))

    def _restore_edit(self, drafts: dict[str, str]) -> None:
        """An edit of a speech that was interrupted: reopen it with the typed text."""
        assert self.record is not None
        prefix = f"speech:m={self.meeting_id}:s="
        for key in drafts:
            if not key.startswith(prefix):
                continue
            sid_part, _, ver_part = key[len(prefix):].partition(":v=")
            speech = next((s for s in self.record.speeches if str(s.id) == sid_part), None)
            if speech is None or not ver_part.isdigit():
                continue
            self.item_index = next((i for i, it in enumerate(self.items)
                                    if self._item_id(it) == speech.agenda_item_id), 0)
            self._render_agenda()
            self._render_item()
            self.editing = c.Speech(**{**speech.__dict__, "version": int(ver_part)})
            self._load_texts()
            return

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        key = self._speech_key() if event.text_area.id == "speech-text" else self._decision_key()
        text = event.text_area.text
        if self._texts.get(key, "") != text:
            self._texts[key] = text
            self._dirty.add(key)

    def on_descendant_blur(self, event: Any) -> None:
        if isinstance(event.widget, TextArea):
            self._flush()

    def _autosave(self) -> None:
        self._flush()

    def on_unmount(self) -> None:
        """The app is ending (Ctrl+Q, or a hang-up: a dropped SSH connection makes it exit
        cleanly): save what was typed since the last autosave as well. ``_flush`` runs as
        an app worker, which the process waits for before it exits."""
        self._flush()

    def _flush(self) -> None:
        """Save every draft typed since the last save, off the event loop. Runs as an app
        worker so that leaving the screen does not cancel it."""
        if not self._dirty:
            return
        svc, actor = self.services, self.actor
        batch = [(key, self._texts.get(key, ""), self._gen.get(key, 0)) for key in self._dirty]
        self._dirty.clear()
        keys = [key for key, _text, _gen in batch]
        self._inflight.update(keys)

        def save() -> None:
            try:
                away = self._save_batch(svc, actor, batch)
            finally:
                self._inflight.difference_update(keys)
            if away:
                with contextlib.suppress(Exception):  # the app may be closing
                    self.app.call_from_thread(self._autosave_later, away)

        self.app.run_worker(save, thread=True, exit_on_error=False, group="autosave")

    def _save_batch(self, svc: Any, actor: Any,
                    batch: list[tuple[str, str, int]]) -> list[tuple[str, int]]:
        """Save (or clear, when blank) each (key, text, generation) on this thread; the
        keys to try again later because the database was away."""
        away: list[tuple[str, int]] = []
        for key, text, gen in batch:
            if away:  # the database is away: do not wait for it once per draft
                away.append((key, gen))
                continue
            with self._lock:
                if self._gen.get(key, 0) != gen:
                    continue  # the entry was saved meanwhile: its draft is gone
                try:
                    if text.strip():
                        svc.drafts.save(actor, key, text)
                    else:
                        svc.drafts.clear(actor, key)
                except Unavailable:
                    away.append((key, gen))
                except BranchError:
                    pass  # a draft is a convenience; the text stays on screen
        return away

    def save_before_exit(self, svc: Any, actor: Any) -> None:
        """The process is ending on a hang-up without unmounting anything
        (``BranchApp.save_before_exit``): save now, on the calling thread, every draft typed
        since the last save or whose save is still under way (that worker will not
        finish). The event loop stands still meanwhile, so nothing here changes under us."""
        keys = set(self._dirty) | set(self._inflight)
        batch = [(key, self._texts[key], self._gen.get(key, 0)) for key in keys
                 if key in self._texts]
        self._save_batch(svc, actor, batch)

    def _autosave_later(self, keys: list[tuple[str, int]]) -> None:
        """The database was away: these drafts are saved at the next tick (unless their
        entry was saved meanwhile)."""
        for key, gen in keys:
            if self._gen.get(key, 0) == gen and key in self._texts:
                self._dirty.add(key)

    def _retain(self) -> None:
        """A save was refused: what is on screen is still a draft."""
        for selector, key in (("#speech-text", self._speech_key()),
                              ("#decision-text", self._decision_key())):
            text = self.query_one(selector, TextArea).text
            if text.strip() and self._texts.get(key) != text:
                self._texts[key] = text
                self._dirty.add(key)

    def _forget(self, key: str) -> None:
        """The entry was saved: its draft must not come back."""
        self._gen[key] = self._gen.get(key, 0) + 1
        self._texts.pop(key, None)
        self._dirty.discard(key)

    # -- speeches ----------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.query_one("#tabs", TabbedContent).active == "tab-decision":
            self._save_decision()
        else:
            self._save_speech()

    def _refuse(self) -> bool:
        """Forced past a hidden key: say why nothing happens."""
        if self.may_write:
            return False
        if self.people is not None and not self.people.may_write:
            self.notify(t("perm.minutes"), severity="error", markup=False)
        elif self.status is MeetingStatus.PLANNED:
            self.notify(t("minutes.not_open"), severity="warning", markup=False)
        else:
            self.notify(t("ui_minutes.closed"), severity="warning", markup=False)
        return True

    def _save_speech(self) -> None:
        if self._refuse():
            return
        area = self.query_one("#speech-text", TextArea)
        text = area.text
        if not text.strip():
            self.notify(t("ui_minutes.empty_speech"), severity="warning", markup=False)
            area.focus()
            return
        key = self._speech_key()
        svc, actor, mid = self.services, self.actor, self.meeting_id
        if self.editing is not None:
            speech_id, version = self.editing.id, self.editing.version
            self._forget(key)
            self._pending_text = text

            def edit() -> c.Speech:
                with self._lock:
                    out = svc.minutes.edit_speech(actor, speech_id, text, version)
                    svc.drafts.clear(actor, key)
                    return out

            self.call("edit", edit)
            return
        picked = self.query_one("#speaker", MemberPicker).resolve()
        if picked is None:
            self.notify(t("ui_minutes.pick_speaker"), severity="warning", markup=False)
            self.query_one("#speaker-input", Input).focus()
            return
        speaker_id, speaker_name = picked
        item_id = self._item_id(self.items[self.item_index])
        self._forget(key)

        def add() -> c.Speech:
            with self._lock:
                out = svc.minutes.add_speech(actor, mid, text, speaker_id=speaker_id,
                                             speaker_name=speaker_name,
                                             agenda_item_id=item_id)
                svc.drafts.clear(actor, key)
                return out

        self._pending_text = text
        self.call("speech", add)

    def _done_speech(self, speech: c.Speech) -> None:
        area = self.query_one("#speech-text", TextArea)
        if area.text == self._pending_text:
            with area.prevent(TextArea.Changed):
                area.load_text("")
        self.query_one("#speaker", MemberPicker).clear()
        self.notify(t("ui_minutes.speech_saved", name=speech.speaker_name), markup=False)
        self.query_one("#speaker-input", Input).focus()
        self.action_refresh()

    def _done_edit(self, speech: c.Speech) -> None:
        self.editing = None
        self.notify(t("ui_minutes.speech_updated", name=speech.speaker_name), markup=False)
        self._load_texts()
        self._update_state()
        self.action_refresh()

    def _selected_speech(self) -> c.Speech | None:
        """The remark under the cursor of the item's list (None: the item has none)."""
        table = self.query_one("#speeches", DataTable)
        if self.record is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return next((s for s in self.record.speeches if str(s.id) == str(key.value)), None)

    def action_edit_speech(self) -> None:
        if self.record is None or self._refuse():
            return
        speech = self._selected_speech()
        if speech is None:
            self.notify(t("ui_minutes.no_speech_to_edit"), severity="warning", markup=False)
            return
        self._flush()
        self.editing = speech
        self.action_tab("speech")
        k = self._speech_key()
        self._texts.setdefault(k, speech.text)
        self._load_texts()
        self._update_state()
        self.query_one("#speech-text", TextArea).focus()

    @on(DataTable.RowSelected, "#speeches")
    def _speech_chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_edit_speech()

    def action_delete_speech(self) -> None:
        """Take the selected remark out of the record, after a yes (the service chains
        the deletion with the remark as it was)."""
        if self.record is None or self._refuse():
            return
        speech = self._selected_speech()
        if speech is None:
            self.notify(t("ui_minutes.no_speech"), severity="warning", markup=False)
            return
        svc, actor = self.services, self.actor

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if self.editing is not None and self.editing.id == speech.id:
                self._stop_editing()
            self.call("deleted", lambda: svc.minutes.delete_speech(actor, speech.id,
                                                                   speech.version))

        self.app.push_screen(Confirm(t(
            "ui_minutes.confirm_delete", name=speech.speaker_name,
            time=speech.spoken_at.strftime("%H:%M"), text=_excerpt(speech.text))), answered)

    def _done_deleted(self, speech: c.Speech) -> None:
        self.notify(t("ui_minutes.speech_deleted", name=speech.speaker_name), markup=False)
        self.action_refresh()

    def action_move_speech(self) -> None:
        """Attribute the selected remark to another speaker, picked as when writing one."""
        if self.record is None or self._refuse():
            return
        speech = self._selected_speech()
        if speech is None:
            self.notify(t("ui_minutes.no_speech"), severity="warning", markup=False)
            return
        svc, actor = self.services, self.actor
        candidates = self.query_one("#speaker", MemberPicker).candidates

        def picked(choice: tuple[int | None, str] | None) -> None:
            if choice is not None:
                mid, name = choice
                self.call("moved", lambda: svc.minutes.move_speech(
                    actor, speech.id, speech.version, speaker_id=mid, speaker_name=name))

        self.app.push_screen(MoveSpeech(speech, candidates), picked)

    def _done_moved(self, speech: c.Speech) -> None:
        if self.editing is not None and self.editing.id == speech.id:
            # Being edited here: the text typed so far follows the newer version.
            old = self._speech_key()
            text = self._texts.get(old)
            self._forget(old)
            self.editing = speech
            if text is not None:
                self._texts[self._speech_key()] = text
                self._dirty.add(self._speech_key())
            self._update_state()
        self.notify(t("ui_minutes.speech_moved", name=speech.speaker_name), markup=False)
        self.action_refresh()

    def _stop_editing(self) -> None:
        if self.editing is not None:
            self._forget(self._speech_key())
            self.editing = None
            self._load_texts()
            self._update_state()

    def on_clashed(self, message: Clashed) -> None:
        if message.tag != "edit" or not isinstance(message.current, c.Speech):
            self.notify(message.text, severity="warning", markup=False, timeout=10)
            if message.tag in ("deleted", "moved"):
                self.action_refresh()  # show the newer remark; the user decides again
            return
        mine: str = self._pending_text
        theirs: c.Speech = message.current
        # Keep the user's text on screen (and in a draft) whatever they choose next.
        key = self._speech_key()
        self._texts[key] = mine
        self._dirty.add(key)
        self.notify(message.text, severity="warning", markup=False, timeout=10)

        def chosen(choice: str | None) -> None:
            assert self.editing is not None
            self._forget(self._speech_key())
            self.editing = theirs
            if choice == "theirs":
                self._stop_editing()
                self.action_refresh()
                return
            # Rebase on the newer version; the user's text stays.
            new_key = self._speech_key()
            self._texts[new_key] = mine
            self._dirty.add(new_key)
            self._load_texts()
            self._update_state()
            if choice == "overwrite":
                self._save_speech()
            else:
                self.query_one("#speech-text", TextArea).focus()

        self.app.push_screen(SpeechConflict(mine, theirs), chosen)

    # -- decisions ---------------------------------------------------------------------------

    @property
    def act(self) -> Act:
        value = self.query_one("#act", Select).value
        return value if isinstance(value, Act) else Act.GENERAL_DECISION

    @on(Select.Changed, "#act")
    def _act_changed(self, _event: Select.Changed) -> None:
        act = self.act
        self.query_one("#candidate-row").set_class(needs_candidate(act), "-on")
        self.query_one("#written").set_class(
            counts_written(act, self.services.ctx.rules), "-on")
        self._load_base()

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-decision":
            self._load_base()  # attendance may have changed since

    def _load_base(self) -> None:
        """Who may vote, as marked so far, for the chosen act (kept until the new one)."""
        if self.record is None:
            return
        svc, actor, mid, act = self.services, self.actor, self.meeting_id, self.act
        if self.base_act is not act:
            self.base = None
            self._show_verdict()
        self.call("base", lambda: (act, svc.minutes.preview_vote(actor, mid, act)))

    def _done_base(self, data: tuple[Act, VoteBase]) -> None:
        act, base = data
        if act is self.act:
            self.base, self.base_act = base, act
            self._show_verdict()

    def _number(self, selector: str) -> int:
        value = self.query_one(selector, Input).value.strip()
        try:
            return int(value) if value else 0
        except ValueError:
            return 0

    def _tally(self) -> Tally:
        written = counts_written(self.act, self.services.ctx.rules)
        return Tally(self._number("#yes"), self._number("#no"), self._number("#abstain"),
                     self._number("#wyes") if written else 0,
                     self._number("#wno") if written else 0,
                     self._number("#wabstain") if written else 0)

    @on(Input.Changed, "#yes, #no, #abstain, #wyes, #wno, #wabstain")
    def _votes_typed(self, _event: Input.Changed) -> None:
        self._show_verdict()

    def verdict(self) -> VoteOutcome | str | None:
        """The verdict for the numbers on screen, or why there is none."""
        if self.base is None:
            return None
        try:
            return evaluate(self.act, self.base, self._tally(), self.services.ctx.rules)
        except ValidationError as exc:
            return exc.message()

    def _show_verdict(self) -> None:
        base_line = self.query_one("#base", Static)
        line = self.query_one("#verdict", Static)
        line.remove_class("-passed", "-failed", "-invalid")
        if self.base is None:
            base_line.update(content(t("ui_minutes.base_loading")))
            line.update("")
            return
        empty = evaluate(self.act, self.base, Tally(0, 0, 0), self.services.ctx.rules)
        key = ("ui_minutes.base_committee" if self.act is Act.COMMITTEE_DECISION
               else "ui_minutes.base")
        base_line.update(content(t(key, expected=self.base.entitled_expected,
                                   present=self.base.entitled_present,
                                   needed_present=empty.needed_present,
                                   needed_yes=empty.needed_yes)))
        outcome = self.verdict()
        if isinstance(outcome, str):
            line.add_class("-invalid")
            line.update(content(outcome))
        elif outcome is not None:
            line.add_class("-passed" if outcome.passed else "-failed")
            word = t("ui_minutes.passed" if outcome.passed else "ui_minutes.failed")
            line.update(content(t("ui_minutes.verdict", word=word,
                                  reason=t_params(outcome.reason_key, outcome.params))))

    def _save_decision(self) -> None:
        if self._refuse():
            return
        text = self.query_one("#decision-text", TextArea).text
        if not text.strip():
            self.notify(t("ui_minutes.empty_decision"), severity="warning", markup=False)
            self.query_one("#decision-text", TextArea).focus()
            return
        outcome = self.verdict()
        if isinstance(outcome, str):
            self.notify(outcome, severity="error", markup=False, timeout=8)
            return
        act = self.act
        candidate_name = self.query_one("#candidate", Input).value.strip()
        candidate_id = None
        if needs_candidate(act):
            if not candidate_name:
                self.notify(t("decision.candidate_required"), severity="warning",
                            markup=False)
                self.query_one("#candidate", Input).focus()
                return
            hit = unique_match(candidate_name, [(mid, name) for mid, name, _n in
                                                self.query_one("#owner", MemberPicker).candidates
                                                if mid is not None])
            if hit is not None and hit[1] == candidate_name:
                candidate_id = hit[0]
        owner_picker = self.query_one("#owner", MemberPicker)
        owner_id = None
        if owner_picker.input.value.strip():
            owner = owner_picker.resolve()
            if owner is None or owner[0] is None:
                self.notify(t("ui_minutes.bad_owner", value=owner_picker.input.value),
                            severity="error", markup=False, timeout=8)
                owner_picker.input.focus()
                return
            owner_id = owner[0]
        due_text = self.query_one("#due", Input).value.strip()
        due = None
        if due_text:
            due = parse_day(due_text)
            if due is None:
                self.notify(t("ui_minutes.bad_due", value=due_text), severity="error",
                            markup=False, timeout=8)
                self.query_one("#due", Input).focus()
                return
            assert self.record is not None
            if due < self.record.meeting.planned_start.date():
                self.notify(t("ui_minutes.due_past", value=due.isoformat()),
                            severity="error", markup=False, timeout=8)
                self.query_one("#due", Input).focus()
                return
        tally = self._tally()
        draft = VoteDraft(act=act, text=text, yes=tally.yes, no=tally.no,
                          abstain=tally.abstain, written_yes=tally.written_yes,
                          written_no=tally.written_no, written_abstain=tally.written_abstain,
                          agenda_item_id=self._item_id(self.items[self.item_index]),
                          candidate_id=candidate_id, candidate_name=candidate_name,
                          follow_up_owner_id=owner_id, follow_up_due=due)
        key = self._decision_key()
        svc, actor, mid = self.services, self.actor, self.meeting_id
        self._forget(key)

        def record() -> c.Decision:
            with self._lock:
                out = svc.minutes.record_decision(actor, mid, draft)
                svc.drafts.clear(actor, key)
                return out

        self.call("decision", record)

    def _done_decision(self, decision: c.Decision) -> None:
        area = self.query_one("#decision-text", TextArea)
        with area.prevent(TextArea.Changed):
            area.load_text("")
        for selector in ("#yes", "#no", "#abstain", "#wyes", "#wno", "#wabstain",
                         "#candidate", "#due"):
            self.query_one(selector, Input).value = ""
        self.query_one("#owner", MemberPicker).clear()
        word = t("ui_minutes.passed" if decision.passed else "ui_minutes.failed")
        self.notify(t("ui_minutes.decision_saved", word=word), markup=False)
        self.action_refresh()

    # -- the meeting's life cycle ----------------------------------------------------------

    def action_open_meeting(self) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        m = self.record.meeting if self.record is not None else None
        if m is not None and not m.entered_late \
                and m.planned_start.date() != svc.ctx.today(m.branch_id):
            # The service would refuse (a meeting is held on its day): offer the way out.
            self._offer_other_day()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call("opened", lambda: svc.meetings.open(actor, mid))

        self.app.push_screen(Confirm(t("ui_minutes.confirm_open")), answered)

    def _offer_other_day(self) -> None:
        """Read what the offer needs (may the actor reschedule, where today's slot is,
        what else the branch has then), then ask."""
        svc, actor, mid = self.services, self.actor, self.meeting_id

        def load() -> OtherDayOffer:
            mtg = svc.meetings.get(actor, mid)
            today = svc.ctx.today(mtg.branch_id)
            start, end = slot_today(mtg.planned_start, mtg.planned_end, today,
                                    svc.ctx.now(mtg.branch_id))
            may = svc.meetings.can_schedule(actor, mtg.branch_id, mtg.group_id)
            others = (svc.meetings.overlaps(actor, mtg.branch_id, start, end, exclude_id=mid)
                      if may else [])
            return OtherDayOffer(mtg, today, start, end, may, tuple(others))

        self.call("offer", load)

    def _done_offer(self, offer: OtherDayOffer) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id

        def answered(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            what, reason = answer
            if what == "late":
                self.call("opened", lambda: svc.meetings.open(actor, mid, late_reason=reason))
                return

            def move_and_open() -> c.Meeting:
                # The normal reschedule (roll, committee, numbers), then the opening.
                mtg = svc.meetings.get(actor, mid)
                svc.meetings.reschedule(actor, mid, mtg.version, planned_start=offer.start,
                                        planned_end=offer.end)
                return svc.meetings.open(actor, mid)

            self.call("opened", move_and_open)

        self.app.push_screen(OpenOtherDay(offer), answered)

    def _done_opened(self, _meeting: c.Meeting) -> None:
        self.notify(t("ui_minutes.opened"), markup=False)
        self.record = None  # reload as if new: drafts, vote base
        self.action_refresh()

    def action_close_meeting(self) -> None:
        """The record check first: a complete record closes after a plain yes; one with
        gaps shows them and asks for the reason to close all the same."""
        svc, actor, mid = self.services, self.actor, self.meeting_id
        self._flush()
        self.call("close_check", lambda: close_gaps(svc.meetings.record(actor, mid)))

    def _done_close_check(self, gaps: list[Finding]) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        if not gaps:
            def answered(yes: bool | None) -> None:
                if yes:
                    self.call("closed", lambda: svc.meetings.close(actor, mid))

            self.app.push_screen(Confirm(t("ui_minutes.confirm_close")), answered)
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.call("closed", lambda: svc.meetings.close(actor, mid,
                                                               gaps_reason=reason))

        self.app.push_screen(CloseWithGaps(gaps), reason_given)

    def _done_closed(self, _meeting: c.Meeting) -> None:
        from branchtui.ui.screens.review import ReviewScreen

        self.notify(t("ui_minutes.closed_note"), markup=False)
        self.action_refresh()
        self.app.push_screen(ReviewScreen(self.meeting_id))

    def action_review(self) -> None:
        from branchtui.ui.screens.review import ReviewScreen

        self._flush()
        self.app.push_screen(ReviewScreen(self.meeting_id))

    def action_record(self) -> None:
        from branchtui.ui.screens.record import RecordScreen

        self._flush()
        self.app.push_screen(RecordScreen(self.meeting_id))

    def action_back(self) -> None:
        if self.editing is not None:
            self._stop_editing()
            return
        self._flush()
        self.app.pop_screen()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for name, action, call in (
            ("save", "save", self.action_save),
            ("toggle", "toggle_tab", self.action_toggle_tab),
            ("speeches", "tab", lambda: self.action_tab("speech")),
            ("decisions", "tab", lambda: self.action_tab("decision")),
            ("edit", "edit_speech", self.action_edit_speech),
            ("move", "move_speech", self.action_move_speech),
            ("delete", "delete_speech", self.action_delete_speech),
            ("prev_item", "item", lambda: self.action_item(-1)),
            ("next_item", "item", lambda: self.action_item(1)),
            ("open", "open_meeting", self.action_open_meeting),
            ("close", "close_meeting", self.action_close_meeting),
            ("review", "review", self.action_review),
            ("record", "record", self.action_record),
        ):
            if self.check_action(action, ()):
                out.append((t(f"ui_minutes.cmd_{name}"), t(f"ui_minutes.cmd_{name}_help"), call))
        return out
