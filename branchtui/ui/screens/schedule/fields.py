"""The schedule form's fields and how they react to typing, without the layout, the loading
or the saving (``screen``): the kinds and the title suggested from them, the date and times,
a start already past (补录), the agenda, the repetition with its preview, and the warning
about other sittings at the same time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from textual import on, work
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, RadioButton, RadioSet, Select, Static

from branchtui.core import model as c
from branchtui.core import recurrence, series
from branchtui.core.enums import Act, Obligation
from branchtui.core.errors import ValidationError
from branchtui.i18n import enum_label, language, t
from branchtui.services.meetings import LATE_AFTER, ScheduleScope, SeriesInfo
from branchtui.ui.screens.base import DataScreen
from branchtui.ui.screens.schedule.form import (
    END_NEVER,
    GROUP_SERIES,
    NO_REPEAT,
    PREVIEW_COUNT,
    default_pattern,
    default_title,
    parse_clock,
    parse_day,
    preview_content,
    read_end,
    repeat_rule,
)
from branchtui.ui.text import cell, content, when


def show_note(box: Static, text: str) -> None:
    """A line under the form that takes no room while it has nothing to say."""
    box.update(content(text))
    box.set_class(not text, "-empty")


class Overlaps(Message):
    def __init__(self, meetings: list[c.Meeting]) -> None:
        super().__init__()
        self.meetings = meetings


class ScheduleFields(DataScreen):
    """What ``ScheduleScreen`` reads from its fields and how they react to typing."""

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

    def _set(self, selector: str, value: str) -> None:
        self.query_one(selector, Input).value = value

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

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
        show_note(self.query_one("#kinds-note", Static), note)

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
            show_note(box, "")
            return
        pattern = self._value("#title")
        try:
            series.check_pattern(pattern)
        except ValidationError as exc:
            box.add_class("error")
            show_note(box, exc.message())
            return
        box.remove_class("error")
        show_note(box, t("ui_meetings.title_pattern_hint") if series.has_placeholders(pattern)
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
            show_note(error, exc.message())
            return
        show_note(error, "")
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
            show_note(describe, "")
            show_note(preview, "")
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
            show_note(describe, exc.message())
            describe.add_class("error")
            show_note(preview, "")
            return
        describe.remove_class("error")
        words = recurrence.describe(rule, lang=language())
        if self._repeat_kind() == GROUP_SERIES:
            words = t("ui_meetings.per_group", words=words)
        show_note(describe, t("ui_meetings.rule_words", words=words))
        if not found:
            show_note(preview, t("ui_meetings.preview_none"))
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
            show_note(box, "")
            return
        others = "；".join(f"“{m.title}”（{when(m.planned_start)}）" for m in message.meetings[:3])
        show_note(box, t("ui_meetings.overlap", n=len(message.meetings), others=others))
