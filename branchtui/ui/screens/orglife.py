"""组织生活会 (DOMAIN.md §6): the problem list, criticism and self-criticism, the 整改清单
made from the problems, and the 回头看 of earlier rounds; and the 整改 tracker, where
owners add progress with evidence and the 书记 verifies items one by one (对单销号)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from functools import partial
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    Static,
    TextArea,
)

from branchtui.core import dates
from branchtui.core import model as c
from branchtui.core.enums import MeetingStatus, RectStatus
from branchtui.core.errors import BranchError, Conflict, PermissionDenied, ValidationError
from branchtui.i18n import enum_label, t
from branchtui.ui.bindings import Translated
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content, when
from branchtui.ui.widgets.member_picker import MemberPicker

UNFINISHED = (RectStatus.OPEN, RectStatus.IN_PROGRESS)
STATUS_STYLE = {
    RectStatus.OPEN: "",
    RectStatus.IN_PROGRESS: "yellow",
    RectStatus.DONE: "cyan",
    RectStatus.VERIFIED: "green",
}
STATUS_CYCLE: tuple[RectStatus | None, ...] = (None, *RectStatus)

# DEFAULT_CSS is scoped to its class: every rule starts with the modal's type name.
FORM_CSS = """
{cls} { align: center middle; }
{cls} #form-box { width: 90%; max-width: 100; height: auto; max-height: 100%;
    background: $panel; border: round $accent; padding: 0 1; }
{cls} TextArea { height: 4; }
{cls} #form-buttons { height: auto; margin-top: 1; }
{cls} #form-buttons Button { margin-right: 2; }
{cls} #form-error { color: $error; height: auto; }
"""


def text_width(total: int, fixed: int, free: int, columns: int, least: int = 10) -> int:
    """Width of each of ``free`` text columns in a table of ``columns`` columns on a screen
    ``total`` cells wide, after the ``fixed`` widths, each column's padding of 2, and the
    margins and scroll bar (8)."""
    return max(least, (total - 8 - 2 * columns - fixed) // max(free, 1))


def is_overdue(item: c.Rectification, today: date) -> bool:
    return item.deadline is not None and item.deadline < today and item.status in UNFINISHED


def status_cell(item: c.Rectification, today: date):  # -> rich.text.Text
    label = enum_label(item.status)
    if is_overdue(item, today):
        return cell(label + t("ui_orglife.overdue"), "bold red")
    return cell(label, STATUS_STYLE[item.status])


def selected_key(table: DataTable) -> int | None:
    """The primary key of the row under the cursor (rows are keyed by id), if any."""
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return int(key) if key is not None and str(key).isdigit() else None


def keep_cursor(table: DataTable, key: int | None) -> None:
    if key is None:
        return
    # The row may be gone (filtered out): then the cursor stays at the top.
    with contextlib.suppress(Exception):
        table.move_cursor(row=table.get_row_index(str(key)))




def _post_result(screen: DataScreen, tag: str, call: Callable[[], Any]) -> None:
    try:
        screen.post_message(Loaded(tag, call()))
    except BranchError as exc:
        screen.post_message(Failed(tag, exc.message()))
    except Exception as exc:
        screen.post_message(Failed(tag, t("ui.unexpected", detail=type(exc).__name__)))


def run_write(screen: DataScreen, tag: str, call: Callable[[], Any]) -> None:
    """Run a service write in a thread, posting Loaded/Failed like ``fetch``; not in the
    exclusive "load" group, so that a refresh cannot cancel a save."""
    screen.run_worker(partial(_post_result, screen, tag, call), thread=True,
                      exit_on_error=False, group="write")


def parse_day(value: str) -> date | None:
    """A date as people write it: 2027-03-31, 2027-3-31, 2027/3/31, 2027年3月31日,
    20270331. Empty means none."""
    try:
        return dates.parse_day(value)
    except ValueError:
        raise ValidationError("ui_orglife.bad_date", value=value.strip()[:40]) from None


# -- forms: saved in a thread; a refusal keeps the text and says why ----------------------


class _Saved(Message):
    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class _Refused(Message):
    def __init__(self, error: BranchError | None, text: str) -> None:
        super().__init__()
        self.error = error
        self.text = text


class FormModal(Translated, ModalScreen[Any]):
    """A small form over the screen. ``save(values)`` runs in a thread worker (it calls the
    services); success dismisses with its result, a refusal stays open with the reason and
    the user's text intact."""

    DEFAULT_CSS = FORM_CSS.replace("{cls}", "FormModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "ui_orglife.key_save", id="form.save"),
        Binding("escape", "cancel", "ui_orglife.key_cancel", id="form.cancel"),
    ]

    def __init__(self, title: str, save: Callable[[Any], Any]) -> None:
        super().__init__()
        self.title_text = title
        self.save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box", can_focus=False):
            yield Label(content(self.title_text), classes="section-title")
            yield from self.fields()
            yield Static(id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button(content(t("ui_orglife.save")), id="form-save", variant="primary")
                yield Button(content(t("ui_orglife.cancel")), id="form-cancel")

    def fields(self) -> Iterator[Widget]:
        return iter(())

    def values(self) -> Any:
        """Read the widgets (on the event loop); raise BranchError for bad input."""
        return None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        try:
            values = self.values()
        except BranchError as exc:
            self.show_error(exc.message())
            return
        self.query_one("#form-save", Button).disabled = True
        self._run(values)

    @work(thread=True, exclusive=True, exit_on_error=False, group="form")
    def _run(self, values: Any) -> None:
        try:
            self.post_message(_Saved(self.save(values)))
        except BranchError as exc:
            self.post_message(_Refused(exc, exc.message()))
        except Exception as exc:
            self.post_message(_Refused(None, t("ui.unexpected", detail=type(exc).__name__)))

    @on(_Saved)
    def _saved(self, message: _Saved) -> None:
        self.dismiss(message.result)

    @on(_Refused)
    def _refused(self, message: _Refused) -> None:
        self.query_one("#form-save", Button).disabled = False
        if isinstance(message.error, Conflict):
            self.conflict(message.error)
        else:
            self.show_error(message.text)

    def conflict(self, error: Conflict) -> None:
        self.show_error(error.message())

    def show_error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(content(text))

    def text_of(self, selector: str) -> str:
        return self.query_one(selector, TextArea).text


class ProblemForm(FormModal):
    def __init__(self, roll: Sequence[tuple[int, str]], save: Callable[[Any], Any]) -> None:
        super().__init__(t("ui_orglife.form_problem"), save)
        self.roll = roll

    def fields(self) -> Iterator[Widget]:
        yield MemberPicker(t("ui_orglife.pick_whose"), self.roll,
                           none_label=t("ui_orglife.branch_wide"), id="whose")
        yield Label(t("field.problem"))
        yield TextArea(id="text")

    def values(self) -> tuple[int | None, str]:
        return self.query_one("#whose", MemberPicker).require(), self.text_of("#text")


class CriticismForm(FormModal):
    """批评 (from → to), or 自我批评 (one member, from == to)."""

    def __init__(self, roll: Sequence[tuple[int, str]], save: Callable[[Any], Any],
                 self_only: bool = False) -> None:
        super().__init__(t("ui_orglife.form_self" if self_only else "ui_orglife.form_criticism"),
                         save)
        self.roll = roll
        self.self_only = self_only

    def fields(self) -> Iterator[Widget]:
        if self.self_only:
            yield MemberPicker(t("ui_orglife.pick_self"), self.roll, id="from")
        else:
            yield MemberPicker(t("ui_orglife.pick_from"), self.roll, id="from")
            yield MemberPicker(t("ui_orglife.pick_to"), self.roll, id="to")
        yield Label(t("field.criticism"))
        yield TextArea(id="text")

    def values(self) -> tuple[int, int, str]:
        src = self.query_one("#from", MemberPicker).require()
        dst = src if self.self_only else self.query_one("#to", MemberPicker).require()
        assert src is not None and dst is not None  # no none_label: always a member
        return src, dst, self.text_of("#text")


class RectForm(FormModal):
    """整改清单 entry: problem, measure, 责任人, 时限."""

    def __init__(self, roll: Sequence[tuple[int, str]], save: Callable[[Any], Any], *,
                 problem: str = "", owner_id: int | None = None) -> None:
        super().__init__(t("ui_orglife.form_rect"), save)
        self.roll = roll
        self.problem = problem
        self.owner_id = owner_id

    def fields(self) -> Iterator[Widget]:
        yield Label(t("field.problem"))
        yield TextArea(self.problem, id="problem")
        yield Label(t("field.measure"))
        yield TextArea(id="measure")
        yield MemberPicker(t("ui_orglife.pick_owner"), self.roll,
                           none_label=t("ui_orglife.collective"), initial=self.owner_id,
                           id="owner")
        yield Label(t("ui_orglife.label_deadline"))
        yield Input(id="deadline", placeholder="2027-03-31")

    def on_mount(self) -> None:
        self.query_one("#measure", TextArea).focus()

    def values(self) -> dict[str, Any]:
        return {
            "problem": self.text_of("#problem"),
            "measure": self.text_of("#measure"),
            "owner_id": self.query_one("#owner", MemberPicker).require(),
            "deadline": parse_day(self.query_one("#deadline", Input).value),
        }


class NoteForm(FormModal):
    """One text: what 回头看 found for an earlier item."""

    def __init__(self, title: str, save: Callable[[Any], Any], label: str,
                 text: str = "") -> None:
        super().__init__(title, save)
        self.label = label
        self.text = text

    def fields(self) -> Iterator[Widget]:
        yield Label(content(self.label))
        yield TextArea(self.text, id="text")

    def values(self) -> str:
        return self.text_of("#text")


class ProgressForm(FormModal):
    """A progress note with evidence; the owner may declare the item done. A stale version
    keeps the note and offers to save it on the newest version or to discard it."""

    def __init__(self, item: c.Rectification, save: Callable[[Any], Any]) -> None:
        super().__init__(t("ui_orglife.form_progress", problem=item.problem), save)
        self.item = item
        self.expected_version = item.version

    def fields(self) -> Iterator[Widget]:
        yield Label(t("field.progress"))
        yield TextArea(id="text")
        yield Label(t("ui_orglife.label_evidence"))
        yield Input(id="evidence")
        yield Checkbox(content(t("ui_orglife.label_done")), self.item.status is RectStatus.DONE,
                       id="done")

    def values(self) -> dict[str, Any]:
        return {
            "text": self.text_of("#text"),
            "evidence": self.query_one("#evidence", Input).value,
            "done": self.query_one("#done", Checkbox).value,
            "expected_version": self.expected_version,
        }

    def conflict(self, error: Conflict) -> None:
        current = error.params.get("current")
        if not isinstance(current, c.Rectification):
            self.show_error(error.message())
            return
        self.item = current
        self.expected_version = current.version
        self.show_error(t("ui_orglife.progress_conflict", status=enum_label(current.status)))
        self.query_one("#form-save", Button).label = content(t("ui_orglife.save_newest"))
        self.query_one("#form-cancel", Button).label = content(t("ui_orglife.discard"))


class OwnerFilterForm(FormModal):
    def __init__(self, owners: Sequence[tuple[int, str]], current: int | None) -> None:
        super().__init__(t("ui_orglife.form_owner"), lambda v: v)
        self.owners = owners
        self.current = current

    def fields(self) -> Iterator[Widget]:
        yield MemberPicker(t("ui_orglife.pick_filter"), self.owners,
                           none_label=t("ui_orglife.all_owners"), initial=self.current,
                           id="owner")

    def values(self) -> tuple[int | None]:
        # A tuple, so that "all owners" (None) is not mistaken for a cancelled form.
        return (self.query_one("#owner", MemberPicker).require(),)


class ConfirmModal(Translated, ModalScreen[bool]):
    DEFAULT_CSS = FORM_CSS.replace("{cls}", "ConfirmModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_orglife.key_cancel", id="confirm.cancel"),
    ]

    def __init__(self, title: str, text: str, yes: str) -> None:
        super().__init__()
        self.title_text, self.text, self.yes = title, text, yes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form-box", can_focus=False):
            yield Label(content(self.title_text), classes="section-title")
            yield Static(content(self.text), id="confirm-text")
            with Horizontal(id="form-buttons"):
                yield Button(content(self.yes), id="confirm-yes", variant="warning")
                yield Button(content(t("ui_orglife.cancel")), id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)


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


# -- the 整改 tracker ----------------------------------------------------------------------


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
        _post_result(self, tag, call)

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
