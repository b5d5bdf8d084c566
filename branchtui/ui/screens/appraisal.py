"""民主评议党员 (DOMAIN.md §6): one key per grade for each member of the year, 优秀 held to
its cap (one third by default) with a live count, 预备党员 listed but not graded."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Header, Input, Label, Static

from branchtui.core.enums import Grade
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.i18n import enum_label, t
from branchtui.ui.bindings import Translated
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Loaded, run_write
from branchtui.ui.text import cell, content
from branchtui.ui.widgets.tables import keep_cursor, selected_key

GRADE_STYLE = {
    Grade.EXCELLENT: "bold green",
    Grade.QUALIFIED: "",
    Grade.BASIC: "yellow",
    Grade.UNQUALIFIED: "bold red",
}
GRADE_KEYS = {"1": Grade.EXCELLENT, "2": Grade.QUALIFIED, "3": Grade.BASIC,
              "4": Grade.UNQUALIFIED}


class AppraisalScreen(DataScreen):
    """Grade entry for one branch and year. Grades are kept on the page until saved
    (Ctrl+S); leaving with unsaved grades asks for a second Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "ui.key_back", id="appraisal.back"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="appraisal.refresh"),
        Binding("1", "grade('excellent')", "ui_orglife.key_excellent", id="appraisal.excellent"),
        Binding("2", "grade('qualified')", "ui_orglife.key_qualified", id="appraisal.qualified"),
        Binding("3", "grade('basic')", "ui_orglife.key_basic", id="appraisal.basic"),
        Binding("4", "grade('unqualified')", "ui_orglife.key_unqualified",
                id="appraisal.unqualified"),
        Binding("backspace", "undo", "ui_orglife.key_undo", id="appraisal.undo"),
        Binding("ctrl+s", "save", "ui_orglife.key_save", id="appraisal.save"),
    ]
    GRADING = ("grade", "undo", "save")
    # The list takes the rest of the screen (a branch may have 50 members).
    CSS = """
    AppraisalScreen #grades { height: 1fr; max-height: 100%; }
    AppraisalScreen #cap.error { color: $error; text-style: bold; }
    """

    def __init__(self, branch_id: int, year: int) -> None:
        super().__init__()
        self.branch_id = branch_id
        self.year = year
        self.roster: Any = None  # services.minutes.AppraisalRoster once loaded
        self.edits: dict[int, Grade] = {}  # member id -> grade not yet saved
        self._leave_warned = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="head", classes="who")
        yield Static(id="cap", classes="summary")
        yield Static(id="count", classes="summary")
        yield Static(id="hint", classes="summary")
        yield DataTable(id="grades", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, branch, year = self.actor, self.branch_id, self.year
        self.fetch("roster", lambda: self.services.minutes.appraisal_roster(actor, branch, year))

    # -- permissions ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.GRADING:
            return self.roster is not None and self.roster.can_grade
        return True

    def _may_grade(self) -> bool:
        if self.roster is None:
            return False
        if not self.roster.can_grade:
            self.notify(PermissionDenied("perm.grade").message(), severity="error",
                        markup=False, timeout=8)
            return False
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = [
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]
        if self.check_action("grade", ()) is not True:
            return out
        for g in Grade:
            name = t("ui_orglife.cmd_grade", grade=enum_label(g, lang="zh"),
                     grade_en=enum_label(g, lang="en"))
            out.append((name, t("ui_orglife.cmd_grade_help"),
                        partial(self.action_grade, g.value)))
        out.append((t("ui_orglife.cmd_undo"), t("ui_orglife.cmd_undo_help"), self.action_undo))
        out.append((t("ui_orglife.cmd_save"), t("ui_orglife.cmd_save_help"), self.action_save))
        return out

    # -- the working state ----------------------------------------------------------------

    def _grade_of(self, entry: Any) -> Grade | None:
        return self.edits.get(entry.member_id, entry.grade)

    def _gradable(self) -> list[Any]:
        return [e for e in self.roster.entries if not e.probationary]

    def _excellent(self, besides: int | None = None) -> int:
        return sum(1 for e in self._gradable()
                   if e.member_id != besides and self._grade_of(e) is Grade.EXCELLENT)

    def _share(self) -> str:
        share = self.roster.rules.excellent_cap
        if (share.numerator, share.denominator) == (1, 3):
            return t("ui_orglife.share_third")
        return f"{share.numerator}/{share.denominator}"

    # -- rendering ------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        if message.tag == "roster":
            self.roster = message.data
            listed = {e.member_id for e in self.roster.entries}
            self.edits = {mid: g for mid, g in self.edits.items() if mid in listed}
            self._show()
            self.refresh_bindings()
        elif message.tag == "saved":
            self.notify(t("ui_orglife.saved_grades", count=len(message.data)), markup=False)
            self.edits = {}
            self.action_refresh()

    def _show(self) -> None:
        r = self.roster
        self.query_one("#head", Static).update(content(t(
            "ui_orglife.appraisal_head", year=r.year, branch=r.branch_name)))
        hint = t("ui_orglife.grade_hint" if r.can_grade else "ui_orglife.grade_readonly")
        if r.sealed_round:
            hint += "\n" + t("ui_orglife.grades_sealed", title=r.sealed_round)
        self.query_one("#hint", Static).update(content(hint))
        table = self.query_one("#grades", DataTable)
        kept = selected_key(table)
        table.clear(columns=True)
        table.add_column(t("ui_orglife.col_name"), width=22)
        kinds = (t("ui_orglife.full"), t("ui_orglife.probationary"))
        grades = [enum_label(g) for g in Grade] + [t("ui_orglife.ungraded")]
        table.add_column(t("ui_orglife.col_member_kind"), width=max(map(cell_len, kinds)))
        table.add_column(t("ui_orglife.col_grade"), width=max(map(cell_len, grades)))
        # Sized here like the columns above, not on the table's next idle pass: a
        # screenshot taken before it showed the note cut to the header's width.
        notes = (t("ui_orglife.col_note"), t("ui_orglife.probationary_reason"),
                 t("ui_orglife.unsaved"))
        table.add_column(t("ui_orglife.col_note"), width=max(map(cell_len, notes)))
        for e in r.entries:
            if e.probationary:
                table.add_row(cell(e.name, "dim"), cell(t("ui_orglife.probationary"), "dim"),
                              cell("-", "dim"), cell(t("ui_orglife.probationary_reason"), "dim"),
                              key=str(e.member_id))
                continue
            grade = self._grade_of(e)
            changed = e.member_id in self.edits and self.edits[e.member_id] != e.grade
            table.add_row(
                cell(e.name), cell(t("ui_orglife.full")),
                cell(enum_label(grade) if grade else t("ui_orglife.ungraded"),
                     GRADE_STYLE[grade] if grade else "dim"),
                cell(t("ui_orglife.unsaved") if changed else "", "bold yellow"),
                key=str(e.member_id))
        keep_cursor(table, kept)
        self._counts()

    def _counts(self) -> None:
        gradable = self._gradable()
        excellent = self._excellent()
        cap = self.roster.cap(len(gradable))
        line = self.query_one("#cap", Static)
        line.update(content(t("ui_orglife.cap", excellent=excellent, cap=cap,
                              share=self._share())))
        line.set_class(excellent > cap, "error")
        graded = sum(1 for e in gradable if self._grade_of(e) is not None)
        self.query_one("#count", Static).update(content(t(
            "ui_orglife.progress_count", graded=graded, gradable=len(gradable),
            changed=len(self._changes()))))

    def _changes(self) -> dict[int, Grade]:
        saved = {e.member_id: e.grade for e in self.roster.entries}
        return {mid: g for mid, g in self.edits.items() if saved.get(mid) is not g}

    def _selected(self) -> Any:
        mid = selected_key(self.query_one("#grades", DataTable))
        return next((e for e in self.roster.entries if e.member_id == mid), None)

    # -- actions --------------------------------------------------------------------------

    def action_grade(self, value: str) -> None:
        if not self._may_grade():
            return
        grade = Grade(value)
        entry = self._selected()
        if entry is None:
            return
        if entry.probationary:
            self.notify(t("ui_orglife.probationary_refused", name=entry.name),
                        severity="warning", markup=False, timeout=8)
            return
        if grade is Grade.EXCELLENT:
            graded = len(self._gradable())
            cap = self.roster.cap(graded)
            excellent = self._excellent(besides=entry.member_id) + 1
            if excellent > cap:
                # The service's own refusal, said before the user saves.
                self.notify(ValidationError("appraisal.excellent_over_cap", excellent=excellent,
                                            cap=cap, graded=graded).message(),
                            severity="error", markup=False, timeout=8)
                return
        self.edits[entry.member_id] = grade
        self._leave_warned = False
        self._show()
        table = self.query_one("#grades", DataTable)
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))

    def action_undo(self) -> None:
        if not self._may_grade():
            return
        entry = self._selected()
        if entry is not None and entry.member_id in self.edits:
            del self.edits[entry.member_id]
            self._show()

    def action_save(self) -> None:
        if not self._may_grade():
            return
        changes = self._changes()
        if not changes:
            self.notify(t("ui_orglife.nothing_to_save"), markup=False)
            return
        if self.roster.sealed_round:
            # The year's record is sealed: a change is an addendum with a reason.
            self.app.push_screen(
                AddendumDialog(t("ui_orglife.addendum_title", year=self.year,
                                 count=len(changes))),
                partial(self._save, changes))
            return
        self._save(changes, "")

    def _save(self, changes: dict[int, Grade], reason: str | None) -> None:
        if reason is None:
            return
        actor, branch, year = self.actor, self.branch_id, self.year
        minutes = self.services.minutes
        run_write(self, "saved", lambda: minutes.set_grades(actor, branch, year, changes,
                                                            reason=reason))

    def action_back(self) -> None:
        pending = len(self._changes()) if self.roster is not None else 0
        if pending and not self._leave_warned:
            self._leave_warned = True
            self.notify(t("ui_orglife.unsaved_leave", count=pending), severity="warning",
                        markup=False, timeout=8)
            return
        self.app.pop_screen()


