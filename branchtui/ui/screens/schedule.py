"""Scheduling a sitting (once, or as a series), and editing or cancelling a planned one.

The form keeps whatever the user typed: a bad date, a refused 支委会 or a stale edit is
explained next to the form and nothing is cleared. Saving runs in a thread worker."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)

from branchtui.core import dates, holidays, recurrence, series
from branchtui.core import model as c
from branchtui.core.enums import Act, MeetingStatus, Obligation
from branchtui.core.errors import BranchError, Conflict, ValidationError
from branchtui.i18n import enum_label, language, t
from branchtui.services import MeetingDraft
from branchtui.services.meetings import LATE_AFTER, ScheduleScope, SeriesInfo
from branchtui.ui.bindings import Translated
from branchtui.ui.dialogs.cancel_meeting import CancelDialog, cancel_call
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import assemble, cell, content, when

NO_REPEAT = "none"
GROUP_SERIES = "group_series"
REPEAT_KINDS = (NO_REPEAT, recurrence.Preset.MONTHLY_NTH_WEEKDAY,
                recurrence.Preset.QUARTERLY_LAST_WEEKDAY, recurrence.Preset.MONTHLY_ON_DAY,
                GROUP_SERIES, recurrence.Preset.CUSTOM)
PREVIEW_COUNT = 5
END_NEVER, END_UNTIL, END_COUNT = "never", "until", "count"
END_KINDS = (END_NEVER, END_UNTIL, END_COUNT)



# -- reading what was typed (pure; tested directly) ------------------------------------------


def _normal(text: str) -> str:
    # Full-width digits and colons become ASCII; a 60-year-old's IME types them.
    return unicodedata.normalize("NFKC", text).strip()


def parse_day(text: str) -> date:
    """2026-12-04, 2026/12/4, 2026.12.4, 2026年12月4日, 20261204 (full-width too)."""
    try:
        return dates.parse_day(text, required=True)  # type: ignore[return-value]
    except dates.NoSuchDay:
        raise ValidationError("ui_meetings.no_such_day", text=text.strip()[:40]) from None
    except ValueError:
        raise ValidationError("ui_meetings.bad_date", text=text.strip()[:40]) from None


def parse_clock(text: str, field: str) -> time:
    """14:30, 14：30, 1430, 14点30, 14点 (full-width too). ``field`` names it in errors."""
    try:
        return dates.parse_clock(text)
    except ValueError:
        raise ValidationError("ui_meetings.bad_time", field=field,
                              text=text.strip()[:20]) from None


def default_title(day: date, kinds: list[Obligation]) -> str:
    """2026年12月主题党日 (the kinds joined by 、), the way branches name their sittings."""
    names = "、".join(enum_label(k) for k in kinds) or t("ui_meetings.meeting")
    return t("ui_meetings.default_title", year=day.year, month=day.month, kinds=names)


def default_pattern(kinds: list[Obligation], quarterly: bool = False) -> str:
    """The title pattern suggested for a series: {year}年{month}月主题党日, or
    {year}年第{quarter}季度… for a quarterly rule; each sitting gets its own title."""
    names = "、".join(enum_label(k) for k in kinds) or t("ui_meetings.meeting")
    key = "ui_meetings.default_pattern_quarter" if quarterly else "ui_meetings.default_pattern"
    return t(key, kinds=names)


def read_end(kind: str, text: str) -> tuple[date | None, int | None]:
    """(until, count) from the end fields of the form; ValidationError when the text does
    not read as a day (for "until") or a number of sittings (for "count")."""
    if kind == END_UNTIL:
        if not text.strip():
            raise ValidationError("ui_meetings.end_required")
        return parse_day(text), None
    if kind == END_COUNT:
        s = _normal(text)
        if not s:
            raise ValidationError("ui_meetings.end_required")
        if not re.fullmatch(r"[0-9]{1,4}", s) or not 1 <= int(s) <= recurrence.MAX_COUNT:
            raise ValidationError("ui_meetings.bad_count", text=text.strip()[:20],
                                  max=recurrence.MAX_COUNT)
        return None, int(s)
    return None, None


def preview_content(found: list[series.Occurrence], years_without_data: tuple[int, ...],
                    time_text: str) -> Content:
    """The next sittings as the preview lists them: date, weekday and own title, with a
    warning after those on a public holiday or a 调休 working day, and a line for the
    years without holiday data. Titles are the user's text: never markup."""
    parts: list[str | tuple[str, str]] = [t("ui_meetings.preview_head", n=len(found),
                                            time=time_text)]
    for occ in found:
        day = occ.start.date()
        parts.append("\n" + t("ui_meetings.preview_line", day=day.isoformat(),
                                wd=t(f"ui_meetings.wd.{day.weekday()}"), title=occ.title))
        if occ.holiday is not None:
            parts.append((t("ui_meetings.preview_holiday",
                            note=holidays.describe(occ.holiday, lang=language())),
                          "bold $warning"))
    missing = holidays.no_data_text(years_without_data, lang=language())
    if missing:
        parts.append(("\n" + missing, "$text-muted"))
    return assemble(*parts)


