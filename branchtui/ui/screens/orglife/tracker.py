"""整改台账 (the rectification tracker): filters, progress notes with evidence, and 对单销号;
and how a 整改 item's status is shown, here and on the 组织生活会 page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Label, Static

from branchtui.core import model as c
from branchtui.core.enums import RectStatus
from branchtui.core.errors import Conflict, PermissionDenied, ValidationError
from branchtui.i18n import enum_label, t
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded, post_result, run_write
from branchtui.ui.screens.orglife.forms import ConfirmModal, OwnerFilterForm, ProgressForm
from branchtui.ui.text import cell, content, when
from branchtui.ui.widgets.tables import keep_cursor, selected_key, text_width

UNFINISHED = (RectStatus.OPEN, RectStatus.IN_PROGRESS)
STATUS_STYLE = {
    RectStatus.OPEN: "",
    RectStatus.IN_PROGRESS: "yellow",
    RectStatus.DONE: "cyan",
    RectStatus.VERIFIED: "green",
}
STATUS_CYCLE: tuple[RectStatus | None, ...] = (None, *RectStatus)


def is_overdue(item: c.Rectification, today: date) -> bool:
    return item.deadline is not None and item.deadline < today and item.status in UNFINISHED


def status_cell(item: c.Rectification, today: date):  # -> rich.text.Text
    label = enum_label(item.status)
    if is_overdue(item, today):
        return cell(label + t("ui_orglife.overdue"), "bold red")
    return cell(label, STATUS_STYLE[item.status])


class RectificationScreen(DataScreen):
    """整改台账: filter by status, owner and overdue; progress notes with evidence; the
    书记 verifies done items (对单销号). A member sees their own items."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="rect.back"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="rect.refresh"),
        Binding("n", "progress", "ui_orglife.key_progress", id="rect.progress"),
        Binding("v", "verify", "ui_orglife.key_verify", id="rect.verify"),
        Binding("s", "cycle_status", "ui_orglife.key_status", id="rect.status"),
        Binding("o", "owner_filter", "ui_orglife.key_owner", id="rect.owner"),
        Binding("d", "toggle_overdue", "ui_orglife.key_overdue", id="rect.overdue"),
        Binding("x", "clear_filters", "ui_orglife.key_clear", id="rect.clear"),
    ]

    def __init__(self, branch_id: int | None = None) -> None:
        super().__init__()
        self.branch_id = branch_id
        self.status: RectStatus | None = None
        self.owner_id: int | None = None
        self.overdue = False
        self.data: Any = None  # services.minutes.RectTracker once loaded
        self.notes: tuple[int, list[Any]] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="record-body", can_focus=False):
            yield Label(id="scope", classes="section-title")
            yield Static(id="filters", classes="who")
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_orglife.notes"), classes="section-title")
            yield DataTable(id="notes", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, branch, minutes = self.actor, self.branch_id, self.services.minutes
        status, owner = self.status, self.owner_id
        overdue_on = self.services.ctx.today(branch) if self.overdue else None
        self.fetch("tracker", lambda: minutes.tracker(
            actor, branch, owner_id=owner, status=status, overdue_on=overdue_on))

    @work(thread=True, exclusive=True, exit_on_error=False, group="notes")
    def fetch_notes(self, tag: str, call: Callable[[], Any]) -> None:
        """Like ``fetch``, in its own group so that it does not cancel the list's load."""
        post_result(self, tag, call)

    # -- selection and permissions --------------------------------------------------------

    def selected(self) -> c.Rectification | None:
        if self.data is None:
            return None
        rid = selected_key(self.query_one("#items", DataTable))
        return next((r for r in self.data.items if r.id == rid), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.data
        if action == "verify":
            if d is None or not (d.verifier or d.can_verify):
                return False
            item = self.selected()
            ok = item is not None and item.id in d.can_verify and item.status is RectStatus.DONE
            return True if ok else None
        if action == "progress":
            if d is None or not d.can_note:
                return False
            item = self.selected()
            ok = (item is not None and item.id in d.can_note
                  and item.status is not RectStatus.VERIFIED)
            return True if ok else None
        if action == "owner_filter":
            return d is not None and d.branch_id is not None
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        entries = [
            ("progress", "ui_orglife.cmd_progress", self.action_progress),
            ("verify", "ui_orglife.cmd_verify", self.action_verify),
            ("cycle_status", "ui_orglife.cmd_status", self.action_cycle_status),
            ("owner_filter", "ui_orglife.cmd_owner", self.action_owner_filter),
            ("toggle_overdue", "ui_orglife.cmd_overdue", self.action_toggle_overdue),
            ("clear_filters", "ui_orglife.cmd_clear", self.action_clear_filters),
        ]
        out = [(t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]
        out += [(t(key), t(key + "_help"), call) for action, key, call in entries
                if self.check_action(action, ()) is True]
        return out

    # -- rendering ------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        if message.tag == "tracker":
            self.data = message.data
            self._show()
        elif message.tag == "notes":
            self.notes = message.data
            self._render_notes()
        elif message.tag == "verified":
            self.notify(t("ui_orglife.verified"), markup=False)
            self.action_refresh()
        self.refresh_bindings()

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        if message.tag == "verified":
            self.action_refresh()

    def on_resize(self) -> None:
        if self.data is not None:
            self._show()

    def _who(self, member_id: int | None) -> str:
        if member_id is None:
            return t("ui_orglife.collective")
        return self.data.names.get(member_id, f"#{member_id}")

    def _show(self) -> None:
        d = self.data
        today = self.services.ctx.today(d.branch_id)
        self.query_one("#scope", Label).update(content(t(
            "ui_orglife.tracker_branch" if d.branch_id is not None else "ui_orglife.tracker_mine")))
        owner = (dict(d.owners).get(self.owner_id, f"#{self.owner_id}")
                 if self.owner_id is not None and d.branch_id is not None else t("ui_orglife.all"))
        self.query_one("#filters", Static).update(content(t(
            "ui_orglife.filters",
            status=enum_label(self.status) if self.status else t("ui_orglife.all"),
            owner=owner, overdue=t("ui_orglife.yes" if self.overdue else "ui_orglife.no"),
            count=len(d.items))))
        table = self.query_one("#items", DataTable)
        kept = selected_key(table)
        table.clear(columns=True)
        free = text_width(self.size.width or 80, 34, 3, 6)
        table.add_column(t("field.problem"), width=free)
        table.add_column(t("field.measure"), width=free)
        table.add_column(t("ui_orglife.col_owner"), width=10)
        table.add_column(t("ui_orglife.col_deadline"), width=10)
        table.add_column(t("ui_orglife.col_status"), width=14)
        table.add_column(t("ui_orglife.col_source"), width=free)
        for r in d.items:
            table.add_row(cell(r.problem), cell(r.measure), cell(self._who(r.owner_id)),
                          cell(when(r.deadline) or t("ui_orglife.no_deadline")),
                          status_cell(r, today), cell(d.meetings.get(r.meeting_id, "")),
                          key=str(r.id))
        if not d.items:
            table.add_row(cell(t("ui_orglife.none")), *[cell("") for _ in range(5)])
        keep_cursor(table, kept)
        self._load_notes()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "items":
            self._load_notes()
            self.refresh_bindings()

    def _load_notes(self) -> None:
        item = self.selected()
        if item is None:
            self.notes = None
            self._render_notes()
            return
        actor, rid, minutes = self.actor, item.id, self.services.minutes
        self.fetch_notes("notes", lambda: (rid, minutes.progress(actor, rid)))

    def _render_notes(self) -> None:
        table = self.query_one("#notes", DataTable)
        table.clear(columns=True)
        free = text_width(self.size.width or 80, 26, 2, 4)
        table.add_column(t("ui_orglife.col_time"), width=16)
        table.add_column(t("ui_orglife.col_author"), width=10)
        table.add_column(t("ui_orglife.col_progress"), width=free)
        table.add_column(t("ui_orglife.col_evidence"), width=free)
        item = self.selected()
        notes = self.notes[1] if self.notes and item and self.notes[0] == item.id else []
        for n in notes:
            table.add_row(cell(when(n.noted_at)), cell(n.author_name), cell(n.text),
                          cell(n.evidence), key=str(n.id))
        if item is not None and item.status is RectStatus.VERIFIED and item.verified_at:
            table.add_row(cell(when(item.verified_at)), cell(self._who(item.verified_by)),
                          cell(enum_label(item.status), "green"), cell(""))
        if table.row_count == 0:
            table.add_row(cell(t("ui_orglife.none")), cell(""), cell(""), cell(""))

    # -- filters --------------------------------------------------------------------------

    def action_cycle_status(self) -> None:
        i = STATUS_CYCLE.index(self.status)
        self.status = STATUS_CYCLE[(i + 1) % len(STATUS_CYCLE)]
        self.action_refresh()

    def action_toggle_overdue(self) -> None:
        self.overdue = not self.overdue
        self.action_refresh()

    def action_clear_filters(self) -> None:
        self.status, self.owner_id, self.overdue = None, None, False
        self.action_refresh()

    def action_owner_filter(self) -> None:
        if self.data is None or self.data.branch_id is None:
            return

        def chosen(result: tuple[int | None] | None) -> None:
            if result is not None:
                self.owner_id = result[0]
                self.action_refresh()

        self.app.push_screen(OwnerFilterForm(self.data.owners, self.owner_id), chosen)

    # -- progress and 对单销号 -------------------------------------------------------------

    def action_progress(self) -> None:
        item = self.selected()
        if item is None:
            self.notify(t("ui_orglife.nothing_selected"), severity="warning", markup=False)
            return
        if self.check_action("progress", ()) is not True:  # forced: say why, before typing
            reason = (ValidationError("rect.verified") if item.status is RectStatus.VERIFIED
                      else PermissionDenied("perm.rect"))
            self.notify(reason.message(), severity="error", markup=False, timeout=8)
            return
        actor, minutes = self.actor, self.services.minutes

        def save(v: dict[str, Any]) -> c.Rectification:
            return minutes.add_progress(actor, item.id, v["text"], v["evidence"],
                                        done=v["done"], expected_version=v["expected_version"])

        def saved(result: Any) -> None:
            if result is not None:
                self.notify(t("ui_orglife.saved_progress"), markup=False)
                self.action_refresh()

        self.app.push_screen(ProgressForm(item, save), saved)

    def action_verify(self) -> None:
        item = self.selected()
        if item is None:
            self.notify(t("ui_orglife.nothing_selected"), severity="warning", markup=False)
            return
        actor, minutes = self.actor, self.services.minutes
        rid, version = item.id, item.version

        def call() -> c.Rectification:
            try:
                return minutes.verify(actor, rid, version)
            except Conflict as exc:
                current = exc.params.get("current")
                status = current.status if isinstance(current, c.Rectification) else item.status
                raise ValidationError("ui_orglife.verify_conflict",
                                      status=f"enum.RectStatus.{status.value}") from None

        def go() -> None:
            run_write(self, "verified", call)

        if self.check_action("verify", ()) is not True:
            go()  # not allowed or not done: the service refuses and says why
            return
        last = self.notes[1][-1].text if (self.notes and self.notes[0] == rid
                                          and self.notes[1]) else t("ui_orglife.none")

        def answered(yes: bool | None) -> None:
            if yes:
                go()

        self.app.push_screen(ConfirmModal(
            t("ui_orglife.form_verify"),
            t("ui_orglife.verify_ask", problem=item.problem, measure=item.measure, last=last),
            t("ui_orglife.verify_yes")), answered)
