"""The members of a branch (officers only) and one member's page: attendance over the
years with a small chart, months since last attended, exemptions, 留党察看, leave,
rectification items, posts, transfers and login keys; and the edits an officer makes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Input, Label, Sparkline, Static

from branchtui.core.enums import AttendanceStatus
from branchtui.i18n import enum_label, t
from branchtui.services.queries import MemberDossier, RosterEntry, RosterOverview
from branchtui.ui.dialogs.member_edit import (
    MemberFormDialog,
    appoint_dialog,
    confirm_dialog,
    end_dialog,
    key_dialog,
    period_dialog,
    transfer_dialog,
)
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content, when

STATUS_STYLE = {
    AttendanceStatus.PRESENT: "green",
    AttendanceStatus.LATE: "yellow",
    AttendanceStatus.LEAVE: "cyan",
    AttendanceStatus.ABSENT: "bold red",
    AttendanceStatus.EXEMPT: "dim",
}


def _reset(table: DataTable, *columns: str) -> None:
    table.clear(columns=True)
    table.add_columns(*columns)


def _none_row(table: DataTable) -> None:
    table.add_row(cell(t("ui.none")), *[cell("") for _ in range(len(table.columns) - 1)])


def _selected_key(table: DataTable) -> int | None:
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return int(key) if key and str(key).isdigit() else None


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _bar(rate: float | None, width: int = 10) -> str:
    if rate is None:
        return ""
    full = round(rate * width)
    return "█" * full + "░" * (width - full)


def _span(starts: Any, ends: Any) -> str:
    return t("ui_members.span", starts=when(starts),
             ends=when(ends) if ends else t("ui_members.open_end"))


# -- the roster ----------------------------------------------------------------------------


class MembersScreen(DataScreen):
    """The branch's members with incremental search; Enter opens a member's page.
    ``branch_id`` None: the branch where the actor keeps the roster."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="members.back"),
        Binding("slash,ctrl+f", "search", "ui_members.key_search", id="members.search"),
        Binding("enter", "open", "ui_members.key_open", id="members.open"),
        Binding("n", "add", "ui_members.key_add", id="members.add"),
        Binding("s", "sort", "ui_members.key_sort", id="members.sort"),
        Binding("k", "app.go_keys", "ui_members.key_keys", id="members.keys"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="members.refresh"),
        Binding("down", "to_table", show=False),
    ]

    def __init__(self, branch_id: int | None = None) -> None:
        super().__init__()
        self.branch_id = branch_id
        self.overview: RosterOverview | None = None
        self.by_months = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="members-head", classes="who")
        yield Input(placeholder=t("ui_members.search_hint"), id="members-search")
        yield DataTable(id="members-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#members-table", DataTable)
        table.styles.height = "1fr"  # the list takes what the screen has
        table.styles.max_height = "100%"
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, bid = self.actor, self.branch_id
        self.fetch("roster", lambda: self.services.queries.roster_overview(actor, bid))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add", "open", "sort", "search"):
            return self.overview is not None
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        if self.overview is None:
            return [(t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]
        return [
            (t("ui_members.cmd_search"), t("ui_members.cmd_search_help"), self.action_search),
            (t("ui_members.cmd_open"), t("ui_members.cmd_open_help"), self.action_open),
            (t("ui_members.cmd_add"), t("ui_members.cmd_add_help"), self.action_add),
            (t("ui_members.cmd_sort"), t("ui_members.cmd_sort_help"), self.action_sort),
            (t("ui_members.cmd_keys"), t("ui_members.cmd_keys_help"),
             self.app.action_go_keys),  # type: ignore[attr-defined]
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
        ]

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        if message.tag == "roster" and self.overview is None:
            self.query_one("#members-head", Static).update(content(message.text))
            self.query_one("#members-search", Input).disabled = True
            self.refresh_bindings()

    def on_loaded(self, message: Loaded) -> None:
        self.overview = message.data
        self.query_one("#members-search", Input).disabled = False
        self._show()
        self.refresh_bindings()

    @staticmethod
    def labels(e: RosterEntry) -> tuple[str, ...]:
        """The words shown for a line; the search matches them too."""
        words = [t("ui.full") if e.is_full else t("ui.probationary")]
        if e.exempt_reason is not None:
            words += [t("ui_members.exempt_short"), e.exempt_reason]
        if e.disciplined:
            words.append(t("ui_members.disciplined_short"))
        words += [w for w, on_ in ((t("ui.warn_lapsed", months=e.lapse_months), e.lapsed),
                                   (t("ui.warn_near", months=e.lapse_months), e.near_lapse),
                                   (t("ui.warn_absences"), e.over_absences))
                  if on_]
        return tuple(words)

    @on(Input.Changed, "#members-search")
    def _filter(self) -> None:
        if self.overview is not None:
            self._show()

    @on(Input.Submitted, "#members-search")
    def _submitted(self) -> None:
        table = self.query_one("#members-table", DataTable)
        if _selected_key(table) is not None:
            table.focus()
            self.action_open()

    def _show(self) -> None:
        ov = self.overview
        assert ov is not None
        query = self.query_one("#members-search", Input).value
        shown = [e for e in ov.entries if e.matches(query, self.labels(e))]
        if self.by_months:
            shown.sort(key=lambda e: -(e.months_since if e.months_since is not None else -1))
        full = sum(e.is_full for e in ov.entries)
        self.query_one("#members-head", Static).update(content(t(
            "ui_members.roster_head", branch=ov.branch.name, today=ov.today.isoformat(),
            total=len(ov.entries), full=full, probationary=len(ov.entries) - full,
            exempt=sum(e.exempt_reason is not None for e in ov.entries), shown=len(shown))))
        table = self.query_one("#members-table", DataTable)
        _reset(table, t("report.name"), t("ui_members.col_login"), t("ui.col_kind"),
               t("ui_members.col_group"), t("ui_members.col_exempt"), t("ui.col_months"),
               t("ui_members.col_last"), t("ui.col_warning"))
        for e in shown:
            warn = [w for w, on_ in ((t("ui.warn_lapsed", months=e.lapse_months), e.lapsed),
                    (t("ui.warn_near", months=e.lapse_months), e.near_lapse),
                    (t("ui.warn_absences"), e.over_absences),
                    (t("ui_members.disciplined_short"), e.disciplined)) if on_]
            table.add_row(
                cell(e.name), cell(e.login),
                cell(t("ui.full") if e.is_full else t("ui.probationary")),
                cell(e.group_name), cell(e.exempt_reason or "", "dim"),
                cell(e.months_since if e.months_since is not None else "-",
                     "bold red" if e.lapsed else "yellow" if e.near_lapse else ""),
                cell(when(e.last_attended)), cell("、".join(warn), "bold red"),
                key=str(e.member_id))
        if not shown:
            _none_row(table)

    def action_search(self) -> None:
        self.query_one("#members-search", Input).focus()

    def action_to_table(self) -> None:
        self.query_one("#members-table", DataTable).focus()

    def action_sort(self) -> None:
        self.by_months = not self.by_months
        self._show()
        self.notify(t("ui_members.sorted_months" if self.by_months else "ui_members.sorted_name"),
                    markup=False)

    def action_open(self) -> None:
        mid = _selected_key(self.query_one("#members-table", DataTable))
        if mid is not None:
            self.app.push_screen(MemberDetailScreen(mid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_add(self) -> None:
        ov = self.overview
        if ov is None:
            return

        def done(result: Any) -> None:
            if result is not None:
                self.notify(t("ui_members.added", name=result.name), markup=False)
                self.action_refresh()

        self.app.push_screen(MemberFormDialog(self.services, self.actor, None,
                                              branch_id=ov.branch.id, groups=ov.groups,
                                              today=ov.today), done)


# -- one member ----------------------------------------------------------------------------

HISTORY_SHOWN = 60
EDITS = {"edit", "exemption", "discipline", "confirm_full", "transfer"}


class MemberDetailScreen(DataScreen):
    """One member's page. Officers see the edit keys their rights allow; everyone else
    (the member, an upper-level viewer) reads."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="member.back"),
        Binding("e", "edit", "ui_members.key_edit", id="member.edit"),
        Binding("m", "exemption", "ui_members.key_exemption", id="member.exemption"),
        Binding("c", "discipline", "ui_members.key_discipline", id="member.discipline"),
        Binding("z", "confirm_full", "ui_members.key_confirm_full", id="member.confirm"),
        Binding("t", "transfer", "ui_members.key_transfer", id="member.transfer"),
        Binding("a", "appoint", "ui_members.key_appoint", id="member.appoint"),
        Binding("k", "add_key", "ui_members.key_add_key", id="member.add_key"),
        Binding("d", "end_selected", "ui_members.key_end", id="member.end"),
        Binding("h", "all_history", "ui_members.key_all_history", id="member.all_history"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="member.refresh"),
    ]

    DEFAULT_CSS = """
    MemberDetailScreen Static { width: 100%; }
    MemberDetailScreen Sparkline { margin: 0 1; }
    """

    def __init__(self, member_id: int) -> None:
        super().__init__()
        self.member_id = member_id
        self.dossier: MemberDossier | None = None
        self.groups: tuple[tuple[int, str], ...] = ()
        self.all_history = False
        # Set each time the page has been filled from the services (benchmarks wait on it).
        self.ready = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="record-body"):
            yield Static(id="member-head", classes="who")
            yield Static(id="member-lapse", classes="summary")
            yield Label(t("ui_members.chart_title"), classes="section-title")
            yield Sparkline([], id="member-chart")
            yield Static(id="member-chart-caption", classes="summary")
            yield Label(t("ui_members.years_title"), classes="section-title")
            yield DataTable(id="member-years", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_members.history_title"), classes="section-title")
            yield DataTable(id="member-history", cursor_type="row", zebra_stripes=True)
            yield Static(id="member-history-more", classes="summary")
            yield Label(t("ui_members.exemptions_title"), classes="section-title")
            yield DataTable(id="member-exemptions", cursor_type="row")
            yield Label(t("ui_members.disciplines_title"), classes="section-title")
            yield DataTable(id="member-disciplines", cursor_type="row")
            yield Label(t("ui_members.leave_title"), classes="section-title")
            yield DataTable(id="member-leave", cursor_type="row")
            yield Label(t("ui_members.rect_title"), classes="section-title")
            yield DataTable(id="member-rect", cursor_type="row")
            yield Label(t("ui_members.positions_title"), classes="section-title")
            yield DataTable(id="member-positions", cursor_type="row")
            yield Label(t("ui_members.memberships_title"), classes="section-title")
            yield DataTable(id="member-memberships", cursor_type="row")
            yield Label(t("ui_members.keys_title"), classes="section-title", id="keys-title")
            yield DataTable(id="member-keys", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#member-chart", Sparkline).styles.height = 2
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, mid = self.actor, self.member_id
        self.fetch("dossier", lambda: self.services.queries.member_dossier(actor, mid))

    # -- what may be done -------------------------------------------------------------------

    def allowed(self, action: str) -> bool:
        d = self.dossier
        if d is None:
            return False
        r = d.rights
        if action == "confirm_full":
            return r.roster and d.member.full_since is None
        if action in EDITS:
            return r.roster
        if action == "appoint":
            return r.posts and d.member.branch_id is not None
        if action == "add_key":
            return r.keys
        if action == "end_selected":
            return r.roster or r.posts or r.keys
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in EDITS | {"appoint", "add_key", "end_selected"}:
            return self.allowed(action)
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out = [(t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
               (t("ui_members.cmd_all_history"), t("ui_members.cmd_all_history_help"),
                self.action_all_history)]
        for action in ("edit", "exemption", "discipline", "confirm_full", "transfer",
                       "appoint", "add_key", "end_selected"):
            if self.allowed(action):
                out.append((t(f"ui_members.cmd_{action}"), t(f"ui_members.cmd_{action}_help"),
                            getattr(self, f"action_{action}")))
        return out

    # -- filling the page -------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        if message.tag != "dossier":
            self._dialog_data(message)
            return
        d: MemberDossier = message.data
        self.dossier = d
        self._head(d)
        self._chart(d)
        self._years(d)
        self._history(d)
        self._periods(d)
        self._leave(d)
        self._rect(d)
        self._positions(d)
        self._memberships(d)
        self._keys(d)
        self.refresh_bindings()
        self.ready.set()

    def _head(self, d: MemberDossier) -> None:
        mem = d.member
        kind = t("ui.full") if mem.full_since and mem.full_since <= d.today else t(
            "ui.probationary")
        place = " / ".join(x for x in (d.branch_name, d.group_name) if x) or t(
            "ui_members.no_branch_now")
        self.query_one("#member-head", Static).update(content(t(
            "ui_members.member_head", name=mem.name, login=mem.login or "-", kind=kind,
            place=place, gender=mem.gender or "-", birth=when(mem.birth_date) or "-",
            phone=mem.phone or "-", admitted=when(mem.admitted) or "-",
            full=when(mem.full_since) or "-")))
        lp = d.lapse
        months = lp.months_since if lp.months_since is not None else "-"
        text = t("ui_members.lapse_line", months=months,
                 last=when(lp.last_attended) or t("ui_members.never"),
                 absences=lp.unexcused_absences)
        style = ""
        if lp.lapsed:
            text += "\n" + t("ui_members.lapse_over", months=lp.lapse_months)
            style = "bold red"
        elif lp.near_lapse:
            text += "\n" + t("ui_members.lapse_near", months=lp.lapse_months)
            style = "bold yellow"
        if lp.over_absence_threshold:
            text += "\n" + t("ui_members.absences_over", n=lp.unexcused_absences)
            style = style or "bold red"
        lapse = self.query_one("#member-lapse", Static)
        lapse.update(content(text))
        lapse.styles.color = {"bold red": "red", "bold yellow": "yellow"}.get(style)
        lapse.styles.text_style = "bold" if style else "none"

    def _chart(self, d: MemberDossier) -> None:
        months = d.rates.months
        chart = self.query_one("#member-chart", Sparkline)
        chart.data = [m.rate if m.rate is not None else 0.0 for m in months] or [0.0]
        caption = self.query_one("#member-chart-caption", Static)
        if months:
            first, last = months[0], months[-1]
            caption.update(content(t("ui_members.chart_caption",
                                     first=f"{first.year}-{first.month:02d}",
                                     last=f"{last.year}-{last.month:02d}", n=len(months))))
        else:
            caption.update(content(t("ui_members.no_history")))

    def _years(self, d: MemberDossier) -> None:
        table = self.query_one("#member-years", DataTable)
        _reset(table, t("ui_members.col_year"), t("ui_members.col_expected"),
               enum_label(AttendanceStatus.PRESENT), enum_label(AttendanceStatus.LATE),
               enum_label(AttendanceStatus.LEAVE), enum_label(AttendanceStatus.ABSENT),
               enum_label(AttendanceStatus.EXEMPT), t("ui_members.col_rate"),
               t("ui_members.col_bar"))
        for y in d.rates.years:
            table.add_row(cell(y.year), cell(y.expected), cell(y.present), cell(y.late),
                          cell(y.leave), cell(y.absent, "red" if y.absent else ""),
                          cell(y.exempt), cell(_pct(y.rate)),
                          cell(_bar(y.rate), "green"), key=str(y.year))
        if not d.rates.years:
            _none_row(table)

    def _history(self, d: MemberDossier) -> None:
        # Ten years are ~500 rows, and a DataTable measures every cell: the latest ones
        # first (the yearly table covers every year), all of them on request.
        table = self.query_one("#member-history", DataTable)
        _reset(table, t("ui_members.col_date"), t("ui.col_meeting"), t("report.status"),
               t("report.reason"))
        shown = d.history if self.all_history else d.history[:HISTORY_SHOWN]
        more = self.query_one("#member-history-more", Static)
        more.display = len(shown) < len(d.history)
        more.update(content(t("ui_members.history_more", shown=len(shown),
                              total=len(d.history))))
        for h in shown:
            # A sitting still to come is "not held yet", not "not marked" (which reads
            # as the recorder's omission).
            status = (enum_label(h.status) if h.status
                      else t("ui_members.not_held_yet") if h.day > d.today
                      else t("report.unmarked"))
            table.add_row(cell(when(h.day)), cell(h.title),
                          cell(status, STATUS_STYLE.get(h.status, "") if h.status else "dim"),
                          cell(h.reason), key=str(h.meeting_id))
        if not d.history:
            _none_row(table)

    def action_all_history(self) -> None:
        self.all_history = not self.all_history
        if self.dossier is not None:
            self._history(self.dossier)

    def _periods(self, d: MemberDossier) -> None:
        for table_id, entries in (("#member-exemptions", d.exemptions),
                                  ("#member-disciplines", d.disciplines)):
            table = self.query_one(table_id, DataTable)
            _reset(table, t("ui_members.col_period"), t("field.reason"),
                   t("ui_members.col_now"))
            for p in entries:
                table.add_row(cell(_span(p.starts, p.ends)), cell(p.reason),
                              cell(t("ui_members.in_force") if p.covers(d.today) else ""),
                              key=str(p.id))
            if not entries:
                _none_row(table)

    def _leave(self, d: MemberDossier) -> None:
        table = self.query_one("#member-leave", DataTable)
        _reset(table, t("ui.col_meeting"), t("ui.col_kind"), t("report.reason"),
               t("ui.col_status"), t("ui_members.col_asked"))
        for r in d.leave:
            table.add_row(cell(f"{when(r.meeting_start)} {r.meeting_title}"),
                          cell(enum_label(r.kind)), cell(r.reason),
                          cell(enum_label(r.status)), cell(when(r.requested_at)),
                          key=str(r.id))
        if not d.leave:
            _none_row(table)

    def _rect(self, d: MemberDossier) -> None:
        table = self.query_one("#member-rect", DataTable)
        _reset(table, t("field.problem"), t("field.measure"), t("ui.col_deadline"),
               t("ui.col_status"))
        for r in d.rectifications:
            overdue = (r.deadline is not None and r.deadline < d.today
                       and r.status.value in ("open", "in_progress"))
            table.add_row(cell(r.problem), cell(r.measure),
                          cell(when(r.deadline), "red" if overdue else ""),
                          cell(enum_label(r.status)), key=str(r.id))
        if not d.rectifications:
            _none_row(table)

    def _positions(self, d: MemberDossier) -> None:
        table = self.query_one("#member-positions", DataTable)
        _reset(table, t("ui_members.col_post"), t("ui_members.col_org"),
               t("ui_members.col_term"), t("ui_members.col_now"))
        for p in d.positions:
            table.add_row(cell(enum_label(p.role)), cell(p.org_name),
                          cell(_span(p.starts, p.ends)),
                          cell(t("ui_members.in_force") if p.current(d.today) else ""),
                          key=str(p.id))
        if not d.positions:
            _none_row(table)

    def _memberships(self, d: MemberDossier) -> None:
        table = self.query_one("#member-memberships", DataTable)
        _reset(table, t("ui_members.col_period"), t("report.branch"),
               t("ui_members.col_group"), t("field.note"))
        for e in d.memberships:
            table.add_row(cell(_span(e.starts, e.ends)), cell(e.branch_name),
                          cell(e.group_name), cell(e.note), key=str(e.id))
        if not d.memberships:
            _none_row(table)

    def _keys(self, d: MemberDossier) -> None:
        table = self.query_one("#member-keys", DataTable)
        shown = d.rights.keys
        table.display = shown
        self.query_one("#keys-title", Label).display = shown
        _reset(table, t("ui_members.col_fingerprint"), t("field.comment"))
        for k in d.keys:
            table.add_row(cell(k.fingerprint), cell(k.comment), key=str(k.id))
        if not d.keys:
            _none_row(table)

    # -- edits --------------------------------------------------------------------------------

    def _open(self, dialog: Any, done_key: str, action: str) -> None:
        if not self.allowed(action):
            self.notify(t("ui_members.not_allowed"), severity="warning", markup=False)
            return
        self.app.push_screen(dialog, self.after_dialog(done_key))

    def _today(self):  # -> date
        """Today where the member's branch is (the default day of an edit)."""
        d = self.dossier
        return self.services.ctx.today(d.member.branch_id if d is not None else None)

    def action_edit(self) -> None:
        d = self.dossier
        if d is not None:
            self._open(MemberFormDialog(self.services, self.actor, d.member), "ui_members.saved",
                       "edit")

    def action_exemption(self) -> None:
        d = self.dossier
        if d is not None:
            self._open(period_dialog(self.services, self.actor, d.member, "exemption",
                                     self._today()), "ui_members.exemption_added", "exemption")

    def action_discipline(self) -> None:
        d = self.dossier
        if d is not None:
            self._open(period_dialog(self.services, self.actor, d.member, "discipline",
                                     self._today()), "ui_members.discipline_added",
                       "discipline")

    def action_confirm_full(self) -> None:
        d = self.dossier
        if d is None:
            return
        svc, actor, mem = self.services, self.actor, d.member
        self._open(end_dialog(
            t("ui_members.confirm_title", name=mem.name), t("ui_members.confirm_intro"),
            self._today(),
            lambda on: lambda: svc.roster.confirm_full(actor, mem.id, on, mem.version)),
            "ui_members.confirmed", "confirm_full")

    def _groups(self) -> tuple[tuple[int, str], ...]:
        d = self.dossier
        if d is None or d.member.branch_id is None:
            return ()
        return tuple((g.id, g.name) for g in self.services.roster.groups(
            self.actor, d.member.branch_id))

    def action_transfer(self) -> None:
        d = self.dossier
        if d is None or not self.allowed("transfer"):
            return
        actor = self.actor
        # Two small reads the dialog needs; run in the worker, then open the dialog.
        self.fetch("transfer", lambda: (self.services.roster.transfer_targets(actor),
                                        self._groups()))

    def action_appoint(self) -> None:
        d = self.dossier
        if d is None or not self.allowed("appoint"):
            return
        self.fetch("appoint", self._groups)

    def action_add_key(self) -> None:
        d = self.dossier
        if d is not None:
            self._open(key_dialog(self.services, self.actor, d.member.id, d.member.name),
                       "ui_members.key_added", "add_key")

    def action_end_selected(self) -> None:
        """End the selected exemption, 留党察看 period or post, or remove the selected key:
        whichever list has the focus."""
        d = self.dossier
        if d is None:
            return
        focused = self.focused
        fid = focused.id if isinstance(focused, DataTable) else None
        svc, actor = self.services, self.actor
        key = _selected_key(focused) if isinstance(focused, DataTable) else None
        if key is None or fid not in ("member-exemptions", "member-disciplines",
                                      "member-positions", "member-keys"):
            self.notify(t("ui_members.end_hint"), severity="warning", markup=False)
            return
        if fid == "member-exemptions":
            self._open(end_dialog(t("ui_members.end_exemption_title"),
                                  t("ui_members.end_exemption_intro"), self._today(),
                                  lambda on: lambda: svc.roster.end_exemption(actor, key, on)),
                       "ui_members.ended", "exemption")
        elif fid == "member-disciplines":
            self._open(end_dialog(t("ui_members.end_discipline_title"),
                                  t("ui_members.end_discipline_intro"), self._today(),
                                  lambda on: lambda: svc.roster.end_discipline(actor, key, on)),
                       "ui_members.ended", "discipline")
        elif fid == "member-positions":
            self._open(end_dialog(t("ui_members.end_position_title"),
                                  t("ui_members.end_position_intro"), self._today(),
                                  lambda on: lambda: svc.roster.end_position(actor, key, on)),
                       "ui_members.ended", "appoint")
        else:
            fp = next((k.fingerprint for k in d.keys if k.id == key), None)
            if fp is None:
                return
            self._open(confirm_dialog(t("ui_members.remove_key_title"),
                                      t("ui_members.remove_key_intro", fingerprint=fp),
                                      lambda: svc.roster.remove_key(actor, fp)),
                       "ui_members.key_removed", "add_key")

    def _dialog_data(self, message: Loaded) -> None:
        """Data fetched for a dialog: open it."""
        d = self.dossier
        if d is None:
            return
        if message.tag == "transfer":
            branches, groups = message.data
            self._open(transfer_dialog(self.services, self.actor, d.member, branches, groups,
                                       self._today()), "ui_members.transferred", "transfer")
        else:
            assert d.member.branch_id is not None
            self._open(appoint_dialog(self.services, self.actor, d.member,
                                      (d.member.branch_id, d.branch_name), message.data,
                                      self._today()), "ui_members.appointed", "appoint")
