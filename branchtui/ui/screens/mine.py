"""我的记录: a member's own page. Months since last attended (and the warning line), the
coming meetings with my leave and sign-in, my attendance over the years, and my
rectification items. Large, plain and forgiving: many members are over 60, so every
result is said in a sentence and the footer shows only what can be done now."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Digits,
    Header,
    Input,
    Label,
    Static,
    TextArea,
)
from textual.widgets.data_table import RowDoesNotExist

from branchtui.core import model as c
from branchtui.core.enums import AttendanceStatus, LeaveStatus, MarkMethod, RectStatus
from branchtui.core.errors import Conflict
from branchtui.core.frozen import frozen
from branchtui.core.lapse import LapseStatus
from branchtui.i18n import enum_label, t
from branchtui.services.meetings import MyMeeting
from branchtui.services.minutes import ProgressNote
from branchtui.services.queries import HistoryEntry, YearSummary
from branchtui.ui.bindings import Translated
from branchtui.ui.footer import KeyFooter
from branchtui.ui.live import Changed
from branchtui.ui.screens.base import DataScreen, Loaded
from branchtui.ui.screens.leave import (
    DIALOG_CSS,
    Done,
    LeaveInboxScreen,
    LeaveRequestScreen,
    Refused,
    Writes,
)
from branchtui.ui.text import cell, content, when

STATUS_STYLE = {
    AttendanceStatus.PRESENT: "green",
    AttendanceStatus.LATE: "yellow",
    AttendanceStatus.LEAVE: "cyan",
    AttendanceStatus.ABSENT: "bold red",
    AttendanceStatus.EXEMPT: "dim",
}
LEAVE_STYLE = {
    LeaveStatus.PENDING: "yellow",
    LeaveStatus.APPROVED: "green",
    LeaveStatus.REFUSED: "bold red",
    LeaveStatus.WITHDRAWN: "dim",
}


# Gathering time of live changes before one reload of the page.
LIVE_SETTLE_SECONDS = 0.5


@frozen
class MineData:
    """What the page shows, gathered in one worker from several service calls."""

    today: date
    meetings: tuple[MyMeeting, ...]
    history: tuple[HistoryEntry, ...]
    years: tuple[YearSummary, ...]
    lapse: LapseStatus
    rects: tuple[c.Rectification, ...]
    decides_leave: bool
    waiting: int  # leave requests waiting for my decision


class MineScreen(Writes, DataScreen):
    """我的记录 for whoever is logged in."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="mine.back"),
        Binding("s", "sign_in", "ui_mine.key_sign_in", id="mine.sign_in"),
        Binding("l", "ask_leave", "ui_mine.key_leave", id="mine.leave"),
        Binding("w", "withdraw", "ui_mine.key_withdraw", id="mine.withdraw"),
        Binding("n", "progress", "ui_mine.key_progress", id="mine.progress"),
        Binding("a", "inbox", "ui_mine.key_inbox", id="mine.inbox"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="mine.refresh"),
        Binding("enter", "open_meeting", "ui.key_open_meeting", id="mine.open", show=False),
    ]
    DEFAULT_CSS = """
    MineScreen .mine-body { padding: 0 1; }
    MineScreen .mine-banner { padding: 0 1; background: $primary-background;
                              text-style: bold; height: auto; }
    MineScreen .mine-warn { padding: 0 1; color: $text; background: $error 40%;
                            text-style: bold; height: auto; }
    MineScreen .mine-open { padding: 0 1; border: heavy $success; text-style: bold;
                            height: auto; }
    MineScreen .mine-hint { padding: 0 1; color: $text-muted; height: auto; }
    MineScreen .section-title { margin: 1 0 0 0; }
    MineScreen DataTable { margin: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data: MineData | None = None
        self.busy = False
        self._pending: Any = None  # the settle timer while a live reload waits

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="mine-body"):
            yield Static(t("ui_mine.loading"), id="banner", classes="mine-banner")
            yield Static("", id="warn", classes="mine-warn")
            yield Static("", id="open-now", classes="mine-open")
            yield Label(t("ui_mine.sec_meetings"), classes="section-title")
            yield DataTable(id="meetings", cursor_type="row", zebra_stripes=True)
            yield Static("", id="hint", classes="mine-hint")
            yield Label(t("ui_mine.sec_rects"), classes="section-title")
            yield DataTable(id="rects", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_mine.sec_years"), classes="section-title")
            yield DataTable(id="years", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_mine.sec_history"), classes="section-title")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        for box in ("#warn", "#open-now"):
            self.query_one(box, Static).display = False
        self.query_one("#meetings", DataTable).focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        if self.data is not None:
            self.action_refresh()

    def on_changed(self, message: Changed) -> None:
        """One of my meetings changed in another session (opened, self sign-in allowed, my
        attendance marked): reload, so that the page never tells a member to report to
        the recorder when they may sign in. Changes are gathered for
        ``LIVE_SETTLE_SECONDS`` (a recorder marks many rows a minute), and only while the
        page is on top: coming back to it reloads anyway."""
        if self.data is None or not self.is_active or self._pending is not None:
            return
        if message.everything or any(x.meeting.id in message.meeting_ids
                                     for x in self.data.meetings):
            self._pending = self.set_timer(LIVE_SETTLE_SECONDS, self._live_reload)

    def _live_reload(self) -> None:
        self._pending = None
        if self.is_active:
            self.action_refresh()

    # -- loading ------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        actor, svc = self.actor, self.services

        def load() -> MineData:
            me = actor.member_id
            decides = svc.meetings.may_decide_leave(actor)
            return MineData(
                today=svc.queries.member_today(me),
                meetings=tuple(svc.meetings.my_meetings(actor)),
                history=tuple(svc.queries.member_history(actor, me)),
                years=tuple(svc.queries.member_years(actor, me)),
                lapse=svc.queries.member_lapse(actor, me),
                rects=tuple(svc.minutes.rectifications(actor)),
                decides_leave=decides,
                waiting=len(svc.meetings.pending_leave(actor)) if decides else 0,
            )

        self.fetch("mine", load)

    def on_loaded(self, message: Loaded) -> None:
        d: MineData = message.data
        self.data = d
        self._banner(d)
        self._meetings(d)
        self._rects(d)
        self._years(d)
        self._history(d)
        self._hint()
        self.refresh_bindings()

    def _banner(self, d: MineData) -> None:
        lapse = d.lapse
        if lapse.last_attended is not None:
            since = t("ui_mine.since", months=lapse.months_since,
                      last=lapse.last_attended.isoformat())
        else:
            since = t("ui_mine.since_never")
        lines = [t("ui_mine.hello", name=self.actor.name, today=d.today.isoformat()), since]
        if d.decides_leave and d.waiting:
            lines.append(t("ui_mine.waiting", n=d.waiting))
        self.query_one("#banner", Static).update(content("\n".join(lines)))
        warn = []
        if lapse.lapsed:
            warn.append(t("ui_mine.warn_lapsed", months=lapse.lapse_months))
        elif lapse.near_lapse:
            warn.append(t("ui_mine.warn_near", months=lapse.lapse_months))
        if lapse.over_absence_threshold:
            warn.append(t("ui_mine.warn_absences", n=lapse.unexcused_absences))
        box = self.query_one("#warn", Static)
        box.update(content("\n".join(warn)))
        box.display = bool(warn)
        open_now = [x for x in d.meetings if x.signs_in]
        box = self.query_one("#open-now", Static)
        box.display = bool(open_now)
        if open_now:
            x = open_now[0]
            key = "ui_mine.open_now" if x.self_signin else "ui_mine.open_now_no_self"
            box.update(content(t(key, title=x.meeting.title,
                                 start=x.meeting.planned_start.strftime("%H:%M"))))

    @staticmethod
    def _reset(table: DataTable, *columns: str) -> Any:
        keep = None
        if table.row_count:
            keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear(columns=True)
        table.add_columns(*columns)
        return keep

    @staticmethod
    def _restore(table: DataTable, keep: Any) -> None:
        if keep is None:
            return
        with contextlib.suppress(RowDoesNotExist):  # gone: the cursor stays at the top
            table.move_cursor(row=table.get_row_index(keep))

    def _meetings(self, d: MineData) -> None:
        # What concerns me comes first, so it stays on screen at 80 columns.
        table = self.query_one("#meetings", DataTable)
        keep = self._reset(table, t("ui.col_when"), t("ui_mine.col_mine"),
                           t("ui_mine.col_leave"), t("ui.col_title"), t("ui.col_status"))
        for x in d.meetings:
            if x.status is not None and x.status.is_present:
                at = x.marked_at.strftime("%H:%M") if x.marked_at else ""
                mine = cell(t("ui_mine.signed", at=at) if x.method is MarkMethod.SELF
                            else enum_label(x.status), "green")
            elif x.signs_in:
                mine = (cell(t("ui_mine.can_sign_in"), "bold green") if x.self_signin
                        else cell(t("ui_mine.no_self_sign_in"), "yellow"))
            elif x.status is not None:
                mine = cell(enum_label(x.status), STATUS_STYLE[x.status])
            else:
                mine = cell(t("ui_mine.unmarked"))
            if x.leave is not None:
                leave = cell(f"{enum_label(x.leave.kind)}·{enum_label(x.leave.status)}",
                             LEAVE_STYLE[x.leave.status])
            else:
                leave = cell(t("ui_mine.can_leave") if x.may_ask_leave else "")
            table.add_row(cell(when(x.meeting.planned_start)), mine, leave,
                          cell(x.meeting.title), cell(enum_label(x.meeting.status)),
                          key=str(x.meeting.id))
        if not d.meetings:
            table.add_row(cell(t("ui_mine.no_meetings")), *[cell("") for _ in range(4)])
        self._restore(table, keep)

    def _rects(self, d: MineData) -> None:
        table = self.query_one("#rects", DataTable)
        keep = self._reset(table, t("ui.col_deadline"), t("ui.col_status"),
                           t("field.problem"), t("field.measure"))
        for r in d.rects:
            late = (r.deadline is not None and r.deadline < d.today
                    and r.status in (RectStatus.OPEN, RectStatus.IN_PROGRESS))
            table.add_row(cell(when(r.deadline) or "-", "bold red" if late else ""),
                          cell(enum_label(r.status),
                               "green" if r.status is RectStatus.VERIFIED else ""),
                          cell(r.problem), cell(r.measure), key=str(r.id))
        if not d.rects:
            table.add_row(cell(""), cell(""), cell(t("ui_mine.no_rects")), cell(""))
        self._restore(table, keep)

    def _years(self, d: MineData) -> None:
        table = self.query_one("#years", DataTable)
        keep = self._reset(table, t("ui_mine.col_year"), t("ui_mine.col_expected"),
                           enum_label(AttendanceStatus.PRESENT), t("ui_mine.col_late"),
                           enum_label(AttendanceStatus.LEAVE),
                           enum_label(AttendanceStatus.ABSENT),
                           enum_label(AttendanceStatus.EXEMPT), t("ui_mine.col_rate"))
        for y in d.years:
            rate = f"{y.rate:.0%}" if y.rate is not None else "-"
            table.add_row(cell(y.year), cell(y.expected), cell(y.present), cell(y.late),
                          cell(y.leave), cell(y.absent, "bold red" if y.absent else ""),
                          cell(y.exempt), cell(rate), key=str(y.year))
        if not d.years:
            table.add_row(cell(t("ui_mine.no_history")), *[cell("") for _ in range(7)])
        self._restore(table, keep)

    def _history(self, d: MineData) -> None:
        table = self.query_one("#history", DataTable)
        keep = self._reset(table, t("ui_mine.col_day"), t("ui_mine.col_mine"),
                           t("ui_mine.col_meeting"), t("ui_mine.col_reason"))
        held = [h for h in d.history if h.day <= d.today]
        for h in held:
            status = (cell(enum_label(h.status), STATUS_STYLE[h.status]) if h.status
                      else cell(t("ui_mine.unmarked"), "dim"))
            table.add_row(cell(h.day.isoformat()), status, cell(h.title), cell(h.reason),
                          key=str(h.meeting_id))
        if not held:
            table.add_row(cell(t("ui_mine.no_history")), cell(""), cell(""), cell(""))
        self._restore(table, keep)

    # -- what is selected ---------------------------------------------------------------------

    def selected_meeting(self) -> MyMeeting | None:
        if self.data is None:
            return None
        table = self.query_one("#meetings", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((x for x in self.data.meetings if str(x.meeting.id) == key), None)

    def selected_rect(self) -> c.Rectification | None:
        if self.data is None:
            return None
        table = self.query_one("#rects", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.data.rects if str(r.id) == key), None)

    def sign_in_target(self) -> MyMeeting | None:
        """The selected meeting if it is open; otherwise the first open one. A member
        who presses S should not first have to find the right row."""
        chosen = self.selected_meeting()
        if chosen is not None and chosen.signs_in:
            return chosen
        if self.data is None:
            return None
        return next((x for x in self.data.meetings if x.signs_in), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "meetings":
            self._hint()
        self.refresh_bindings()

    def _hint(self) -> None:
        x = self.selected_meeting()
        box = self.query_one("#hint", Static)
        if x is None:
            box.update("")
            return
        parts = []
        if x.leave is not None and x.leave.status in (LeaveStatus.APPROVED, LeaveStatus.REFUSED):
            parts.append(t("ui_mine.hint_decided", status=enum_label(x.leave.status),
                           note=x.leave.decision_note or "-"))
        if x.signs_in:
            parts.append(t("ui_mine.hint_sign_in" if x.self_signin
                           else "ui_mine.hint_no_self_sign_in"))
        if x.may_ask_leave:
            parts.append(t("ui_mine.hint_leave"))
        if x.may_withdraw:
            parts.append(t("ui_mine.hint_withdraw"))
        parts.append(t("ui_mine.hint_open"))
        box.update(content("  ".join(parts)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Show only what can be done now; forced from the palette, each action explains.
        if action == "sign_in":
            return self.sign_in_target() is not None
        if action == "ask_leave":
            x = self.selected_meeting()
            return x is not None and x.may_ask_leave
        if action == "withdraw":
            x = self.selected_meeting()
            return x is not None and x.may_withdraw
        if action == "progress":
            r = self.selected_rect()
            return r is not None and r.status is not RectStatus.VERIFIED
        if action == "inbox":
            return self.data is not None and self.data.decides_leave
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = [
            (t("ui_mine.cmd_sign_in"), t("ui_mine.cmd_sign_in_help"), self.action_sign_in),
            (t("ui_mine.cmd_leave"), t("ui_mine.cmd_leave_help"), self.action_ask_leave),
            (t("ui_mine.cmd_withdraw"), t("ui_mine.cmd_withdraw_help"), self.action_withdraw),
            (t("ui_mine.cmd_progress"), t("ui_mine.cmd_progress_help"), self.action_progress),
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
            (t("ui.cmd_open_meeting"), t("ui.cmd_open_meeting_help"), self.action_open_meeting),
        ]
        if self.data is not None and self.data.decides_leave:
            out.append((t("ui_mine.cmd_inbox"), t("ui_mine.cmd_inbox_help"), self.action_inbox))
        return out

    # -- actions ------------------------------------------------------------------------------

    def action_sign_in(self) -> None:
        x = self.sign_in_target()
        if x is None:
            self.notify(t("ui_mine.no_open_meeting"), markup=False, timeout=8)
            return
        if self.busy:
            return
        self.busy = True
        actor, mtg = self.actor, x.meeting
        self._signing = mtg
        self.submit("sign_in", lambda: self.services.meetings.sign_in(actor, mtg.id))

    def action_ask_leave(self) -> None:
        x = self.selected_meeting()
        if x is None:
            self.notify(t("ui_mine.pick_meeting"), markup=False)
            return
        if not x.may_ask_leave:
            key = ("ui_mine.leave_already" if x.leave is not None
                   and x.leave.status in (LeaveStatus.PENDING, LeaveStatus.APPROVED)
                   else "ui_mine.leave_not_now")
            self.notify(t(key), severity="warning", markup=False, timeout=8)
            return

        def sent(req: c.LeaveRequest | None) -> None:
            if req is not None:
                self.notify(t("ui_mine.leave_sent", title=req.meeting_title), markup=False,
                            timeout=8)
                self.action_refresh()

        self.app.push_screen(LeaveRequestScreen(x.meeting.id), sent)

    def action_withdraw(self) -> None:
        x = self.selected_meeting()
        if x is None or x.leave is None or not x.may_withdraw:
            self.notify(t("ui_mine.nothing_to_withdraw"), severity="warning", markup=False)
            return
        if self.busy:
            return
        self.busy = True
        actor, rid = self.actor, x.leave.id
        self.submit("withdraw", lambda: self.services.meetings.withdraw_leave(actor, rid))

    def action_progress(self) -> None:
        r = self.selected_rect()
        if r is None:
            self.notify(t("ui_mine.pick_rect"), markup=False)
            return
        if r.status is RectStatus.VERIFIED:
            self.notify(t("rect.verified"), severity="warning", markup=False)
            return
        self.app.push_screen(ProgressScreen(r), lambda _saved: self.action_refresh())

    def action_inbox(self) -> None:
        self.app.push_screen(LeaveInboxScreen())

    def action_open_meeting(self) -> None:
        from branchtui.ui.screens.record import RecordScreen

        x = self.selected_meeting()
        if x is not None:
            self.app.push_screen(RecordScreen(x.meeting.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "meetings":
            self.action_open_meeting()
        elif event.data_table.id == "rects":
            self.action_progress()

    def on_done(self, message: Done) -> None:
        self.busy = False
        if message.tag == "sign_in":
            row: c.AttendanceRow = message.data
            self.app.push_screen(SignInResultScreen(self._signing, row, None))
        elif message.tag == "withdraw":
            self.notify(t("ui_mine.withdrawn"), markup=False, timeout=6)
        self.action_refresh()

    def on_refused(self, message: Refused) -> None:
        self.busy = False
        if message.tag == "sign_in":
            self.app.push_screen(SignInResultScreen(self._signing, None, message.text))
        else:
            self.notify(message.text, severity="error", markup=False, timeout=8)
        self.action_refresh()


# -- the sign-in result, large ---------------------------------------------------------------


class SignInResultScreen(Translated, ModalScreen[None]):
    """签到 result in large, plain words: signed in (on time or late) with the time in big
    digits, or why not and what to do. Stays until the member closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,space", "close", "ui_mine.key_ok", id="signed.close"),
    ]
    DEFAULT_CSS = """
    SignInResultScreen { align: center middle; }
    SignInResultScreen #signed-box { width: 90%; max-width: 72; height: auto;
        max-height: 100%; padding: 1 2; background: $panel; }
    SignInResultScreen .ok { border: thick $success; }
    SignInResultScreen .bad { border: thick $error; }
    SignInResultScreen #signed-word { text-style: bold; text-align: center; width: 100%;
        padding: 1 0; }
    SignInResultScreen .ok #signed-word { background: $success 40%; }
    SignInResultScreen .bad #signed-word { background: $error 40%; }
    SignInResultScreen #signed-time { width: 100%; text-align: center; }
    SignInResultScreen #signed-text { text-style: bold; padding: 1 0 0 0; }
    SignInResultScreen Button { margin-top: 1; width: 100%; }
    """

    def __init__(self, meeting: c.Meeting, row: c.AttendanceRow | None,
                 error: str | None) -> None:
        super().__init__()
        self.meeting = meeting
        self.row = row
        self.error = error

    def compose(self) -> ComposeResult:
        ok = self.row is not None
        with Vertical(id="signed-box", classes="ok" if ok else "bad"):
            if self.row is not None:
                late = self.row.status is AttendanceStatus.LATE
                yield Static(t("ui_mine.signed_late_big" if late else "ui_mine.signed_ok_big"),
                             id="signed-word")
                at = self.row.marked_at.strftime("%H:%M") if self.row.marked_at else ""
                yield Digits(at, id="signed-time")
                text = t("ui_mine.signed_late_text" if late else "ui_mine.signed_ok_text",
                         title=self.meeting.title, at=at,
                         start=self.meeting.planned_start.strftime("%H:%M"))
            else:
                yield Static(t("ui_mine.signed_no_big"), id="signed-word")
                text = t("ui_mine.signed_no_text", title=self.meeting.title,
                         reason=self.error or "")
            yield Static(content(text), id="signed-text")
            yield Button(t("ui_mine.btn_ok"), id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(None)


# -- rectification progress -----------------------------------------------------------------


class ProgressScreen(Writes, DataScreen, ModalScreen[bool]):
    """Add a progress note with evidence to one of my rectification items, and declare it
    done if it is (the 书记 then verifies it). A stale save keeps the text and asks."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "ui_mine.key_save", id="progress.save"),
        Binding("escape", "cancel", "ui_mine.key_cancel", id="progress.cancel"),
    ]
    DEFAULT_CSS = DIALOG_CSS.replace("DIALOG", "ProgressScreen") + """
    ProgressScreen #progress-text { height: 5; }
    ProgressScreen #progress-notes { height: auto; max-height: 8; }
    """

    def __init__(self, rect: c.Rectification) -> None:
        super().__init__()
        self.rect = rect
        self.version = rect.version
        self.saving = False

    def compose(self) -> ComposeResult:
        r = self.rect
        with VerticalScroll(id="progress-box", classes="dialog"):
            yield Label(t("ui_mine.progress_title"), classes="dialog-title")
            yield Static(content(t(
                "ui_mine.progress_item", problem=r.problem, measure=r.measure,
                deadline=when(r.deadline) or "-", status=enum_label(r.status))),
                classes="dialog-meeting")
            yield Static(t("ui_mine.loading"), id="progress-notes")
            yield Label(t("field.progress"), classes="field-label")
            yield TextArea(id="progress-text", soft_wrap=True, show_line_numbers=False)
            yield Label(t("ui_mine.evidence_label"), classes="field-label")
            yield Input(id="progress-evidence", placeholder=t("ui_mine.evidence_hint"))
            yield Checkbox(t("ui_mine.declare_done"), value=r.status is RectStatus.DONE,
                           id="progress-done")
            yield Static("", id="progress-error", classes="big-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("ui_mine.btn_save"), id="save", action="screen.save",
                             variant="primary")
                yield Button(t("ui_mine.btn_cancel"), id="cancel", action="screen.cancel")

    def on_mount(self) -> None:
        self.query_one("#progress-error", Static).display = False
        self.query_one("#progress-text", TextArea).focus()
        actor, rid = self.actor, self.rect.id
        self.fetch("notes", lambda: self.services.minutes.progress(actor, rid))

    def on_loaded(self, message: Loaded) -> None:
        notes: list[ProgressNote] = message.data
        box = self.query_one("#progress-notes", Static)
        if not notes:
            box.update(t("ui_mine.no_notes"))
            return
        lines = [t("ui_mine.note_line", at=when(n.noted_at), text=n.text,
                   evidence=n.evidence or "-") for n in notes]
        box.update(content("\n".join(lines)))

    def on_failed(self, message: Any) -> None:
        message.prevent_default()  # in the dialog only, not also as DataScreen's notice
        self._error(message.text)

    def _error(self, text: str) -> None:
        box = self.query_one("#progress-error", Static)
        box.update(content(text))
        box.display = True

    def action_save(self) -> None:
        if self.saving:
            return
        text = self.query_one("#progress-text", TextArea).text
        if not text.strip():
            self._error(t("ui_mine.progress_needed"))
            self.query_one("#progress-text", TextArea).focus()
            return
        evidence = self.query_one("#progress-evidence", Input).value
        done = self.query_one("#progress-done", Checkbox).value
        self.saving = True
        actor, rid, version = self.actor, self.rect.id, self.version
        self.submit("progress", lambda: self.services.minutes.add_progress(
            actor, rid, text, evidence, done=done, expected_version=version))

    def action_cancel(self) -> None:
        self.dismiss(False)


    def on_done(self, message: Done) -> None:
        self.saving = False
        r: c.Rectification = message.data
        self.app.notify(t("ui_mine.progress_saved_done" if r.status is RectStatus.DONE
                          else "ui_mine.progress_saved"), markup=False, timeout=6)
        self.dismiss(True)

    def on_refused(self, message: Refused) -> None:
        self.saving = False
        err = message.error
        current = err.params.get("current") if isinstance(err, Conflict) else None
        if isinstance(current, c.Rectification):
            # Someone wrote first: the text stays; saving again builds on their version.
            self.version = current.version
            self._error(t("ui_mine.progress_conflict", status=enum_label(current.status)))
            return
        self._error(message.text)