def holiday_warning(notes: Iterable[holidays.HolidayNote]) -> str:
    """" 注意：… 在节假日或调休上班日" after the saved message, or "" (one note a day)."""
    by_day = {note.day: note for note in notes}
    if not by_day:
        return ""
    listed = t("ui_meetings.list_sep").join(
        t("ui_meetings.holiday_day", day=day.isoformat(),
          note=holidays.describe(note, lang=language()))
        for day, note in sorted(by_day.items()))
    return t("ui_meetings.series_holidays", n=len(by_day), days=listed)


def repeat_rule(kind: str, n: int, weekday: int, day_text: str, custom: str) -> str:
    """Rule text for the chosen kind of repetition; ValidationError when it cannot be
    built (the message says why)."""
    if kind in (recurrence.Preset.MONTHLY_NTH_WEEKDAY, GROUP_SERIES):
        return recurrence.monthly_nth_weekday(n, weekday)
    if kind == recurrence.Preset.QUARTERLY_LAST_WEEKDAY:
        return recurrence.quarterly_last_weekday(weekday)
    if kind == recurrence.Preset.MONTHLY_ON_DAY:
        s = _normal(day_text)
        if not re.fullmatch(r"-?[0-9]{1,2}", s):
            raise ValidationError("ui_meetings.bad_month_day", text=day_text.strip()[:20])
        return recurrence.monthly_on_day(int(s))
    return recurrence.normalise(custom)


def _note(box: Static, text: str) -> None:
    """A line under the form that takes no room while it has nothing to say."""
    box.update(content(text))
    box.set_class(not text, "-empty")


# -- dialogs -----------------------------------------------------------------------------------


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


# -- the form ----------------------------------------------------------------------------------


