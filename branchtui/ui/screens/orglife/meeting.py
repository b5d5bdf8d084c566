"""One 组织生活会 (DOMAIN.md §6): the problem list, criticism and self-criticism, the 整改清单
made from the problems, and the 回头看 of earlier rounds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import (
    DataTable,
    Header,
    Label,
    Static,
)

from branchtui.core import model as c
from branchtui.core.enums import MeetingStatus
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.i18n import enum_label, t
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Loaded
from branchtui.ui.screens.orglife.forms import (
    CriticismForm,
    NoteForm,
    ProblemForm,
    RectForm,
)
from branchtui.ui.screens.orglife.tracker import RectificationScreen, status_cell
from branchtui.ui.text import cell, content, when
from branchtui.ui.widgets.tables import keep_cursor, selected_key, text_width

# -- the 组织生活会 ------------------------------------------------------------------------


class OrgLifeScreen(DataScreen):
    """One 组织生活会: problems, criticism, this round's 整改清单 and the 回头看."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="orglife.back"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="orglife.refresh"),
        Binding("a", "problem", "ui_orglife.key_problem", id="orglife.problem"),
        Binding("c", "criticism", "ui_orglife.key_criticism", id="orglife.criticism"),
        Binding("s", "self_criticism", "ui_orglife.key_self", id="orglife.self"),
        Binding("z", "rectify", "ui_orglife.key_rectify", id="orglife.rectify"),
        Binding("h", "review", "ui_orglife.key_review", id="orglife.review"),
        Binding("t", "tracker", "ui_orglife.key_tracker", id="orglife.tracker"),
    ]
    WRITES = ("problem", "criticism", "self_criticism", "rectify", "review")

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.sheet: Any = None  # services.minutes.OrgLifeSheet once loaded

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="record-body", can_focus=False):
            yield Static(id="head", classes="who")
            yield Static(id="mode", classes="summary")
            yield Label(t("ui_orglife.problems"), classes="section-title")
            yield DataTable(id="problems", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_orglife.criticisms"), classes="section-title")
            yield DataTable(id="criticisms", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_orglife.items"), classes="section-title")
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_orglife.review"), classes="section-title")
            yield DataTable(id="review", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, mid = self.actor, self.meeting_id
        self.fetch("sheet", lambda: self.services.minutes.org_life_sheet(actor, mid))

    # -- permissions: absent when not allowed; refused with the reason when forced ----------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.WRITES:
            if self.sheet is None or not self.sheet.can_write:
                return False
            if action == "review" and not self.sheet.review:
                return None
        return True

    def _refusal(self) -> str | None:
        s = self.sheet
        if s.can_write:
            return None
        if not s.is_org_life:
            return ValidationError("orglife.not_org_life").message()
        if s.meeting.status is MeetingStatus.SEALED:
            return ValidationError("meeting.sealed").message()
        if s.meeting.status is not MeetingStatus.OPEN:
            return ValidationError("minutes.not_open").message()
        return PermissionDenied("perm.minutes").message()

    def _may_write(self) -> bool:
        if self.sheet is None:  # not loaded yet
            return False
        reason = self._refusal()
        if reason:
            self.notify(reason, severity="error", markup=False, timeout=8)
        return reason is None

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        entries = [
            ("problem", "ui_orglife.cmd_problem", self.action_problem),
            ("criticism", "ui_orglife.cmd_criticism", self.action_criticism),
            ("self_criticism", "ui_orglife.cmd_self", self.action_self_criticism),
            ("rectify", "ui_orglife.cmd_rectify", self.action_rectify),
            ("review", "ui_orglife.cmd_review", self.action_review),
            ("tracker", "ui_orglife.cmd_tracker", self.action_tracker),
        ]
        out = [(t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]
        out += [(t(key), t(key + "_help"), call) for action, key, call in entries
                if self.check_action(action, ()) is True]
        return out

    # -- rendering ------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        if message.tag == "sheet":
            self.sheet = message.data
            self._show()
            self.refresh_bindings()

    def on_resize(self) -> None:
        if self.sheet is not None:
            self._show()

    def _who(self, member_id: int | None) -> str:
        if member_id is None:
            return t("ui_orglife.collective")
        return self.sheet.names.get(member_id, f"#{member_id}")

    def _show(self) -> None:
        s = self.sheet
        m = s.meeting
        self.query_one("#head", Static).update(content(t(
            "ui_orglife.head", title=m.title, start=when(m.planned_start), place=m.place,
            status=enum_label(m.status))))
        mode = ("ui_orglife.writable" if s.can_write else
                "ui_orglife.not_org_life" if not s.is_org_life else
                "ui_orglife.readonly_closed" if m.status is not MeetingStatus.OPEN else
                "ui_orglife.readonly_role")
        self.query_one("#mode", Static).update(content(t(mode)))
        today = self.services.ctx.today(m.branch_id)
        width = self.size.width or 80

        table = self.query_one("#problems", DataTable)
        kept = selected_key(table)
        table.clear(columns=True)
        table.add_column(t("ui_orglife.col_whose"), width=14)
        table.add_column(t("field.problem"), width=text_width(width, 14, 1, 2))
        for p in s.problems:
            whose = t("ui_orglife.branch_wide") if p.member_id is None else self._who(p.member_id)
            table.add_row(cell(whose), cell(p.text), key=str(p.id))
        if not s.problems:
            table.add_row(cell(t("ui_orglife.none")), cell(""))
        keep_cursor(table, kept)

        table = self.query_one("#criticisms", DataTable)
        kept = selected_key(table)
        table.clear(columns=True)
        table.add_column(t("ui_orglife.col_kind"), width=10)
        table.add_column(t("ui_orglife.col_from_to"), width=22)
        table.add_column(t("ui_orglife.col_text"), width=text_width(width, 32, 1, 3))
        for x in s.criticisms:
            who = (self._who(x.from_id) if x.is_self
                   else f"{self._who(x.from_id)} → {self._who(x.to_id)}")
            kind = t("ui_orglife.self") if x.is_self else t("ui_orglife.criticism")
            table.add_row(cell(kind), cell(who), cell(x.text), key=str(x.id))
        if not s.criticisms:
            table.add_row(cell(t("ui_orglife.none")), cell(""), cell(""))
        keep_cursor(table, kept)

        self._items(self.query_one("#items", DataTable), s.items, today, width, review=False)
        self._items(self.query_one("#review", DataTable), s.review, today, width, review=True)

    def _items(self, table: DataTable, items: Sequence[c.Rectification], today: date,
               width: int, review: bool) -> None:
        kept = selected_key(table)
        table.clear(columns=True)
        free = text_width(width, 36, 3 if review else 2, 6 if review else 5)
        table.add_column(t("field.problem"), width=free)
        table.add_column(t("field.measure"), width=free)
        table.add_column(t("ui_orglife.col_owner"), width=12)
        table.add_column(t("ui_orglife.col_deadline"), width=10)
        table.add_column(t("ui_orglife.col_status"), width=14)
        if review:
            table.add_column(t("ui_orglife.col_review"), width=free)
        for r in items:
            row = [cell(r.problem), cell(r.measure), cell(self._who(r.owner_id)),
                   cell(when(r.deadline) or t("ui_orglife.no_deadline")), status_cell(r, today)]
            if review:
                here = r.review_meeting_id == self.meeting_id
                row.append(cell(r.review_note, "" if here else "dim"))
            table.add_row(*row, key=str(r.id))
        if not items:
            empty = t("ui_orglife.review_none") if review else t("ui_orglife.none")
            table.add_row(cell(empty), *[cell("") for _ in range(5 if review else 4)])
        keep_cursor(table, kept)

    # -- actions --------------------------------------------------------------------------

    def _after(self, done_key: str) -> Callable[[Any], None]:
        def callback(result: Any) -> None:
            if result is not None:
                self.notify(t(done_key), markup=False)
                self.action_refresh()
        return callback

    def action_problem(self) -> None:
        if not self._may_write():
            return
        actor, mid, minutes = self.actor, self.meeting_id, self.services.minutes

        def save(v: tuple[int | None, str]) -> int:
            return minutes.add_problem(actor, mid, v[1], member_id=v[0])

        self.app.push_screen(ProblemForm(self.sheet.roll, save),
                             self._after("ui_orglife.saved_problem"))

    def _criticism(self, self_only: bool) -> None:
        if not self._may_write():
            return
        actor, mid, minutes = self.actor, self.meeting_id, self.services.minutes

        def save(v: tuple[int, int, str]) -> int:
            return minutes.add_criticism(actor, mid, v[0], v[1], v[2])

        self.app.push_screen(CriticismForm(self.sheet.roll, save, self_only=self_only),
                             self._after("ui_orglife.saved_criticism"))

    def action_criticism(self) -> None:
        self._criticism(False)

    def action_self_criticism(self) -> None:
        self._criticism(True)

    def action_rectify(self) -> None:
        """From the problem under the cursor (prefilled), or a blank item."""
        if not self._may_write():
            return
        pid = selected_key(self.query_one("#problems", DataTable))
        problem = next((p for p in self.sheet.problems if p.id == pid), None)
        actor, mid, minutes = self.actor, self.meeting_id, self.services.minutes

        def save(v: dict[str, Any]) -> c.Rectification:
            return minutes.create_rectification(
                actor, mid, v["problem"], v["measure"], v["owner_id"], v["deadline"],
                problem_id=problem.id if problem else None)

        self.app.push_screen(
            RectForm(self.sheet.roll, save, problem=problem.text if problem else "",
                     owner_id=problem.member_id if problem else None),
            self._after("ui_orglife.saved_rect"))

    def action_review(self) -> None:
        if not self._may_write():
            return
        rid = selected_key(self.query_one("#review", DataTable))
        item = next((r for r in self.sheet.review if r.id == rid), None)
        if item is None:
            self.notify(t("ui_orglife.nothing_selected"), severity="warning", markup=False)
            return
        actor, mid, minutes = self.actor, self.meeting_id, self.services.minutes
        existing = item.review_note if item.review_meeting_id == mid else ""

        def save(note: str) -> c.Rectification:
            return minutes.record_review(actor, mid, item.id, note)

        self.app.push_screen(
            NoteForm(t("ui_orglife.form_review", problem=item.problem), save,
                     t("field.review"), existing),
            self._after("ui_orglife.saved_review"))

    def action_tracker(self) -> None:
        branch = self.sheet.meeting.branch_id if self.sheet is not None else None
        self.app.push_screen(RectificationScreen(branch))
