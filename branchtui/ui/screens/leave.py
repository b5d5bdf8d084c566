"""Leave (请假, DOMAIN.md §3): a member asks before the meeting (``LeaveRequestScreen``),
the 书记 or the member's 党小组组长 decides (``LeaveInboxScreen``). The services enforce
"before the meeting" and who may decide; these screens only show and ask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)

from branchtui.core import model as c
from branchtui.core.enums import LeaveKind, LeaveStatus
from branchtui.core.errors import BranchError, Conflict
from branchtui.i18n import enum_label, t
from branchtui.ui.bindings import Translated
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content, when

# The order members know from the paper form: 病假、事假、公出、其他.
KINDS = (LeaveKind.SICK, LeaveKind.PERSONAL, LeaveKind.OFFICIAL, LeaveKind.OTHER)

# The dialogs share one look: centred, bordered, bold titles, a red box for refusals.
# "DIALOG" is replaced by each screen's class name (screen CSS is scoped to its class).
DIALOG_CSS = """
DIALOG { align: center middle; }
DIALOG .dialog { width: 92%; max-width: 100; height: auto; max-height: 100%;
    background: $panel; border: thick $accent; padding: 0 2; }
DIALOG .dialog-title { text-style: bold; color: $accent; margin: 1 0 0 0; }
DIALOG .dialog-meeting { margin: 0 0 0 0; height: auto; }
DIALOG .field-label { text-style: bold; margin: 1 0 0 0; }
DIALOG .big-error { color: $text; background: $error 40%; text-style: bold;
    padding: 0 1; margin: 1 0 0 0; height: auto; }
