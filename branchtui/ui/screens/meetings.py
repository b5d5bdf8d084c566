"""A branch's meetings: a filtered list (kind, status, period, group) and a month calendar
showing which days have sittings. From here the secretary schedules, edits and cancels
sittings, and anyone opens a record, the attendance sheet or the live minutes."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, ClassVar

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from branchtui.core import model as c
from branchtui.core.enums import MeetingStatus, Obligation, PeriodKind
from branchtui.core.errors import BranchError
from branchtui.core.periods import PeriodSpan, parse_period, period_containing
from branchtui.i18n import enum_label, t
from branchtui.services.meetings import ScheduleScope
from branchtui.ui.bindings import Translated
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content, when

STATUS_STYLE = {
    MeetingStatus.PLANNED: "",
    MeetingStatus.OPEN: "bold green",
    MeetingStatus.CLOSED: "",
    MeetingStatus.SEALED: "dim",
    MeetingStatus.CANCELLED: "dim strike",
}
DAY_WIDTH = 5  # cells per day in the calendar grid
CROSS = "\u00d7"  # multiplication sign: a cancelled sitting


def weekday_short(n: int) -> str:
    """一 … 日 / Mo … Su (0 = Monday)."""
    return t(f"ui_meetings.wd.{n}")


def _pad(text: str, width: int) -> str:
    """Centre ``text`` in ``width`` terminal cells (CJK is two cells wide)."""
    gap = max(0, width - cell_len(text))
    return " " * (gap // 2) + text + " " * (gap - gap // 2)


def month_grid(month: date, meetings: list[c.Meeting], today: date) -> Content:
    """The month as a grid: one row per week, Monday first; a day with a sitting is
    marked ● (●2 for two; only cancelled ones: a cross)."""
    by_day: dict[date, list[c.Meeting]] = {}
    for mtg in meetings:
        by_day.setdefault(mtg.planned_start.date(), []).append(mtg)
    parts: list[str | tuple[str, str]] = [
        (t("ui_meetings.cal_title", year=month.year, month=month.month), "bold"), "\n"]
    parts += [(_pad(weekday_short(i), DAY_WIDTH), "bold" if i < 5 else "bold $accent")
              for i in range(7)]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        parts.append("\n")
        for day in week:
            if day.month != month.month:
                parts.append(" " * DAY_WIDTH)
                continue
            held = by_day.get(day, [])
            live = [m for m in held if m.status != MeetingStatus.CANCELLED]
            mark = ("" if not held else CROSS if not live else
                    "●" if len(live) == 1 else f"●{min(len(live), 9)}")
            style = "bold reverse" if live else "dim" if held else ""
            if day == today:
                style = (style + " underline").strip()
            text = f"{day.day:>2}{mark}"
            parts.append((text, style or "none"))
            parts.append(" " * (DAY_WIDTH - len(text)))
    parts += ["\n", (t("ui_meetings.cal_legend"), "dim")]
    return Content.assemble(*[(p if isinstance(p, str) else (p[0], "" if p[1] == "none" else p[1]))
                              for p in parts])


class BranchPicker(Translated, ModalScreen[int | None]):
    """Choose one of the actor's branches."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "ui.key_back"),
    ]
    DEFAULT_CSS = """
    BranchPicker { align: center middle; }
    #branch-box { width: 60; max-width: 95%; height: auto; max-height: 90%;
                  background: $panel; border: round $accent; padding: 0 1; }
    #branch-list { height: auto; max-height: 16; }
    """

    def __init__(self, branches: list[c.Org], current: int | None) -> None:
        super().__init__()
        self.branches = branches
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="branch-box"):
            yield Label(t("ui_meetings.pick_branch"), classes="section-title")
            yield OptionList(*[Option(cell(b.name), id=str(b.id)) for b in self.branches],
                             id="branch-list")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        for i, b in enumerate(self.branches):
            if b.id == self.current:
                ol.highlighted = i

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(str(event.option.id)))

    def action_close(self) -> None:
        self.dismiss(None)


