"""The live minutes screen: its layout, loading and drawing the record as it grows, the
agenda items, and the speeches (written, edited, moved to another speaker, deleted). The
drafts, the decisions and opening or closing the meeting are its parts in this package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
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
    needs_candidate,
)
from branchtui.core.enums import Act, MeetingStatus
from branchtui.i18n import enum_label, t, t_params
from branchtui.services import MeetingRecord
from branchtui.services.minutes import MeetingPeople
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.minutes.base import Clashed, Done, Refused
from branchtui.ui.screens.minutes.decisions import MinutesDecisions
from branchtui.ui.screens.minutes.dialogs import Confirm, MoveSpeech, SpeechConflict, excerpt
from branchtui.ui.screens.minutes.opening import OTHER_DAY, MinutesOpening
from branchtui.ui.text import cell, content, when
from branchtui.ui.widgets.member_picker import MemberPicker

AUTOSAVE_SECONDS = 2.0


# -- the screen -------------------------------------------------------------------------------


class MinutesScreen(MinutesDecisions, MinutesOpening):
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

    # -- speeches ----------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.query_one("#tabs", TabbedContent).active == "tab-decision":
            self._save_decision()
        else:
            self._save_speech()

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

    def _speech_to_change(self, none_key: str) -> c.Speech | None:
        """The remark under the cursor, to edit, move or delete; None, and the user told
        why, when the record cannot be changed now or the item has no remark."""
        if self.record is None or self._refuse():
            return None
        speech = self._selected_speech()
        if speech is None:
            self.notify(t(none_key), severity="warning", markup=False)
        return speech

    def action_edit_speech(self) -> None:
        speech = self._speech_to_change("ui_minutes.no_speech_to_edit")
        if speech is None:
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
        speech = self._speech_to_change("ui_minutes.no_speech")
        if speech is None:
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
            time=speech.spoken_at.strftime("%H:%M"), text=excerpt(speech.text))), answered)

    def _done_deleted(self, speech: c.Speech) -> None:
        self.notify(t("ui_minutes.speech_deleted", name=speech.speaker_name), markup=False)
        self.action_refresh()

    def action_move_speech(self) -> None:
        """Attribute the selected remark to another speaker, picked as when writing one."""
        speech = self._speech_to_change("ui_minutes.no_speech")
        if speech is None:
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
