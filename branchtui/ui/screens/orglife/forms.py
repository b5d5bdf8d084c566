"""The 组织生活会 and 整改 forms: a problem, criticism, a 整改 item, a 回头看 note, progress
with evidence, the owner filter, and the yes-or-no of 对单销号. Each saves in a thread; a
refusal keeps the text and says why."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static, TextArea

from branchtui.core import dates
from branchtui.core import model as c
from branchtui.core.enums import RectStatus
from branchtui.core.errors import BranchError, Conflict, ValidationError
from branchtui.i18n import enum_label, t
from branchtui.ui.bindings import Translated
from branchtui.ui.text import content
from branchtui.ui.widgets.member_picker import MemberPicker

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


def parse_day(value: str) -> date | None:
    """A date as people write it: 2027-03-31, 2027-3-31, 2027/3/31, 2027年3月31日,
    20270331. Empty means none."""
    try:
        return dates.parse_day(value)
    except ValueError:
        raise ValidationError("ui_orglife.bad_date", value=value.strip()[:40]) from None


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