class MeetingsScreen(DataScreen):
    """The meetings of one branch (the actor's first branch unless ``branch_id``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="meetings.back"),
        Binding("n", "new", "ui_meetings.key_new", id="meetings.new"),
        Binding("e", "edit", "ui_meetings.key_edit", id="meetings.edit"),
        Binding("x", "cancel_meeting", "ui_meetings.key_cancel", id="meetings.cancel"),
        Binding("a", "attendance", "ui_meetings.key_attendance", id="meetings.attendance"),
        Binding("m", "minutes", "ui_meetings.key_minutes", id="meetings.minutes"),
        Binding("o", "orglife", "ui_meetings.key_orglife", id="meetings.orglife"),
        Binding("v", "toggle_calendar", "ui_meetings.key_calendar", id="meetings.calendar"),
        Binding("left_square_bracket,comma", "month(-1)", "ui_meetings.key_prev_month",
                id="meetings.prev_month"),
        Binding("right_square_bracket,full_stop", "month(1)", "ui_meetings.key_next_month",
                id="meetings.next_month"),
        Binding("b", "switch_branch", "ui_meetings.key_branch", id="meetings.branch"),
        Binding("slash,f", "filters", "ui_meetings.key_filters", id="meetings.filters"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="meetings.refresh"),
        Binding("enter", "open_record", "ui.key_open_meeting", id="meetings.open", show=False),
    ]
    DEFAULT_CSS = """
    MeetingsScreen #filters { height: auto; margin: 0 1; }
    MeetingsScreen #filters > Select { width: 1fr; }
    MeetingsScreen #f-period { width: 1fr; }
    MeetingsScreen #calendar { height: auto; padding: 0 1; display: none; }
    MeetingsScreen.-calendar #calendar { display: block; }
    MeetingsScreen #period-error { height: auto; display: none; }
    MeetingsScreen #period-error.-shown { display: block; }
    MeetingsScreen #late-note { height: auto; padding: 0 1; color: $warning; display: none; }
    MeetingsScreen #late-note.-shown { display: block; }
    """

    def __init__(self, branch_id: int | None = None) -> None:
        super().__init__()
        self.branch_id = branch_id
        self.branches: list[c.Org] = []
        self.groups: list[c.Org] = []
        self.scope: ScheduleScope | None = None
        self.meetings: dict[int, c.Meeting] = {}
        self.period: PeriodSpan | None = None
        self.month: date | None = None
        self.calendar_on = False
        self._seq = 0

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="branch", classes="who")
        with Horizontal(id="filters"):
            yield Select([(content(enum_label(o)), o.value) for o in Obligation],
                         prompt=t("ui_meetings.all_kinds"), id="f-kind", compact=True)
            yield Select([(content(enum_label(s)), s.value) for s in MeetingStatus],
                         prompt=t("ui_meetings.all_status"), id="f-status", compact=True)
            yield Input(placeholder=t("ui_meetings.period_hint"), id="f-period", compact=True)
            yield Select([], prompt=t("ui_meetings.all_groups"), id="f-group", compact=True)
        yield Static(id="period-error", classes="error")
        yield Static(id="calendar")
        yield DataTable(id="list", cursor_type="row", zebra_stripes=True)
        # The highlighted sitting's 补录: when it was entered and why (hidden otherwise).
        yield Static(id="late-note")
        yield KeyFooter()

    def on_mount(self) -> None:
        today = self.services.ctx.today(self.branch_id)
        self.period = period_containing(PeriodKind.YEAR, today)
        self.month = date(today.year, today.month, 1)
        with self.prevent(Input.Changed):
            self.query_one("#f-period", Input).value = self.period.code()
        table = self.query_one("#list", DataTable)
        # app.tcss caps tables at 14 rows; this one is the page, so it takes what is left.
        table.styles.height = "1fr"
        table.styles.max_height = "100%"
        self._columns()
        self.load_branch()

    def _columns(self) -> None:
        table = self.query_one("#list", DataTable)
        table.clear(columns=True)
        table.add_columns(t("ui.col_when"), t("ui.col_title"), t("ui.col_kinds"),
                          t("ui_meetings.col_group"), t("ui.col_place"), t("ui.col_status"))

    # -- loading ------------------------------------------------------------------------

    def load_branch(self) -> None:
        """Which branch, its groups, what the actor may do there, and its meetings."""
        actor, wanted = self.actor, self.branch_id
        services = self.services
        filters = self._filters()

        def call() -> dict[str, Any]:
            branches = services.roster.my_branches(actor)
            branch_id = wanted if wanted is not None else (branches[0].id if branches else None)
            if branch_id is None:
                return {"branches": branches, "branch_id": None}
            scope = services.meetings.schedule_scope(actor, branch_id)
            try:
                groups = services.roster.groups(actor, branch_id)
            except BranchError:
                groups = []
            return {"branches": branches, "branch_id": branch_id, "scope": scope,
                    "groups": groups,
                    "meetings": self._find(actor, branch_id, scope, filters)}

        self._seq += 1
        self.fetch(f"branch:{self._seq}", call)

    def _find(self, actor: Any, branch_id: int, scope: ScheduleScope,
              f: dict[str, Any]) -> list[c.Meeting]:
        """Runs in the worker. A member who may not read the whole branch sees the
        sittings they are expected at (or hold a post in)."""
        return self.services.meetings.find(
            actor, branch_id if scope.read_branch else None,
            start=f["start"], end=f["end"], status=f["status"], obligation=f["obligation"],
            group_id=f["group_id"])

    def action_refresh(self) -> None:
        if self.branch_id is None or self.scope is None:
            self.load_branch()
            return
        actor, branch_id, scope, filters = self.actor, self.branch_id, self.scope, self._filters()
        self._seq += 1
        self.fetch(f"list:{self._seq}", lambda: self._find(actor, branch_id, scope, filters))

    def _filters(self) -> dict[str, Any]:
        kind = self.query_one("#f-kind", Select).value
        status = self.query_one("#f-status", Select).value
        group = self.query_one("#f-group", Select).value
        span = self.period
        return {
            "obligation": Obligation(kind) if isinstance(kind, str) else None,
            "status": (MeetingStatus(status),) if isinstance(status, str) else (),
            "group_id": group if isinstance(group, int) else None,
            "start": datetime.combine(span.starts, time()) if span else None,
            "end": datetime.combine(span.ends, time()) if span else None,
        }

    def on_loaded(self, message: Loaded) -> None:
        tag, _, seq = message.tag.partition(":")
        if seq and int(seq) != self._seq:
            return  # an older answer overtaken by a newer request
        if tag == "branch":
            data = message.data
            self.branches = data["branches"]
            self.branch_id = data["branch_id"]
            if self.branch_id is None:
                self.query_one("#branch", Static).update(content(t("ui_meetings.no_branch")))
                self.refresh_bindings()
                return
            self.scope = data["scope"]
            self.groups = data["groups"]
            group_select = self.query_one("#f-group", Select)
            with self.prevent(Select.Changed):
                group_select.set_options([(cell(g.name), g.id) for g in self.groups])
            self._show(data["meetings"])
            self.refresh_bindings()
        elif tag == "list":
            self._show(message.data)
        elif tag == "cancelled":
            self.notify(message.data, markup=False)
            self.action_refresh()

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        if message.tag.startswith("branch"):
            self.query_one("#branch", Static).update(content(message.text))

    def _branch_name(self) -> str:
        names = {b.id: b.name for b in self.branches}
        return names.get(self.branch_id or 0, "")

    def _show(self, meetings: list[c.Meeting]) -> None:
        self.meetings = {mtg.id: mtg for mtg in meetings}
        period = self.period.label() if self.period else t("ui_meetings.all_time")
        rights = (t("ui_meetings.may_schedule") if self.scope and self.scope.any
                  else t("ui_meetings.read_only"))
        self.query_one("#branch", Static).update(content(t(
            "ui_meetings.head", branch=self._branch_name() or "-", period=period,
            n=len(meetings), rights=rights)))
        table = self.query_one("#list", DataTable)
        keep = None
        if table.row_count:
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        groups = {g.id: g.name for g in self.groups}
        for mtg in meetings:
            style = STATUS_STYLE.get(mtg.status, "")
            # A 补录 says so where an 80-column list still shows it: before the title.
            title = (t("ui_meetings.late_title", title=mtg.title) if mtg.entered_late
                     else mtg.title)
            table.add_row(
                cell(when(mtg.planned_start) + " " + weekday_short(mtg.planned_start.weekday())),
                cell(title, style), cell("、".join(enum_label(o) for o in mtg.obligations)),
                cell(groups.get(mtg.group_id or 0, "")), cell(mtg.place),
                cell(enum_label(mtg.status), style), key=str(mtg.id))
        if keep is not None and keep in {str(k) for k in self.meetings}:
            table.move_cursor(row=table.get_row_index(keep))
        else:
            # Start at the next sitting: what a secretary usually wants to look at.
            now = self.services.ctx.now(self.branch_id)
            upcoming = [i for i, mtg in enumerate(meetings) if mtg.planned_start >= now]
            if upcoming:
                table.move_cursor(row=upcoming[0])
        self._draw_calendar()
        self._show_late()

    def _show_late(self) -> None:
        note = self.query_one("#late-note", Static)
        mtg = self.selected()
        if mtg is None or mtg.late_at is None:
            note.remove_class("-shown")
            return
        note.update(content(t("ui_meetings.late_note", number=mtg.number or "-",
                              title=mtg.title, day=mtg.planned_start.date().isoformat(),
                              at=when(mtg.late_at), reason=mtg.late_reason)))
        note.add_class("-shown")

    @on(DataTable.RowHighlighted, "#list")
    def _highlighted(self) -> None:
        self._show_late()

    def _draw_calendar(self) -> None:
        if self.month is None:
            return
        today = self.services.ctx.today(self.branch_id)
        self.query_one("#calendar", Static).update(
            month_grid(self.month, list(self.meetings.values()), today))

    # -- filters ------------------------------------------------------------------------

    @on(Select.Changed, "#filters Select")
    def _filter_changed(self, _event: Select.Changed) -> None:
        self.action_refresh()

    @on(Input.Changed, "#f-period")
    def _period_typing(self) -> None:
        # Applied on Enter or when leaving the field: while typing, "2026-1" is already a
        # valid month and the list would jump around.
        self._period_error("")

    @on(Input.Submitted, "#f-period")
    def _period_submitted(self, event: Input.Submitted) -> None:
        if self._read_period(event.value, loud=True):
            self.query_one("#list", DataTable).focus()

    @on(Input.Blurred, "#f-period")
    def _period_left(self, event: Input.Blurred) -> None:
        self._read_period(event.value, loud=False)

    def _period_error(self, text: str) -> None:
        box = self.query_one("#period-error", Static)
        box.update(content(text))
        box.set_class(bool(text), "-shown")

    def _read_period(self, text: str, loud: bool) -> bool:
        """Apply a typed period; a bad one is explained and the list keeps the last good
        period (the text stays as typed)."""
        if not text.strip():
            span = None
        else:
            try:
                span = parse_period(text)
            except BranchError as exc:
                self._period_error(exc.message())
                if loud:
                    self.notify(exc.message(), severity="warning", markup=False)
                return False
        self._period_error("")
        if span != self.period:
            self.period = span
            if span is not None:
                self.month = date(span.starts.year, span.starts.month, 1)
            self.action_refresh()
        return True

    def action_filters(self) -> None:
        self.query_one("#f-kind", Select).focus()

    # -- calendar -----------------------------------------------------------------------

    def action_toggle_calendar(self) -> None:
        self.calendar_on = not self.calendar_on
        self.set_class(self.calendar_on, "-calendar")
        if self.calendar_on:
            month = self.month or self.services.ctx.today(self.branch_id).replace(day=1)
            self._set_month(month)
        self.refresh_bindings()

    def action_month(self, step: int) -> None:
        if not self.calendar_on or self.month is None:
            return
        index = self.month.year * 12 + self.month.month - 1 + step
        self._set_month(date(index // 12, index % 12 + 1, 1))

    def _set_month(self, month: date) -> None:
        """The calendar shows one month; the list follows it."""
        self.month = month
        span = period_containing(PeriodKind.MONTH, month)
        period_input = self.query_one("#f-period", Input)
        with self.prevent(Input.Changed):
            period_input.value = span.code()
        self._period_error("")
        self._draw_calendar()
        if span != self.period:
            self.period = span
            self.action_refresh()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "edit", "cancel_meeting"):
            return bool(self.scope and self.scope.any)
        if action == "month":
            return self.calendar_on
        if action == "switch_branch":
            return len(self.branches) > 1
        return True

    def selected(self) -> c.Meeting | None:
        table = self.query_one("#list", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.meetings.get(int(str(key))) if key is not None else None

    def _selected_or_say(self) -> c.Meeting | None:
        mtg = self.selected()
        if mtg is None:
            self.notify(t("ui_meetings.none_selected"), severity="warning", markup=False)
        return mtg

    def _may_change(self, mtg: c.Meeting) -> bool:
        if not (self.scope and self.scope.allows(mtg.group_id)):
            self.notify(t("perm.schedule"), severity="error", markup=False)
            return False
        if mtg.status != MeetingStatus.PLANNED:
            self.notify(t("meeting.not_planned"), severity="warning", markup=False)
            return False
        return True

    def action_open_record(self) -> None:
        from branchtui.ui.screens.record import RecordScreen

        mtg = self._selected_or_say()
        if mtg is not None:
            self.app.push_screen(RecordScreen(mtg.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "list":
            self.action_open_record()

    def action_new(self) -> None:
        from branchtui.ui.screens.schedule.screen import ScheduleScreen

        if self.branch_id is None or not (self.scope and self.scope.any):
            self.notify(t("perm.schedule"), severity="error", markup=False)
            return
        self.app.push_screen(ScheduleScreen(self.branch_id), self._after_form)

    def action_edit(self) -> None:
        from branchtui.ui.screens.schedule.screen import ScheduleScreen

        mtg = self._selected_or_say()
        if mtg is None or self.branch_id is None or not self._may_change(mtg):
            return
        self.app.push_screen(ScheduleScreen(self.branch_id, mtg.id), self._after_form)

    def _after_form(self, changed: object) -> None:
        if changed:
            self.action_refresh()

    def action_cancel_meeting(self) -> None:
        from branchtui.ui.dialogs.cancel_meeting import CancelDialog, cancel_call

        mtg = self._selected_or_say()
        if mtg is None or not self._may_change(mtg):
            return

        def done(answer: tuple[str, bool] | None) -> None:
            if answer is None:
                return
            reason, whole = answer
            call = cancel_call(self.services, self.actor, mtg, reason, whole)
            self.fetch("cancelled", call)

        self.app.push_screen(CancelDialog(mtg), done)

    def _open_lazily(self, which: str) -> None:
        mtg = self._selected_or_say()
        if mtg is None:
            return
        target: Callable[[int], Screen[Any]]
        try:
            if which == "attendance":
                from branchtui.ui.screens.attendance.screen import AttendanceScreen

                target = AttendanceScreen
            else:
                from branchtui.ui.screens.minutes.screen import MinutesScreen

                target = MinutesScreen
        except Exception:  # not installed, or broken: the list must keep working
            self.notify(t("ui_meetings.not_available"), severity="warning", markup=False)
            return
        self.app.push_screen(target(mtg.id))

    def action_attendance(self) -> None:
        self._open_lazily("attendance")

    def action_minutes(self) -> None:
        self._open_lazily("minutes")

    def action_orglife(self) -> None:
        """The 组织生活会 sheet (problems, criticism, 整改, 回头看) of the selected sitting."""
        from branchtui.ui.screens.orglife.meeting import OrgLifeScreen

        mtg = self._selected_or_say()
        if mtg is None:
            return
        if Obligation.ORG_LIFE not in mtg.obligations:
            self.notify(t("orglife.not_org_life"), severity="warning", markup=False)
            return
        self.app.push_screen(OrgLifeScreen(mtg.id))

    def action_switch_branch(self) -> None:
        if len(self.branches) < 2:
            self.notify(t("ui_meetings.one_branch"), markup=False)
            return

        def chosen(branch_id: int | None) -> None:
            if branch_id is not None and branch_id != self.branch_id:
                self.branch_id = branch_id
                self.scope = None
                with self.prevent(Select.Changed):
                    self.query_one("#f-group", Select).clear()
                self.load_branch()

        self.app.push_screen(BranchPicker(self.branches, self.branch_id), chosen)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        cmds: list[tuple[str, str, Callable[[], Any]]] = [
            (t("ui.cmd_open_meeting"), t("ui.cmd_open_meeting_help"), self.action_open_record),
            (t("ui_meetings.cmd_calendar"), t("ui_meetings.cmd_calendar_help"),
             self.action_toggle_calendar),
            (t("ui_meetings.cmd_attendance"), t("ui_meetings.cmd_attendance_help"),
             self.action_attendance),
            (t("ui_meetings.cmd_orglife"), t("ui_meetings.cmd_orglife_help"),
             self.action_orglife),
            (t("ui_meetings.cmd_minutes"), t("ui_meetings.cmd_minutes_help"),
             self.action_minutes),
            (t("ui_meetings.cmd_filters"), t("ui_meetings.cmd_filters_help"),
             self.action_filters),
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
        ]
        if self.calendar_on:
            cmds += [
                (t("ui_meetings.cmd_prev_month"), t("ui_meetings.cmd_month_help"),
                 lambda: self.action_month(-1)),
                (t("ui_meetings.cmd_next_month"), t("ui_meetings.cmd_month_help"),
                 lambda: self.action_month(1)),
            ]
        if self.scope and self.scope.any:
            cmds += [
                (t("ui_meetings.cmd_new"), t("ui_meetings.cmd_new_help"), self.action_new),
                (t("ui_meetings.cmd_edit"), t("ui_meetings.cmd_edit_help"), self.action_edit),
                (t("ui_meetings.cmd_cancel"), t("ui_meetings.cmd_cancel_help"),
                 self.action_cancel_meeting),
            ]
        if len(self.branches) > 1:
            cmds.append((t("ui_meetings.cmd_branch"), t("ui_meetings.cmd_branch_help"),
                         self.action_switch_branch))
        return cmds
