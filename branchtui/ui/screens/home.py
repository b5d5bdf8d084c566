"""Home, depending on who logs in: upcoming meetings, this quarter's obligations (or the
grid of branches for the upper level), overdue rectification, warning lines, leave waiting
for a decision, and the member's own attendance."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Label, Static

from branchtui.core.enums import ComplianceState, Obligation
from branchtui.i18n import enum_label, t
from branchtui.services import HomeData
from branchtui.ui.footer import KeyFooter
from branchtui.ui.live import Changed
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content, when

STATE_STYLE = {
    ComplianceState.MET: "green",
    ComplianceState.OPEN: "yellow",
    ComplianceState.OVERDUE: "bold red",
    ComplianceState.NOT_APPLICABLE: "dim",
}


# Home follows the change feed, but a busy branch writes many marks a minute: changes are
# gathered for this long before one reload.
LIVE_SETTLE_SECONDS = 1.0
# The home body waits for its data this long at most before it shows (empty), e.g. while
# the database is being reconnected to.
FIRST_SHOW_SECONDS = 0.5


class HomeScreen(DataScreen):
    """Reloads by itself when the database changes (anyone's write, through the change
    feed): at most once per ``LIVE_SETTLE_SECONDS`` while it is the screen shown, and once on
    coming back to it if something changed meanwhile. The cursors stay where they were."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r,f5", "refresh", "ui.key_refresh", id="home.refresh"),
        Binding("enter", "open_meeting", "ui.key_open_meeting", id="home.open", show=False),
        Binding("p", "app.switch_persona", "ui.key_persona", id="home.persona"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="body") as body:
            # Shown with its data, or after FIRST_SHOW_SECONDS: laying out and painting
            # five empty tables first cost a whole extra frame at every start.
            body.display = False
            yield Static(id="who", classes="who")
            yield Label(t("ui.home_upcoming"), classes="section-title")
            yield DataTable(id="upcoming", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui.home_compliance"), classes="section-title", id="compliance-title")
            yield DataTable(id="compliance", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui.home_warnings"), classes="section-title")
            yield DataTable(id="warnings", cursor_type="row")
            yield Label(t("ui.home_leave"), classes="section-title")
            yield DataTable(id="leave", cursor_type="row")
            yield Label(t("ui.home_overdue"), classes="section-title")
            yield DataTable(id="overdue", cursor_type="row")
            yield Label(t("ui.home_mine"), classes="section-title")
            yield Static(id="mine", classes="summary")
        yield KeyFooter()

    _stale = False
    _pending: object = None  # the settle timer while a live reload waits

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_timer(FIRST_SHOW_SECONDS, self._show_body)

    def _show_body(self) -> None:
        body = self.query_one("#body", VerticalScroll)
        if not body.display:
            body.display = True
            if self.focused is None:
                body.focus()

    def action_refresh(self) -> None:
        actor = self.actor
        self._stale = False
        self.fetch("home", lambda: self.services.home.load(actor))

    def _shown(self) -> bool:
        # Not Screen.is_current: that is also true for the screen just under the top one.
        return self.app.screen is self

    def on_changed(self, message: Changed) -> None:
        self._stale = True
        if self._shown() and self._pending is None:
            self._pending = self.set_timer(LIVE_SETTLE_SECONDS, self._live_reload)

    def _live_reload(self) -> None:
        self._pending = None
        if self._shown() and self._stale:
            self.action_refresh()

    def on_screen_resume(self) -> None:
        if self._stale:
            self.action_refresh()

    def palette_commands(self):
        return [
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
            (t("ui.cmd_open_meeting"), t("ui.cmd_open_meeting_help"), self.action_open_meeting),
        ]

    def action_open_meeting(self) -> None:
        from branchtui.ui.screens.record import RecordScreen

        table = self.query_one("#upcoming", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        self.app.push_screen(RecordScreen(int(str(key.value))))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "upcoming":
            self.action_open_meeting()

    def on_loaded(self, message: Loaded) -> None:
        data: HomeData = message.data
        cursors = {tbl.id: tbl.cursor_row for tbl in self.query(DataTable)}
        self._fill(data)
        for table in self.query(DataTable):  # a live reload keeps each cursor in place
            row = cursors.get(table.id, 0)
            if 0 < row < table.row_count:
                table.move_cursor(row=row, animate=False)
        self._show_body()

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        self._show_body()

    def _fill(self, data: HomeData) -> None:
        self._who(data)
        self._upcoming(data)
        self._compliance(data)
        self._warnings(data)
        self._leave(data)
        self._overdue(data)
        self._mine(data)

    def _who(self, d: HomeData) -> None:
        orgs = "、".join(o.name for o in (d.watched or d.branches)) or t("ui.no_branch")
        self.query_one("#who", Static).update(
            content(t("ui.who", name=d.actor.name, orgs=orgs, today=d.today.isoformat(),
                      quarter=d.quarter.label())))

    @staticmethod
    def _reset(table: DataTable, *columns: str) -> None:
        table.clear(columns=True)
        table.add_columns(*columns)

    def _upcoming(self, d: HomeData) -> None:
        table = self.query_one("#upcoming", DataTable)
        self._reset(table, t("ui.col_when"), t("ui.col_title"), t("ui.col_kinds"),
                    t("ui.col_place"), t("ui.col_status"))
        for mtg in d.upcoming:
            table.add_row(cell(when(mtg.planned_start)), cell(mtg.title),
                          cell("、".join(enum_label(o) for o in mtg.obligations)),
                          cell(mtg.place), cell(enum_label(mtg.status)), key=str(mtg.id))
        if not d.upcoming:
            table.add_row(cell(t("ui.none")), cell(""), cell(""), cell(""), cell(""))

    def _compliance(self, d: HomeData) -> None:
        table = self.query_one("#compliance", DataTable)
        title = t("ui.home_grid") if d.watched else t("ui.home_compliance")
        self.query_one("#compliance-title", Label).update(
            content(t("ui.section_period", title=title, period=d.quarter.label())))
        columns = [t("report.branch")] + [enum_label(o) for o in Obligation] + [
            t("report.silent")]
        self._reset(table, *columns)
        for b in d.compliance:
            cells = [cell(b.branch_name)]
            for o in Obligation:
                rows = [r for r in b.rows if r.obligation == o]
                worst = _worst(r.state for r in rows)
                if worst is None:
                    cells.append(cell(""))
                    continue
                met = sum(r.state == ComplianceState.MET for r in rows)
                due = sum(r.state != ComplianceState.NOT_APPLICABLE for r in rows)
                text = enum_label(worst) if due == 0 else f"{met}/{due} {enum_label(worst)}"
                cells.append(cell(text, STATE_STYLE[worst]))
            cells.append(cell(t("report.yes") if b.silent else "", "bold red"))
            table.add_row(*cells, key=str(b.branch_id))

    def _warnings(self, d: HomeData) -> None:
        table = self.query_one("#warnings", DataTable)
        self._reset(table, t("report.name"), t("ui.col_months"), t("ui.col_absences"),
                    t("ui.col_warning"))
        for mid, name, st in d.warnings:
            label = (t("ui.warn_lapsed", months=st.lapse_months) if st.lapsed else
                     t("ui.warn_near", months=st.lapse_months) if st.near_lapse
                     else t("ui.warn_absences"))
            table.add_row(cell(name), cell(st.months_since if st.months_since is not None else "-"),
                          cell(st.unexcused_absences), cell(label, "bold red"), key=str(mid))
        if not d.warnings:
            table.add_row(cell(t("ui.none")), cell(""), cell(""), cell(""))

    def _leave(self, d: HomeData) -> None:
        table = self.query_one("#leave", DataTable)
        self._reset(table, t("ui.col_member"), t("ui.col_meeting"), t("ui.col_kind"),
                    t("report.reason"))
        for r in d.pending_leave:
            table.add_row(cell(r.member_name), cell(f"{when(r.meeting_start)} {r.meeting_title}"),
                          cell(enum_label(r.kind)), cell(r.reason), key=str(r.id))
        if not d.pending_leave:
            table.add_row(cell(t("ui.none")), cell(""), cell(""), cell(""))

    def _overdue(self, d: HomeData) -> None:
        table = self.query_one("#overdue", DataTable)
        self._reset(table, t("field.problem"), t("field.measure"), t("ui.col_deadline"),
                    t("ui.col_status"))
        for r in d.overdue:
            table.add_row(cell(r.problem), cell(r.measure), cell(when(r.deadline), "red"),
                          cell(enum_label(r.status)), key=str(r.id))
        if not d.overdue:
            table.add_row(cell(t("ui.none")), cell(""), cell(""), cell(""))

    def _mine(self, d: HomeData) -> None:
        s = d.mine
        months = s.lapse.months_since if s.lapse.months_since is not None else "-"
        self.query_one("#mine", Static).update(content(t(
            "ui.mine", year=s.year, expected=s.expected, present=s.present, leave=s.leave,
            absent=s.absent, months=months)))


def _worst(states):  # -> ComplianceState | None
    order = [ComplianceState.OVERDUE, ComplianceState.OPEN, ComplianceState.MET,
             ComplianceState.NOT_APPLICABLE]
    found = set(states)
    return next((s for s in order if s in found), None)