class AddendumDialog(Translated, ModalScreen[str | None]):
    """The reason for changing grades of a sealed year. Enter confirms (a reason is
    required), Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_attendance.cancel", id="appraisal.addendum.cancel"),
    ]
    DEFAULT_CSS = """
    AddendumDialog { align: center middle; }
    AddendumDialog #addendum-box { width: 70; max-width: 95%; height: auto;
        background: $panel; border: round $accent; padding: 0 1; }
    AddendumDialog .modal-buttons { height: auto; align-horizontal: right; }
    AddendumDialog .modal-buttons Button { margin-left: 1; min-width: 8; }
    """

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading = heading

    def compose(self) -> ComposeResult:
        with Vertical(id="addendum-box"):
            yield Label(content(self.heading), classes="section-title")
            yield Label(content(t("ui_orglife.addendum_label")))
            yield Input(id="reason")
            yield Static(id="reason-error", classes="error")
            with Horizontal(classes="modal-buttons"):
                yield Label(content(t("ui_attendance.modal_hint")))
                # The buttons run the dialog's own actions (docs/ui-conventions.md).
                yield Button(content(t("ui_attendance.confirm")), id="ok", variant="primary",
                             action="screen.confirm")
                yield Button(content(t("ui_attendance.cancel")), id="cancel",
                             action="screen.cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#reason-error", Static).update(
                content(t("ui_orglife.addendum_required")))
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