DIALOG .dialog-buttons { height: auto; margin: 1 0 1 0; }
DIALOG .dialog-buttons Button { margin: 0 2 0 0; }
DIALOG RadioSet { layout: horizontal; width: 100%; height: auto; }
DIALOG RadioButton { width: auto; margin: 0 1 0 0; }
DIALOG TextArea { height: 5; }
"""


class Done(Message):
    """A write went through; ``data`` is what the service returned."""

    def __init__(self, tag: str, data: Any) -> None:
        super().__init__()
        self.tag = tag
        self.data = data


class Refused(Message):
    """A write was refused; ``text`` is the reason in the user's language and ``error``
    the exception (a Conflict carries the newer object in ``params['current']``)."""

    def __init__(self, tag: str, text: str, error: BaseException | None = None) -> None:
        super().__init__()
        self.tag = tag
        self.text = text
        self.error = error


class Writes:
    """Mixin for screens that write: one service call in a thread worker that posts Done
    or Refused. Not exclusive, so a refresh started meanwhile never cancels a write."""

    @work(thread=True, exit_on_error=False, group="write")
    def submit(self, tag: str, call: Callable[[], Any]) -> None:
        post = self.post_message  # type: ignore[attr-defined]
        try:
            post(Done(tag, call()))
        except BranchError as exc:
            post(Refused(tag, exc.message(), exc))
        except Exception as exc:
            post(Refused(tag, t("ui.unexpected", detail=type(exc).__name__), exc))


# -- asking for leave -------------------------------------------------------------------------


class LeaveRequestScreen(Writes, DataScreen, ModalScreen[c.LeaveRequest | None]):
    """A member asks for leave from one meeting: kind and reason. Dismisses with the new
    request, or None when cancelled. A refusal (too late, already asked) is shown in the
    dialog and the typed reason is kept."""

    DEFAULT_CSS = DIALOG_CSS.replace("DIALOG", "LeaveRequestScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "ui_mine.key_send", id="leave.send"),
        Binding("escape", "cancel", "ui_mine.key_cancel", id="leave.cancel"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.sending = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="leave-box", classes="dialog"):
            yield Label(t("ui_mine.leave_title"), classes="dialog-title")
            yield Static(t("ui_mine.loading"), id="leave-meeting", classes="dialog-meeting")
            yield Label(t("ui_mine.leave_kind"), classes="field-label")
            with RadioSet(id="leave-kind"):
                for kind in KINDS:
                    yield RadioButton(enum_label(kind), value=kind is LeaveKind.PERSONAL,
                                      id=f"kind-{kind.value}")
            yield Label(t("ui_mine.leave_reason"), classes="field-label")
            yield TextArea(id="leave-reason", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="leave-error", classes="big-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui_mine.btn_send"), id="send", action="screen.send",
                             variant="primary")
                yield Button(t("ui_mine.btn_cancel"), id="cancel", action="screen.cancel")

    def on_mount(self) -> None:
        self.query_one("#leave-error", Static).display = False
        self.query_one("#leave-reason", TextArea).focus()
        actor, mid = self.actor, self.meeting_id
        self.fetch("meeting", lambda: self.services.meetings.get(actor, mid))

    def on_loaded(self, message: Loaded) -> None:
        mtg: c.Meeting = message.data
        self.query_one("#leave-meeting", Static).update(content(t(
            "ui_mine.leave_meeting", title=mtg.title, start=when(mtg.planned_start),
            place=mtg.place or "-")))

    def on_failed(self, message: Failed) -> None:
        # Said in the dialog, not also as DataScreen's notice (Textual would call its
        # handler next: prevent_default stops the walk up the MRO).
        message.prevent_default()
        self._error(message.text)

    def _error(self, text: str) -> None:
        box = self.query_one("#leave-error", Static)
        box.update(content(text))
        box.display = True

    def kind(self) -> LeaveKind:
        pressed = self.query_one("#leave-kind", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return LeaveKind.OTHER
        return LeaveKind(pressed.id.removeprefix("kind-"))

    def action_send(self) -> None:
        if self.sending:
            return
        reason = self.query_one("#leave-reason", TextArea).text
        if not reason.strip():
            self._error(t("ui_mine.leave_reason_needed"))
            self.query_one("#leave-reason", TextArea).focus()
            return
        self.sending = True
        actor, mid, kind = self.actor, self.meeting_id, self.kind()
        self.submit("request", lambda: self.services.meetings.request_leave(
            actor, mid, kind, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_done(self, message: Done) -> None:
        self.sending = False
        self.dismiss(message.data)

    def on_refused(self, message: Refused) -> None:
        self.sending = False
        self._error(message.text)


# -- deciding -----------------------------------------------------------------------------


class DecideScreen(Translated, ModalScreen[str | None]):
    """Confirm approving or refusing one request, with an optional note. Dismisses with
    the note ("" for none), or None when the user changes their mind."""

    DEFAULT_CSS = DIALOG_CSS.replace("DIALOG", "DecideScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_mine.key_cancel", id="decide.cancel"),
        Binding("ctrl+s", "confirm", "ui_mine.key_confirm", id="decide.confirm"),
    ]

    def __init__(self, request: c.LeaveRequest, approve: bool, note: str = "") -> None:
        super().__init__()
        self.request = request
        self.approve = approve
        self.note = note

    def compose(self) -> ComposeResult:
        r = self.request
        with Vertical(id="decide-box", classes="dialog"):
            yield Label(t("ui_mine.decide_approve_title" if self.approve
                          else "ui_mine.decide_refuse_title"), classes="dialog-title")
            yield Static(content(t(
                "ui_mine.decide_what", name=r.member_name, title=r.meeting_title,
                start=when(r.meeting_start), kind=enum_label(r.kind), reason=r.reason)),
                classes="dialog-meeting")
            yield Label(t("ui_mine.decide_note"), classes="field-label")
            yield Input(self.note, id="decide-note",
                        placeholder=t("ui_mine.decide_note_hint"))
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui_mine.btn_approve" if self.approve else "ui_mine.btn_refuse"),
                             id="confirm", action="screen.confirm",
                             variant="success" if self.approve else "error")
                yield Button(t("ui_mine.btn_cancel"), id="cancel", action="screen.cancel")

    def on_mount(self) -> None:
        self.query_one("#decide-note", Input).focus()

    def action_confirm(self) -> None:
        self.dismiss(self.query_one("#decide-note", Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#decide-note")
    def _submitted(self) -> None:
        self.action_confirm()



class DecidedFirstScreen(Translated, ModalScreen[bool]):
    """Someone decided (or the member withdrew) first. Shows the request as it is now and
    the user's own note, kept; dismisses True to send again (only while still pending)."""

    DEFAULT_CSS = DIALOG_CSS.replace("DIALOG", "DecidedFirstScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "ui_mine.key_ok", id="conflict.close"),
    ]

    def __init__(self, current: c.LeaveRequest | None, note: str) -> None:
        super().__init__()
        self.current = current
        self.note = note

    def compose(self) -> ComposeResult:
        cur = self.current
        with Vertical(id="conflict-box", classes="dialog"):
            yield Label(t("ui_mine.conflict_title"), classes="dialog-title")
            if cur is None:
                text = t("ui_mine.conflict_unknown")
            else:
                text = t("ui_mine.conflict_now", status=enum_label(cur.status),
                         at=when(cur.decided_at) or "-", note=cur.decision_note or "-")
            yield Static(content(text), id="conflict-now", classes="big-error")
            if self.note:
                yield Static(content(t("ui_mine.conflict_yours", note=self.note)),
                             id="conflict-yours", classes="dialog-meeting")
            with Horizontal(classes="dialog-buttons"):
                if cur is not None and cur.status is LeaveStatus.PENDING:
                    yield Button(t("ui_mine.btn_again"), id="again", variant="primary")
                yield Button(t("ui_mine.btn_ok"), id="ok")

    def action_close(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#again")
    def _again(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(False)


class LeaveInboxScreen(Writes, DataScreen):
    """Leave requests waiting for this secretary or group leader. Members without the
    right see a sentence saying so, and no actions."""

    DEFAULT_CSS = """
    LeaveInboxScreen .mine-body { padding: 0 1; }
    LeaveInboxScreen .mine-banner { padding: 0 1; background: $primary-background;
                                    text-style: bold; height: auto; margin: 0 0 1 0; }
    LeaveInboxScreen DataTable { margin: 0; }
    LeaveInboxScreen #inbox-detail { padding: 0 1; margin: 1 0 0 0; border: round $accent;
                                     height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="inbox.back"),
        Binding("y", "approve", "ui_mine.key_approve", id="inbox.approve"),
        Binding("n", "refuse", "ui_mine.key_refuse", id="inbox.refuse"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="inbox.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.allowed: bool | None = None
        self.requests: dict[int, c.LeaveRequest] = {}
        self.busy = False
        # The decision being sent: (request, approve, note), kept for a conflict.
        self._last: tuple[c.LeaveRequest, bool, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="mine-body"):
            yield Static(t("ui_mine.loading"), id="inbox-head", classes="mine-banner")
            yield DataTable(id="requests", cursor_type="row", zebra_stripes=True)
            yield Static("", id="inbox-detail", classes="summary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def on_screen_resume(self) -> None:
        if self.allowed is not None:
            self.action_refresh()

    def action_refresh(self) -> None:
        actor = self.actor
        meetings = self.services.meetings

        def load() -> tuple[bool, list[c.LeaveRequest]]:
            allowed = meetings.may_decide_leave(actor)
            return allowed, (meetings.pending_leave(actor) if allowed else [])

        self.fetch("inbox", load)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = [
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]
        if self.allowed:
            out += [
                (t("ui_mine.cmd_approve"), t("ui_mine.cmd_approve_help"), self.action_approve),
                (t("ui_mine.cmd_refuse"), t("ui_mine.cmd_refuse_help"), self.action_refuse),
            ]
        return out

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "refuse"):
            if not self.allowed:
                return False
            return True if self.selected() is not None else None
        return True

    def on_loaded(self, message: Loaded) -> None:
        allowed, requests = message.data
        self.allowed = allowed
        table = self.query_one("#requests", DataTable)
        keep = self.selected()
        self.requests = {r.id: r for r in requests}
        table.clear(columns=True)
        head = self.query_one("#inbox-head", Static)
        if not allowed:
            head.update(content(t("ui_mine.inbox_no_right")))
            table.display = False
            self.query_one("#inbox-detail", Static).display = False
            self.refresh_bindings()
            return
        head.update(content(t("ui_mine.inbox_head", n=len(requests))))
        table.add_columns(t("ui.col_member"), t("ui.col_meeting"), t("ui.col_kind"),
                          t("ui_mine.col_reason"), t("ui_mine.col_asked"))
        for r in requests:
            table.add_row(cell(r.member_name),
                          cell(f"{when(r.meeting_start)} {r.meeting_title}"),
                          cell(enum_label(r.kind)), cell(r.reason),
                          cell(when(r.requested_at)), key=str(r.id))
        if not requests:
            table.add_row(cell(t("ui_mine.inbox_empty")), cell(""), cell(""), cell(""),
                          cell(""))
        elif keep is not None and keep.id in self.requests:
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        self._detail()
        self.refresh_bindings()

    def selected(self) -> c.LeaveRequest | None:
        table = self.query_one("#requests", DataTable)
        if table.row_count == 0 or not self.requests:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.requests.get(int(key)) if key is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()
        self.refresh_bindings()

    def _detail(self) -> None:
        r = self.selected()
        box = self.query_one("#inbox-detail", Static)
        if r is None:
            box.update("")
            return
        box.update(content(t(
            "ui_mine.inbox_detail", name=r.member_name, title=r.meeting_title,
            start=when(r.meeting_start), kind=enum_label(r.kind), reason=r.reason,
            asked=when(r.requested_at))))

    def action_approve(self) -> None:
        self._decide(True)

    def action_refuse(self) -> None:
        self._decide(False)

    def _decide(self, approve: bool, note: str = "", request: c.LeaveRequest | None = None
                ) -> None:
        if not self.allowed:
            self.notify(t("perm.leave"), severity="error", markup=False)
            return
        r = request or self.selected()
        if r is None or self.busy:
            return

        def chosen(result: str | None) -> None:
            if result is None:
                return
            self.busy = True
            actor, rid, version = self.actor, r.id, r.version
            self._last = (r, approve, result)
            self.submit("decide", lambda: self.services.meetings.decide_leave(
                actor, rid, approve, version, note=result))

        self.app.push_screen(DecideScreen(r, approve, note), chosen)

    def on_done(self, message: Done) -> None:
        self.busy = False
        req: c.LeaveRequest = message.data
        key = ("ui_mine.decided_approved" if req.status is LeaveStatus.APPROVED
               else "ui_mine.decided_refused")
        self.notify(t(key, name=req.member_name), markup=False, timeout=6)
        self.action_refresh()

    def on_refused(self, message: Refused) -> None:
        self.busy = False
        err = message.error
        if isinstance(err, Conflict) and self._last is not None:
            _old, approve, note = self._last
            current = err.params.get("current")
            current = current if isinstance(current, c.LeaveRequest) else None

            def after(again: bool | None) -> None:
                if again and current is not None:
                    self._decide(approve, note, current)
                else:
                    self.action_refresh()

            self.app.push_screen(DecidedFirstScreen(current, note), after)
            return
        self.notify(message.text, severity="error", markup=False, timeout=8)
        self.action_refresh()