class Saved(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SaveFailed(Message):
    def __init__(self, error: BranchError | None, text: str) -> None:
        super().__init__()
        self.error = error
        self.text = text


class Overlaps(Message):
    def __init__(self, meetings: list[c.Meeting]) -> None:
        super().__init__()
        self.meetings = meetings


class ScheduleScreen(DataScreen):
    """Schedule a sitting of ``branch_id``, or edit the planned sitting ``meeting_id``.
    Dismissed with True when something was saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "ui.key_back", id="schedule.back"),
        Binding("ctrl+s", "save", "ui_meetings.key_save", id="schedule.save", priority=True),
        Binding("f8", "cancel_meeting", "ui_meetings.key_cancel", id="schedule.cancel"),
        Binding("delete", "remove_agenda", "ui_meetings.key_remove_agenda",
                id="schedule.remove_agenda", show=False),
    ]
    DEFAULT_CSS = """
    ScheduleScreen #form { padding: 0 1; }
    ScheduleScreen .row { height: auto; margin: 0 0 0 0; }
    ScheduleScreen .row > Label { width: 10; padding: 0 1 0 0; text-style: bold; }
    ScheduleScreen .row > Input, ScheduleScreen .row > Select { width: 1fr; }
    ScheduleScreen #kinds { grid-size: 4; grid-gutter: 0 0; height: auto; width: 1fr; }
    ScheduleScreen #kinds Checkbox { width: 100%; padding: 0; }
    ScheduleScreen #people > Select { width: 1fr; margin: 0 1 0 0; }
    ScheduleScreen #date, ScheduleScreen #start, ScheduleScreen #end { width: 1fr; margin: 0 1 0 0; }
    ScheduleScreen #agenda { height: auto; max-height: 8; margin: 0 0 0 10; }
    ScheduleScreen #agenda-title { width: 2fr; margin: 0 1 0 0; }
    ScheduleScreen #agenda-act { width: 1fr; }
    ScheduleScreen #rec-params > *, ScheduleScreen #rec-end-row > Select,
    ScheduleScreen #rec-end-row > Input { width: 1fr; margin: 0 1 0 0; }
    ScheduleScreen .note { height: auto; margin: 0 0 0 10; }
    ScheduleScreen .warning { color: $warning; height: auto; }
    ScheduleScreen .-empty { display: none; }
    ScheduleScreen #buttons { height: auto; margin: 1 0 0 0; }
    ScheduleScreen #buttons Button { margin: 0 1 0 0; }
    ScheduleScreen RadioSet { height: auto; }
    ScheduleScreen .-hidden { display: none; }
    """

    def __init__(self, branch_id: int, meeting_id: int | None = None) -> None:
        super().__init__()
        self.branch_id = branch_id
        self.meeting_id = meeting_id
        self.meeting: c.Meeting | None = None
        self.series: SeriesInfo | None = None
        self.scope: ScheduleScope | None = None
        self.agenda: list[tuple[str, Act | None]] = []
        self._auto_title = ""
        self._saving = False
        self._loaded = False
        self._overlap_seq = 0

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(id="mode", classes="who")
            with Horizontal(classes="row"):
                yield Label(t("ui_meetings.f_kinds"))
                with Grid(id="kinds"):
                    for o in Obligation:
                        yield Checkbox(enum_label(o), value=o is Obligation.THEME_DAY,
                                       id=f"ob-{o.value}", compact=True)
            yield Static(id="kinds-note", classes="warning note -empty")
            with Horizontal(classes="row"):
                yield Label(t("ui_meetings.f_group"))
                yield Select([], prompt=t("ui_meetings.whole_branch"), id="group", compact=True)
            with Horizontal(classes="row"):
                yield Label(t("field.title"))
                yield Input(id="title", compact=True)
            yield Static(id="title-note", classes="note -empty")
            with Horizontal(classes="row"):
                yield Label(t("ui_meetings.f_when"))
                yield Input(placeholder=t("ui_meetings.date_hint"), id="date", compact=True)
                yield Input(placeholder=t("ui_meetings.start_hint"), id="start", compact=True)
                yield Input(placeholder=t("ui_meetings.end_hint"), id="end", compact=True)
            yield Static(id="when-error", classes="error note -empty")
            # A start already past: the sitting is entered after the fact (补录).
            with Horizontal(classes="row -hidden", id="late-row"):
                yield Label(t("ui_meetings.f_late"))
                yield Input(placeholder=t("ui_meetings.late_hint"), id="late-reason",
                            compact=True)
            yield Static(id="overlap", classes="warning note -empty")
            with Horizontal(classes="row"):
                yield Label(t("field.place"))
                yield Input(id="place", compact=True)
            with Horizontal(classes="row", id="people"):
                yield Label(t("ui_meetings.f_people"))
                yield Select([], prompt=t("ui_meetings.convener"), id="convener", compact=True)
                yield Select([], prompt=t("ui_meetings.moderator"), id="moderator",
                             compact=True)
                yield Select([], prompt=t("ui_meetings.recorder"), id="recorder", compact=True)
            with Horizontal(classes="row"):
                yield Label("")
                yield Checkbox(t("ui_meetings.self_signin"), id="signin", compact=True)
            with Horizontal(classes="row", id="agenda-row"):
                yield Label(t("ui_meetings.f_agenda"))
                yield Input(placeholder=t("ui_meetings.agenda_hint"), id="agenda-title",
                            compact=True)
                yield Select([(content(enum_label(a)), a.value) for a in Act],
                             prompt=t("ui_meetings.no_vote"), id="agenda-act", compact=True)
            yield DataTable(id="agenda", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="row", id="repeat-row"):
                yield Label(t("ui_meetings.f_repeat"))
                yield Select([(content(self._repeat_label(k)), str(k)) for k in REPEAT_KINDS],
                             value=NO_REPEAT, allow_blank=False, id="rec-kind", compact=True)
            with Horizontal(classes="row -hidden", id="rec-params"):
                yield Label("")
                yield Select([(content(t(f"ui_meetings.nth.{n}")), n) for n in (1, 2, 3, 4, -1)],
                             value=1, allow_blank=False, id="rec-n", compact=True)
                yield Select([(content(t(f"recurrence.weekday.{d}")), d) for d in range(7)],
                             value=4, allow_blank=False, id="rec-wd", compact=True)
                yield Input(placeholder=t("ui_meetings.month_day_hint"), id="rec-day",
                            compact=True)
                yield Input(placeholder=t("ui_meetings.rrule_hint"), id="rec-rule",
                            compact=True)
            with Horizontal(classes="row -hidden", id="rec-end-row"):
                yield Label(t("ui_meetings.f_end"))
                yield Select([(content(t(f"ui_meetings.end_{k}")), k) for k in END_KINDS],
                             value=END_NEVER, allow_blank=False, id="rec-end-kind",
                             compact=True)
                yield Input(id="rec-end", compact=True, classes="-hidden")
            yield Static(id="rec-describe", classes="note -empty")
            yield Static(id="rec-preview", classes="note -empty")
            with Horizontal(classes="row -hidden", id="scope-row"):
                yield Label(t("ui_meetings.f_scope"))
                with RadioSet(id="edit-scope"):
                    yield RadioButton(t("ui_meetings.scope_one"), value=True, id="scope-one")
                    yield RadioButton(t("ui_meetings.scope_series"), id="scope-series")
            yield Static(id="form-error", classes="error -empty")
            with Horizontal(id="buttons"):
                yield Button(t("ui_meetings.save"), variant="primary", id="save",
                             action="screen.save")
                yield Button(t("ui_meetings.cancel_meeting"), variant="error", id="cancel",
                             action="screen.cancel_meeting", classes="-hidden")
                yield Button(t("ui.key_back"), id="back", action="screen.back")
        yield KeyFooter()

    @staticmethod
    def _repeat_label(kind: str) -> str:
        if kind == NO_REPEAT:
            return t("ui_meetings.repeat_none")
        if kind == GROUP_SERIES:
            return t("ui_meetings.repeat_groups")
        return recurrence.preset_label(kind, lang=language())

    def on_mount(self) -> None:
        agenda = self.query_one("#agenda", DataTable)
        agenda.add_columns(t("field.agenda"), t("ui_meetings.col_act"))
        self.query_one("#mode", Static).update(content(t("ui_meetings.loading")))
        if self.meeting_id is None:
            day = self.services.ctx.today(self.branch_id) + timedelta(days=7)
            self._set("#date", day.isoformat())
            self._set("#start", "14:30")
            self._set("#end", "16:30")
            self._sync_repeat_params(day)
        self._refresh_agenda()
        actor, branch_id, mid, services = self.actor, self.branch_id, self.meeting_id, self.services

        def call() -> dict[str, Any]:
            out: dict[str, Any] = {"scope": services.meetings.schedule_scope(actor, branch_id),
                                   "groups": [], "roster": []}
            if not out["scope"].any:
                return out  # the form says why; a member may not even read the roster
            out["groups"] = services.roster.groups(actor, branch_id)
            out["roster"] = services.roster.roster(actor, branch_id)
            if mid is not None:
                mtg = services.meetings.get(actor, mid)
                out["meeting"] = mtg
                if mtg.series_id is not None:
                    out["series"] = services.meetings.series_info(actor, mtg.series_id)
            return out

        self.fetch("form", call)

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        self._say_error(message.text)
        if message.tag == "form":
            self._loaded = True
            self.query_one("#mode", Static).update(content(message.text))
            self.refresh_bindings()

    def _set(self, selector: str, value: str) -> None:
        self.query_one(selector, Input).value = value

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    # -- filling ----------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        if message.tag == "form":
            self._fill(message.data)
        elif message.tag == "series":
            self.series = message.data
            if self._save_after_series:
                self._save_after_series = False
                self.action_save()

    def _fill(self, data: dict[str, Any]) -> None:
        self.scope = data["scope"]
        groups: list[c.Org] = data["groups"]
        scope = self.scope
        allowed = [g for g in groups if scope.allows(g.id)]
        group_select = self.query_one("#group", Select)
        group_select.set_options([(cell(g.name), g.id) for g in allowed])
        if not scope.branch and allowed:
            group_select.value = allowed[0].id
        people = [(cell(p.name), p.id) for p in data["roster"]]
        for sel in ("#convener", "#moderator", "#recorder"):
            self.query_one(sel, Select).set_options(people)
        ids = {p.id for p in data["roster"]}
        self.meeting = data.get("meeting")
        self.series = data.get("series")
        if self.meeting is None:
            if self.actor.member_id in ids:
                self.query_one("#convener", Select).value = self.actor.member_id
                self.query_one("#moderator", Select).value = self.actor.member_id
            self.query_one("#mode", Static).update(content(t("ui_meetings.mode_new")))
            self._suggest_title()
        else:
            self._fill_meeting(self.meeting)
            self._lock_for_edit()
        self._loaded = True
        if not scope.any or (self.meeting is not None and not scope.allows(self.meeting.group_id)):
            self._say_error(t("perm.schedule"))
        self.refresh_bindings()
        self._check_overlap()
        self._sync_late()
        self.query_one("#title", Input).focus()

    def _fill_meeting(self, mtg: c.Meeting) -> None:
        for o in Obligation:
            self.query_one(f"#ob-{o.value}", Checkbox).value = o in mtg.obligations
        group = self.query_one("#group", Select)
        if mtg.group_id is not None:
            try:
                group.value = mtg.group_id
            except Exception:  # a group the editor may not pick: shown blank, not changed
                group.clear()
        self._auto_title = ""
        self._set("#title", mtg.title)
        self._set("#date", mtg.planned_start.date().isoformat())
        self._set("#start", mtg.planned_start.strftime("%H:%M"))
        self._set("#end", mtg.planned_end.strftime("%H:%M") if mtg.planned_end else "")
        self._set("#place", mtg.place)
        for sel, value in (("#convener", mtg.convener_id), ("#moderator", mtg.moderator_id),
                           ("#recorder", mtg.recorder_id)):
            widget = self.query_one(sel, Select)
            try:
                if value is not None:
                    widget.value = value
            except Exception:  # no longer on the roster: keep the stored person
                widget.clear()
        self.query_one("#signin", Checkbox).value = mtg.allow_self_signin
        self._set("#late-reason", mtg.late_reason)
        self.agenda = [(a.title, a.act) for a in mtg.agenda]
        self._refresh_agenda()
        head = t("ui_meetings.mode_edit", title=mtg.title, status=enum_label(mtg.status))
        self.query_one("#mode", Static).update(content(head))

    def _lock_for_edit(self) -> None:
        """What reschedule cannot change is shown but not editable."""
        for o in Obligation:
            self.query_one(f"#ob-{o.value}", Checkbox).disabled = True
        for sel in ("#group", "#agenda-title", "#agenda-act", "#agenda", "#rec-kind"):
            self.query_one(sel).disabled = True
        self.query_one("#repeat-row").add_class("-hidden")
        self.query_one("#cancel", Button).remove_class("-hidden")
        if self.meeting is not None and self.meeting.series_id is not None:
            self.query_one("#scope-row").remove_class("-hidden")
            if self.series is not None:
                _note(self.query_one("#rec-describe", Static), t(
                    "ui_meetings.in_series",
                    rule=recurrence.describe(self.series.rrule, lang=language())))
        if self.meeting is not None and self.meeting.status != MeetingStatus.PLANNED:
            self._say_error(t("meeting.not_planned"))

    # -- reacting to input ------------------------------------------------------------------

    def _kinds(self) -> list[Obligation]:
        return [o for o in Obligation if self.query_one(f"#ob-{o.value}", Checkbox).value]

    @on(Checkbox.Changed, "#kinds Checkbox")
    @on(Select.Changed, "#group")
    def _kinds_changed(self) -> None:
        self._suggest_title()
        kinds = self._kinds()
        note = ""
        if Obligation.GROUP_MEETING in kinds and self._group_id() is None and \
                self._repeat_kind() != GROUP_SERIES:
            note = t("meeting.group_required")
        _note(self.query_one("#kinds-note", Static), note)

    @on(Input.Changed, "#title")
    def _title_changed(self, event: Input.Changed) -> None:
        if event.value != self._auto_title:
            self._auto_title = ""  # typed by hand: stop suggesting
        self._refresh_title_note()
        self._refresh_repeat()

    def _suggest_title(self) -> None:
        """A title from the date and the kinds, or for a series a pattern that gives each
        sitting its own (2027年1月主题党日, 2027年2月主题党日, …); never over a typed one."""
        if self.meeting is not None:
            return
        title = self.query_one("#title", Input)
        if title.value and title.value != self._auto_title:
            return
        kind = self._repeat_kind()
        if kind != NO_REPEAT:
            suggested = default_pattern(
                self._kinds(), quarterly=kind == recurrence.Preset.QUARTERLY_LAST_WEEKDAY)
        else:
            try:
                suggested = default_title(parse_day(self._value("#date")), self._kinds())
            except ValidationError:
                return
        self._auto_title = suggested
        title.value = suggested

    def _titles_a_series(self) -> bool:
        """Whether the title field holds a series' pattern: a new series, or the whole
        series of the sitting being edited."""
        if self.meeting is None:
            return self._repeat_kind() != NO_REPEAT
        return (self.meeting.series_id is not None
                and self.query_one("#scope-series", RadioButton).value)

    def _refresh_title_note(self) -> None:
        box = self.query_one("#title-note", Static)
        if not self._titles_a_series():
            _note(box, "")
            return
        pattern = self._value("#title")
        try:
            series.check_pattern(pattern)
        except ValidationError as exc:
            box.add_class("error")
            _note(box, exc.message())
            return
        box.remove_class("error")
        _note(box, t("ui_meetings.title_pattern_hint") if series.has_placeholders(pattern)
              else t("ui_meetings.title_fixed_hint"))

    @on(RadioSet.Changed, "#edit-scope")
    def _scope_changed(self) -> None:
        """The whole series is titled by its pattern, one sitting by its own title: the
        field shows the one that will be saved (unless the user has typed over it)."""
        if self.meeting is None or self.series is None:
            return
        whole = self.query_one("#scope-series", RadioButton).value
        shown, other = ((self.meeting.title, self.series.title) if whole
                        else (self.series.title, self.meeting.title))
        if self._value("#title") == shown:
            self._set("#title", other)
        self._refresh_title_note()

    @on(Input.Changed, "#date, #start, #end")
    def _when_changed(self, event: Input.Changed) -> None:
        error = self.query_one("#when-error", Static)
        try:
            start, _end = self._when()
        except ValidationError as exc:
            _note(error, exc.message())
            return
        _note(error, "")
        if event.input.id == "date":
            self._sync_repeat_params(start.date())
            self._suggest_title()
        self._refresh_repeat()
        self._check_overlap()
        self._sync_late()

    def _late(self) -> bool:
        """Whether the sitting as typed starts in the past: a 补录 (the service decides
        the same way, and refuses one without a reason). A series never starts there."""
        try:
            start, _end = self._when()
        except ValidationError:
            return False
        if self.meeting is None and self._repeat_kind() != NO_REPEAT:
            return False
        if self.meeting is not None and start == self.meeting.planned_start:
            return self.meeting.entered_late  # not moved: as it is
        return start < self.services.ctx.now(self.branch_id) - LATE_AFTER

    def _sync_late(self) -> None:
        self.query_one("#late-row").set_class(not self._late(), "-hidden")

    def _when(self) -> tuple[datetime, datetime | None]:
        day = parse_day(self._value("#date"))
        start = datetime.combine(day, parse_clock(self._value("#start"), t("ui_meetings.start")))
        end_text = self._value("#end")
        end = None
        if end_text.strip():
            end = datetime.combine(day, parse_clock(end_text, t("ui_meetings.end")))
            if end <= start:
                raise ValidationError("meeting.end_before_start")
        return start, end

    def _group_id(self) -> int | None:
        value = self.query_one("#group", Select).value
        return value if isinstance(value, int) else None

    def _person(self, selector: str) -> int | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, int) else None

    # -- agenda -----------------------------------------------------------------------------

    @on(Input.Submitted, "#agenda-title")
    def _agenda_add(self) -> None:
        text = self._value("#agenda-title")
        if not text.strip():
            return
        act = self.query_one("#agenda-act", Select).value
        self.agenda.append((text, Act(act) if isinstance(act, str) else None))
        self._set("#agenda-title", "")
        self.query_one("#agenda-act", Select).clear()
        self._refresh_agenda()

    def action_remove_agenda(self) -> None:
        table = self.query_one("#agenda", DataTable)
        if not table.has_focus or not self.agenda or table.disabled:
            return
        del self.agenda[min(table.cursor_row, len(self.agenda) - 1)]
        self._refresh_agenda()

    def _refresh_agenda(self) -> None:
        table = self.query_one("#agenda", DataTable)
        table.clear()
        for i, (text, act) in enumerate(self.agenda):
            table.add_row(cell(f"{i + 1}. {text}"), cell(enum_label(act) if act else ""),
                          key=str(i))
        table.set_class(not self.agenda, "-hidden")

    # -- repetition -------------------------------------------------------------------------

    def _repeat_kind(self) -> str:
        return str(self.query_one("#rec-kind", Select).value)

    def _sync_repeat_params(self, day: date) -> None:
        """Suggest the pattern the first sitting's date follows (4 Dec 2026 → 第一个星期五)."""
        nth = (day.day - 1) // 7 + 1
        self.query_one("#rec-n", Select).value = nth if nth <= 4 else -1
        self.query_one("#rec-wd", Select).value = day.weekday()
        self._set("#rec-day", str(min(day.day, 28)))

    @on(Select.Changed, "#rec-kind, #rec-n, #rec-wd, #rec-end-kind")
    @on(Input.Changed, "#rec-day, #rec-rule, #rec-end")
    def _repeat_changed(self) -> None:
        kind = self._repeat_kind()
        if kind == GROUP_SERIES and self.meeting is None:
            # One series per 党小组: the sittings are group meetings and nothing else.
            for o in Obligation:
                self.query_one(f"#ob-{o.value}", Checkbox).value = o is Obligation.GROUP_MEETING
        params = self.query_one("#rec-params")
        params.set_class(kind == NO_REPEAT, "-hidden")
        self.query_one("#rec-end-row").set_class(kind == NO_REPEAT or self.meeting is not None,
                                                 "-hidden")
        end_kind = self._end_kind()
        end = self.query_one("#rec-end", Input)
        end.set_class(end_kind == END_NEVER, "-hidden")
        end.placeholder = t(f"ui_meetings.end_{end_kind}_hint") if end_kind != END_NEVER else ""
        self._suggest_title()
        self._refresh_title_note()
        shown = {
            "rec-n": kind in (recurrence.Preset.MONTHLY_NTH_WEEKDAY, GROUP_SERIES),
            "rec-wd": kind in (recurrence.Preset.MONTHLY_NTH_WEEKDAY, GROUP_SERIES,
                               recurrence.Preset.QUARTERLY_LAST_WEEKDAY),
            "rec-day": kind == recurrence.Preset.MONTHLY_ON_DAY,
            "rec-rule": kind == recurrence.Preset.CUSTOM,
        }
        for wid, show in shown.items():
            self.query_one(f"#{wid}").set_class(not show, "-hidden")
        self._refresh_repeat()
        self._sync_late()

    def _end_kind(self) -> str:
        return str(self.query_one("#rec-end-kind", Select).value)

    def _end(self) -> tuple[date | None, int | None]:
        return read_end(self._end_kind(), self._value("#rec-end"))

    def _rule(self) -> str | None:
        kind = self._repeat_kind()
        if kind == NO_REPEAT:
            return None
        n = self.query_one("#rec-n", Select).value
        wd = self.query_one("#rec-wd", Select).value
        return repeat_rule(kind, n if isinstance(n, int) else 1, wd if isinstance(wd, int) else 4,
                           self._value("#rec-day"), self._value("#rec-rule"))

    def _refresh_repeat(self) -> None:
        """The rule in words and its next five dates, as the user types."""
        if self.meeting is not None:
            return
        describe = self.query_one("#rec-describe", Static)
        preview = self.query_one("#rec-preview", Static)
        if self._repeat_kind() == NO_REPEAT:
            _note(describe, "")
            _note(preview, "")
            return
        try:
            rule = self._rule()
            start, _end = self._when()
            assert rule is not None
            until, count = self._end()
            rule = recurrence.with_end(rule, until=until, count=count, dtstart=start)
            found, missing = series.plan(rule, start, self._value("#title"),
                                         limit=PREVIEW_COUNT)
        except ValidationError as exc:
            _note(describe, exc.message())
            describe.add_class("error")
            _note(preview, "")
            return
        describe.remove_class("error")
        words = recurrence.describe(rule, lang=language())
        if self._repeat_kind() == GROUP_SERIES:
            words = t("ui_meetings.per_group", words=words)
        _note(describe, t("ui_meetings.rule_words", words=words))
        if not found:
            _note(preview, t("ui_meetings.preview_none"))
            return
        preview.update(preview_content(found, missing, start.strftime("%H:%M")))
        preview.remove_class("-empty")

    # -- overlap warning --------------------------------------------------------------------

    def _check_overlap(self) -> None:
        if not self._loaded:
            return
        try:
            start, end = self._when()
        except ValidationError:
            return
        actor, branch_id, mid = self.actor, self.branch_id, self.meeting_id
        self._overlap_seq += 1
        self._overlaps(self._overlap_seq, lambda: self.services.meetings.overlaps(
            actor, branch_id, start, end, exclude_id=mid))

    @work(thread=True, exclusive=True, exit_on_error=False, group="overlap")
    def _overlaps(self, seq: int, call: Callable[[], list[c.Meeting]]) -> None:
        try:
            found = call()
        except Exception:
            return  # only a warning: the save itself reports real errors
        if seq == self._overlap_seq:
            self.post_message(Overlaps(found))

    def on_overlaps(self, message: Overlaps) -> None:
        box = self.query_one("#overlap", Static)
        if not message.meetings:
            _note(box, "")
            return
        others = "；".join(f"“{m.title}”（{when(m.planned_start)}）" for m in message.meetings[:3])
        _note(box, t("ui_meetings.overlap", n=len(message.meetings), others=others))

    # -- saving -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "cancel_meeting"):
            if self.scope is None or not self.scope.any:
                return False if self._loaded else None
            if action == "cancel_meeting":
                return self.meeting is not None and self.meeting.status == MeetingStatus.PLANNED
        return True

    def _say_error(self, text: str) -> None:
        _note(self.query_one("#form-error", Static), text)

    def _mine(self) -> dict[str, str]:
        return {"title": self._value("#title"),
                "start": f"{self._value('#date')} {self._value('#start')}",
                "end": self._value("#end"), "place": self._value("#place")}

    def action_save(self) -> None:
        if self._saving:
            return
        if self.scope is None or not self.scope.any:
            self.notify(t("perm.schedule"), severity="error", markup=False)
            return
        try:
            call = self._save_call()
        except ValidationError as exc:
            self._say_error(exc.message())
            self.notify(exc.message(), severity="error", markup=False, timeout=8)
            return
        self._saving = True
        self._say_error("")
        self._save(call)

    def _save_call(self) -> Callable[[], str]:
        """Read the form into one service call (ValidationError if it cannot be read)."""
        start, end = self._when()
        services, actor = self.services, self.actor
        title, place = self._value("#title"), self._value("#place")
        convener, moderator = self._person("#convener"), self._person("#moderator")
        recorder = self._person("#recorder")
        signin = self.query_one("#signin", Checkbox).value
        late_reason = self._value("#late-reason") if self._late() else ""
        mtg = self.meeting
        if mtg is not None:
            whole = (mtg.series_id is not None
                     and self.query_one("#scope-series", RadioButton).value)
            if whole and self.series is not None:
                info = self.series
                shift = start - mtg.planned_start

                def update_series() -> str:
                    done = services.meetings.update_series(
                        actor, info.id, info.version, title=title, place=place,
                        time_shift=shift or None)
                    return t("ui_meetings.series_saved", n=len(done))
                return update_series

            def reschedule() -> str:
                services.meetings.reschedule(
                    actor, mtg.id, mtg.version, planned_start=start, planned_end=end,
                    place=place, title=title, convener_id=convener, moderator_id=moderator,
                    recorder_id=recorder, allow_self_signin=signin,
                    late_reason=late_reason or None)
                return t("ui_meetings.saved", title=title)
            return reschedule

        kind = self._repeat_kind()
        kinds = self._kinds()
        if kind == GROUP_SERIES:
            kinds = [Obligation.GROUP_MEETING]
        draft = MeetingDraft(
            branch_id=self.branch_id, title=title, obligations=tuple(kinds),
            planned_start=start, planned_end=end, place=place,
            group_id=None if kind == GROUP_SERIES else self._group_id(),
            convener_id=convener, moderator_id=moderator, recorder_id=recorder,
            agenda=tuple(self.agenda), allow_self_signin=signin, late_reason=late_reason)
        rule = self._rule()
        if rule is None:
            def schedule() -> str:
                services.meetings.schedule(actor, draft)
                return t("ui_meetings.saved", title=title)
            return schedule
        # The messages now, not after a round trip.
        until, count = self._end()
        recurrence.validate(recurrence.with_end(rule, until=until, count=count, dtstart=start),
                            start)
        series.check_pattern(title)
        if kind == GROUP_SERIES:
            def group_series() -> str:
                made = services.meetings.create_group_series(actor, draft, rule, until=until,
                                                             count=count)
                return t("ui_meetings.group_series_saved", groups=len(made),
                         n=sum(len(one.meetings) for one in made)) + holiday_warning(
                    [note for one in made for note in one.holidays])
            return group_series

        def create_series() -> str:
            made = services.meetings.create_series(actor, draft, rule, until=until, count=count)
            return t("ui_meetings.series_created", n=len(made.meetings)) + holiday_warning(
                made.holidays)
        return create_series

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(self, call: Callable[[], str]) -> None:
        try:
            self.post_message(Saved(call()))
        except BranchError as exc:
            self.post_message(SaveFailed(exc, exc.message()))
        except Exception as exc:
            self.post_message(SaveFailed(None, t("ui.unexpected", detail=type(exc).__name__)))

    def on_saved(self, message: Saved) -> None:
        self._saving = False
        self.notify(message.text, markup=False)
        self.dismiss(True)

    def on_save_failed(self, message: SaveFailed) -> None:
        self._saving = False
        error = message.error
        if isinstance(error, Conflict):
            current = error.params.get("current")
            shown = current if isinstance(current, c.Meeting) else None
            self._say_error(message.text)
            self.app.push_screen(ConflictDialog(shown, self._mine()),
                                 lambda answer: self._resolve(answer, current))
            return
        self._say_error(message.text)
        self.notify(message.text, severity="error", markup=False, timeout=8)

    def _resolve(self, answer: str | None, current: object) -> None:
        """After a conflict: save mine over the newer version, take theirs into the form,
        or keep editing (the next save meets the same conflict and asks again)."""
        if answer == "theirs" and isinstance(current, c.Meeting):
            self.meeting = current
            self._fill_meeting(current)
            self._say_error(t("ui_meetings.took_theirs"))
        elif answer == "mine":
            if isinstance(current, c.Meeting):
                self.meeting = current
                self.action_save()
            elif self.series is not None:
                # A series' conflict carries only its version: read it again, then save.
                actor, sid = self.actor, self.series.id
                self.fetch("series", lambda: self.services.meetings.series_info(actor, sid))
                self._save_after_series = True
        else:
            self._say_error(t("ui_meetings.kept_yours"))

    _save_after_series = False

    # -- cancel and leave -------------------------------------------------------------------

    def action_cancel_meeting(self) -> None:
        mtg = self.meeting
        if mtg is None or self._saving:
            return

        def done(answer: tuple[str, bool] | None) -> None:
            if answer is None:
                return
            reason, whole = answer
            self._saving = True
            self._save(cancel_call(self.services, self.actor, mtg, reason, whole))

        self.app.push_screen(CancelDialog(mtg), done)

    def action_back(self) -> None:
        self.dismiss(False)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        cmds: list[tuple[str, str, Callable[[], Any]]] = []
        if self.scope is not None and self.scope.any:
            cmds.append((t("ui_meetings.cmd_save"), t("ui_meetings.cmd_save_help"),
                         self.action_save))
            if self.meeting is not None:
                cmds.append((t("ui_meetings.cmd_cancel"), t("ui_meetings.cmd_cancel_help"),
                             self.action_cancel_meeting))
            else:
                cmds.append((t("ui_meetings.cmd_agenda"), t("ui_meetings.cmd_agenda_help"),
                             lambda: self.query_one("#agenda-title", Input).focus()))
        cmds.append((t("ui_meetings.cmd_back"), t("ui_meetings.cmd_back_help"),
                     self.action_back))
        return cmds
