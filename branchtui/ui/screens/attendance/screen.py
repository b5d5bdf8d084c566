"""The attendance sheet of one meeting: marking from the keyboard, the saves in typed order,
live counts and quorum lights, guests, self sign-in and the roll's changes."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import field
from functools import partial
from typing import Any, ClassVar, cast

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Label, Static

from branchtui.core import model as c
from branchtui.core.enums import AttendanceStatus, LeaveKind, MarkMethod, MeetingStatus
from branchtui.core.errors import BranchError, Conflict
from branchtui.core.frozen import frozen
from branchtui.core.quorum import quorum_lights
from branchtui.core.roll import RollChange, count_attendance
from branchtui.i18n import enum_label, t
from branchtui.services.meetings import AttendanceSheet
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.attendance.dialogs import (
    ChoiceModal,
    GuestAnswer,
    GuestModal,
    ReasonAnswer,
    ReasonModal,
)
from branchtui.ui.screens.base import Failed, Loaded
from branchtui.ui.screens.live import LiveMeetingScreen
from branchtui.ui.text import cell, content, when
from branchtui.ui.widgets.sheet_table import SheetTable

STATUS_STYLE = {
    AttendanceStatus.PRESENT: "green",
    AttendanceStatus.LATE: "yellow",
    AttendanceStatus.LEAVE: "cyan",
    AttendanceStatus.ABSENT: "bold red",
    AttendanceStatus.EXEMPT: "magenta",
}
ASKS_REASON = (AttendanceStatus.LEAVE, AttendanceStatus.ABSENT)
EDITABLE = (MeetingStatus.PLANNED, MeetingStatus.OPEN, MeetingStatus.CLOSED)
NAME_WIDTH_MAX = 16
SIDE_WIDTH = 46
# A mark typed with a key waits this long for its save before the cursor moves on, so
# that the move and the saved row reach the screen in one repaint (a save takes a few
# milliseconds). A slower save lets the cursor go on and lands when it is done.
HOLD_SECONDS = 0.04


# -- messages from the save worker --------------------------------------------------------


@frozen
class MarkJob:
    """One mark typed by the user, waiting in the queue."""

    member_id: int
    status: AttendanceStatus
    reason: str
    leave_kind: LeaveKind | None
    expected_version: int
    # Set when the key handler waits for this save (see HOLD_SECONDS).
    done: Future[Message] | None = field(default=None, compare=False)


class MarkSaved(Message):
    def __init__(self, job: MarkJob, row: c.AttendanceRow) -> None:
        super().__init__()
        self.job = job
        self.row = row


class MarkConflict(Message):
    def __init__(self, job: MarkJob, current: c.AttendanceRow | None) -> None:
        super().__init__()
        self.job = job
        self.current = current


class MarkFailed(Message):
    def __init__(self, job: MarkJob, text: str) -> None:
        super().__init__()
        self.job = job
        self.text = text


# -- the sheet -----------------------------------------------------------------------------


class AttendanceScreen(LiveMeetingScreen):
    """The attendance sheet of ``meeting_id``: expected list with marks, live counts,
    quorum lights for the acts on the agenda, 列席 guests, and who is not on the roll."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,p", "mark('present')", "ui_attendance.key_present", id="attendance.present"),
        Binding("2,l", "mark('late')", "ui_attendance.key_late", id="attendance.late"),
        Binding("3,q", "mark('leave')", "ui_attendance.key_leave", id="attendance.leave"),
        Binding("4,a", "mark('absent')", "ui_attendance.key_absent", id="attendance.absent"),
        Binding("g", "add_guest", "ui_attendance.key_guest", id="attendance.guest"),
        Binding("s", "toggle_signin", "ui_attendance.key_signin", id="attendance.signin"),
        Binding("v", "toggle_side", "ui_attendance.key_side", id="attendance.side"),
        Binding("r,f5", "refresh", "ui_attendance.key_refresh", id="attendance.refresh"),
        Binding("escape", "app.pop_screen", "ui_attendance.key_back", id="attendance.back"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 (Screen declares it)
    # CSS, not DEFAULT_CSS: it must win over the app sheet (DataTable max-height: 14).
    CSS = f"""
    AttendanceScreen #att-head {{ height: auto; max-height: 2; }}
    AttendanceScreen #att-state {{ padding: 0 1; height: auto; color: $text-muted; }}
    AttendanceScreen #att-counts {{ padding: 0 1; height: auto; text-style: bold; }}
    AttendanceScreen #att-quorum {{ padding: 0 1; height: auto; }}
    AttendanceScreen #att-body {{ height: 1fr; }}
    AttendanceScreen #att-table {{ height: 1fr; max-height: 100%; width: 1fr; margin: 0 1; }}
    AttendanceScreen #att-side {{ width: {SIDE_WIDTH}; display: none; }}
    AttendanceScreen #att-side DataTable {{ height: auto; max-height: 12; width: 100%;
        margin: 0; }}
    AttendanceScreen #att-side .section-title {{ margin: 0 0 0 1; }}
    AttendanceScreen.-wide #att-side {{ display: block; }}
    AttendanceScreen.-wide.-side-toggled #att-side {{ display: none; }}
    AttendanceScreen.-narrow.-side-toggled #att-side {{ display: block; width: 1fr; }}
    AttendanceScreen.-narrow.-side-toggled #att-table {{ display: none; }}
    """

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.sheet: AttendanceSheet | None = None
        self.meeting: c.Meeting | None = None
        self.rows: dict[int, c.AttendanceRow] = {}  # by member id
        self.order: list[int] = []  # member ids in table order
        self.guests: list[c.Guest] = []
        self._pending: dict[int, int] = {}  # member id -> marks still being saved
        self._queue: deque[MarkJob] = deque()
        self._lock = threading.Lock()
        self._draining = False
        self._saved_versions: dict[int, int] = {}  # written by the save worker only
        self._told_after = False
        self._guest_draft: GuestAnswer | None = None

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(content(t("ui_attendance.loading")), id="att-head", classes="who")
        yield Static(id="att-state")
        yield Static(id="att-counts")
        yield Static(id="att-quorum")
        yield Static(id="att-roll-changes")
        with Horizontal(id="att-body"):
            yield SheetTable(id="att-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="att-side"):
                yield Label(id="att-guests-title", classes="section-title")
                yield DataTable(id="att-guests", cursor_type="row")
                yield Label(id="att-excluded-title", classes="section-title")
                yield DataTable(id="att-excluded", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    @property
    def table(self) -> SheetTable:
        return self.query_one("#att-table", SheetTable)

    # -- loading -----------------------------------------------------------------------------

    def action_refresh(self) -> None:
        actor, mid = self.actor, self.meeting_id
        self.fetch("sheet", lambda: self.services.meetings.attendance_sheet(actor, mid))

    def presence_mode(self) -> str:
        return "edit" if self.sheet is not None and self.sheet.can_mark else "view"

    def live_refresh(self) -> None:
        actor, mid = self.actor, self.meeting_id
        self.fetch("live", lambda: self.services.meetings.attendance_sheet(actor, mid))

    def _merge_sheet(self, sheet: AttendanceSheet) -> None:
        """Someone else changed the meeting: redraw only the rows that changed, keeping the
        cursor and the user's marks still being saved; a changed roll redraws the table."""
        rows = {r.member_id: r for r in sheet.record.attendance}
        if self.sheet is None or set(rows) != set(self.rows):
            self._show_sheet(sheet)
            return
        self.sheet, self.meeting = sheet, sheet.record.meeting
        self.guests = list(sheet.record.guests)
        for mid, row in rows.items():
            if mid not in self._pending and row != self.rows[mid]:
                self.rows[mid] = row
                self._render_row(mid)
        self._show_head()
        self._show_summary()
        self._show_guests()
        self._show_excluded()
        self._show_roll_changes()

    def on_loaded(self, message: Loaded) -> None:
        if message.tag == "sheet":
            self._show_sheet(message.data)
        elif message.tag == "live":
            self._merge_sheet(message.data)
        elif message.tag == "signin":
            self.meeting = message.data
            self._show_head()
            self.notify(t("ui_attendance.signin_now_on" if self.meeting.allow_self_signin
                          else "ui_attendance.signin_now_off"), markup=False)
        elif message.tag == "signin:conflict":
            if message.data is not None:
                self.meeting = message.data
                self._show_head()
            assert self.meeting is not None
            self.notify(t("ui_attendance.signin_changed", signin=self._signin_word()),
                        severity="warning", markup=False)
        elif message.tag == "guest":
            self._guest_draft = None
            self.guests.append(message.data)
            self._show_guests()
            self.notify(t("ui_attendance.guest_added", name=message.data.name), markup=False)
        self.refresh_bindings()

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        if message.tag == "guest" and self._guest_draft is not None:
            # Keep what the user typed: the dialog comes back with it.
            self.app.push_screen(GuestModal(self._guest_draft), self._guest_answered)

    def _show_sheet(self, sheet: AttendanceSheet) -> None:
        self.sheet = sheet
        self.meeting = sheet.record.meeting
        self.guests = list(sheet.record.guests)
        rows = sheet.record.attendance
        self.rows = {r.member_id: r for r in rows}
        # Exempt members last: the cursor runs down the people to mark.
        self.order = ([r.member_id for r in rows if r.status is not AttendanceStatus.EXEMPT]
                      + [r.member_id for r in rows if r.status is AttendanceStatus.EXEMPT])
        self._pending.clear()
        self._build_table()
        self._show_head()
        self._show_summary()
        self._show_guests()
        self._show_excluded()
        self._show_roll_changes()

    def _build_table(self) -> None:
        table = self.table
        cursor = table.cursor_row
        table.clear(columns=True)
        status_words = [t("ui_attendance.unmarked")] + [
            t("ui_attendance.saving", status=enum_label(s)) for s in AttendanceStatus]
        method_words = [enum_label(x) for x in MarkMethod]
        kind_words = [t("ui_attendance.full"), t("ui_attendance.probationary")]
        name_w = min(NAME_WIDTH_MAX, max([cell_len(t("ui_attendance.col_name"))] + [
            cell_len(r.member_name) for r in self.rows.values()]))
        kind_w = max(cell_len(x) for x in [t("ui_attendance.col_kind"), *kind_words])
        status_w = max(cell_len(x) for x in [t("ui_attendance.col_status"), *status_words])
        method_w = min(12, max(cell_len(x) for x in [t("ui_attendance.col_method"),
                                                      *method_words]))
        no_w = max(2, len(str(len(self.order))))
        width = self.size.width - (SIDE_WIDTH if self.has_class("-wide") else 0)
        # Each column has one cell of padding either side; margins and the scrollbar.
        note_w = max(12, width - (no_w + name_w + kind_w + status_w + method_w) - 12 - 5)
        table.add_column(t("ui_attendance.col_no"), width=no_w, key="no")
        table.add_column(t("ui_attendance.col_name"), width=name_w, key="name")
        table.add_column(t("ui_attendance.col_kind"), width=kind_w, key="kind")
        table.add_column(t("ui_attendance.col_status"), width=status_w, key="status")
        table.add_column(t("ui_attendance.col_note"), width=note_w, key="note")
        table.add_column(t("ui_attendance.col_method"), width=method_w, key="method")
        for i, mid in enumerate(self.order, start=1):
            r = self.rows[mid]
            table.add_row(
                cell(i, "dim"), _clip(cell(r.member_name), name_w),
                cell(t("ui_attendance.full") if r.is_full else t("ui_attendance.probationary")),
                self._status_cell(r), _clip(cell(self._note(r)), note_w),
                self._method_cell(r), key=str(mid))
        if self.order:
            table.move_cursor(row=min(max(cursor, 0), len(self.order) - 1))
        self._note_width = note_w

    # -- rendering pieces --------------------------------------------------------------------

    @staticmethod
    def _status_cell(r: c.AttendanceRow) -> Text:
        if r.status is None:
            return cell(t("ui_attendance.unmarked"), "dim")
        return cell(enum_label(r.status), STATUS_STYLE[r.status])

    @staticmethod
    def _note(r: c.AttendanceRow) -> str:
        if r.status is AttendanceStatus.LEAVE and r.leave_kind is not None:
            kind = enum_label(r.leave_kind)
            return t("ui_attendance.note_leave", kind=kind, reason=r.reason) if r.reason \
                else kind
        return r.reason

    @staticmethod
    def _method_cell(r: c.AttendanceRow) -> Text:
        if r.method is None:
            return cell("")
        return cell(enum_label(r.method), "bold yellow" if r.method is MarkMethod.AFTER
                    else "dim")

    def _render_row(self, member_id: int) -> None:
        r = self.rows[member_id]
        self.table.replace_cells(str(member_id), {
            "status": self._status_cell(r),
            "note": _clip(cell(self._note(r)), self._note_width),
            "method": self._method_cell(r),
        })

    def _signin_word(self) -> str:
        on = self.meeting is not None and self.meeting.allow_self_signin
        return t("ui_attendance.signin_on" if on else "ui_attendance.signin_off")

    def _show_head(self) -> None:
        m = self.meeting
        if m is None:
            return
        self.query_one("#att-head", Static).update(content(t(
            "ui_attendance.head", title=m.title, number=m.number or "-",
            start=when(m.planned_start), place=m.place, status=enum_label(m.status),
            signin=self._signin_word())))
        assert self.sheet is not None
        if not self.sheet.can_mark:
            key = "ui_attendance.state_readonly"
        else:
            key = {MeetingStatus.PLANNED: "ui_attendance.state_planned",
                   MeetingStatus.OPEN: "ui_attendance.state_open",
                   MeetingStatus.CLOSED: "ui_attendance.state_closed",
                   MeetingStatus.SEALED: "ui_attendance.state_sealed",
                   MeetingStatus.CANCELLED: "ui_attendance.state_cancelled"}[m.status]
        self.query_one("#att-state", Static).update(content(t(key)))

    def _show_summary(self) -> None:
        """应到/实到 and the quorum lights, recomputed from the rows held here."""
        rows = list(self.rows.values())
        n = count_attendance((r.is_full, r.status) for r in rows)
        _refill(self.query_one("#att-counts", Static), content(t(
            "ui_attendance.counts", expected=n.expected_total, ef=n.expected_full,
            ep=n.expected_probationary, present=n.present_total, pf=n.present_full,
            pp=n.present_probationary, late=n.late, leave=n.leave, absent=n.absent,
            unmarked=n.unmarked, exempt=n.exempt)))
        assert self.meeting is not None and self.sheet is not None
        acts = [a.act for a in self.meeting.agenda if a.act is not None]
        quorum = self.query_one("#att-quorum", Static)
        if not acts:
            _refill(quorum, content(t("ui_attendance.quorum_none")).stylize("dim"))
            return
        lights = quorum_lights(acts, ((r.member_id, r.can_vote, r.status) for r in rows),
                               self.sheet.committee_ids, self.sheet.record.rules)
        lines = []
        for q in lights:
            key = "ui_attendance.quorum_met" if q.met else "ui_attendance.quorum_short"
            text = t(key, act=enum_label(q.act), needed=q.needed, present=q.present,
                     missing=q.missing)
            lines.append(content(text).stylize("bold green" if q.met else "bold red"))
        _refill(quorum, Content("\n").join(lines))

    def _show_guests(self) -> None:
        self.query_one("#att-guests-title", Label).update(content(
            t("ui_attendance.guests_title", n=len(self.guests))))
        table = self.query_one("#att-guests", DataTable)
        table.clear(columns=True)
        table.add_column(t("field.name"), key="name")
        table.add_column(t("field.affiliation"), key="affiliation")
        table.add_column(t("field.reason"), key="reason")
        for g in self.guests:
            table.add_row(_clip(cell(g.name), 24), _clip(cell(g.affiliation), 16),
                          _clip(cell(g.reason), 30), key=str(g.id))
        if not self.guests:
            table.add_row(cell(t("ui_attendance.none"), "dim"), cell(""), cell(""))

    def _show_excluded(self) -> None:
        assert self.sheet is not None
        excluded = self.sheet.excluded
        self.query_one("#att-excluded-title", Label).update(content(
            t("ui_attendance.excluded_title", n=len(excluded))))
        table = self.query_one("#att-excluded", DataTable)
        table.clear(columns=True)
        table.add_column(t("ui_attendance.col_name"), key="name")
        table.add_column(t("ui_attendance.col_reason"), key="reason")
        for e in excluded:
            table.add_row(_clip(cell(e.name), 14), cell(t(e.reason_key)), key=str(e.member_id))
        if not excluded:
            table.add_row(cell(t("ui_attendance.none"), "dim"), cell(""))

    def _show_roll_changes(self) -> None:
        """"名单已更新": who left or joined 应到, or changed status, after roster writes
        dated on or before the meeting, and as of which day. Hidden when nothing changed."""
        assert self.sheet is not None
        line = self.query_one("#att-roll-changes", Static)
        line.display = bool(self.sheet.roll_changes)
        year = self.sheet.record.meeting.planned_start.year
        line.update(content(roll_changes_text(self.sheet.roll_changes, year))
                    .stylize("yellow"))

    # -- what may be done now ------------------------------------------------------------------

    def _may_mark(self) -> bool:
        return (self.sheet is not None and self.sheet.can_mark and self.meeting is not None
                and self.meeting.status in EDITABLE)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "mark":
            if not self._may_mark():
                return False
            assert self.meeting is not None
            if self.has_class("-narrow") and self.has_class("-side-toggled"):
                return None  # the list is hidden behind the side panel
            if (self.meeting.status is MeetingStatus.PLANNED
                    and parameters != (AttendanceStatus.LEAVE.value,)):
                return None  # before the meeting only leave
            return True
        if action == "add_guest":
            return self._may_mark()
        if action == "toggle_signin":
            return (self.sheet is not None and self.sheet.can_run and self.meeting is not None
                    and self.meeting.status in (MeetingStatus.PLANNED, MeetingStatus.OPEN))
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for status, name in ((AttendanceStatus.PRESENT, "present"),
                             (AttendanceStatus.LATE, "late"),
                             (AttendanceStatus.LEAVE, "leave"),
                             (AttendanceStatus.ABSENT, "absent")):
            if self.check_action("mark", (status.value,)):
                out.append((t(f"ui_attendance.cmd_{name}"), t(f"ui_attendance.cmd_{name}_help"),
                            partial(self.call_later, self.action_mark, status.value)))
        if self.check_action("add_guest", ()):
            out.append((t("ui_attendance.cmd_guest"), t("ui_attendance.cmd_guest_help"),
                        self.action_add_guest))
        if self.check_action("toggle_signin", ()):
            on = self.meeting is not None and self.meeting.allow_self_signin
            out.append((t("ui_attendance.cmd_signin_off" if on else "ui_attendance.cmd_signin_on"),
                        t("ui_attendance.cmd_signin_help"), self.action_toggle_signin))
        out.append((t("ui_attendance.cmd_side"), t("ui_attendance.cmd_side_help"),
                    self.action_toggle_side))
        out.append((t("ui_attendance.cmd_refresh"), t("ui_attendance.cmd_refresh_help"),
                    self.action_refresh))
        return out

    # -- marking -------------------------------------------------------------------------------

    def _current(self) -> c.AttendanceRow | None:
        row = self.table.cursor_row
        if not self.order or not 0 <= row < len(self.order):
            return None
        return self.rows[self.order[row]]

    async def action_mark(self, value: str) -> None:
        if not self.check_action("mark", (value,)):
            return
        status = AttendanceStatus(value)
        row = self._current()
        if row is None:
            return
        if row.status is not AttendanceStatus.EXEMPT and status not in ASKS_REASON:
            await self._mark_held(row.member_id, status)
            return
        if row.status is AttendanceStatus.EXEMPT and status is not AttendanceStatus.EXEMPT:
            # 免 comes from the roll; overriding it is a deliberate act.
            def confirmed(answer: str | None) -> None:
                if answer == "yes":
                    self._ask_or_mark(row, status)

            self.app.push_screen(ChoiceModal(
                t("ui_attendance.exempt_title", name=row.member_name),
                t("ui_attendance.exempt_body", reason=row.reason or "-",
                  status=enum_label(status)),
                [("yes", t("ui_attendance.confirm")), ("no", t("ui_attendance.cancel"))]),
                confirmed)
            return
        self._ask_or_mark(row, status)

    def _ask_or_mark(self, row: c.AttendanceRow, status: AttendanceStatus) -> None:
        if status not in ASKS_REASON:
            self._submit(row.member_id, status, advance=True)
            return
        title_key = ("ui_attendance.reason_leave_title" if status is AttendanceStatus.LEAVE
                     else "ui_attendance.reason_absent_title")
        same = row.status is status

        def answered(answer: ReasonAnswer | None) -> None:
            if answer is not None:
                self._submit(row.member_id, status, answer.reason, answer.leave_kind,
                             advance=True)

        self.app.push_screen(ReasonModal(
            t(title_key, name=row.member_name), status,
            reason=row.reason if same else "", leave_kind=row.leave_kind if same else None),
            answered)

    async def _mark_held(self, member_id: int, status: AttendanceStatus) -> None:
        """Mark from a key: wait briefly for the save, then move the cursor and show the
        row together (one repaint instead of two). The event loop stays free meanwhile;
        further keys queue up and are handled in order."""
        done = self._submit(member_id, status, hold=True)
        assert done is not None
        try:
            outcome = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(done)),
                                             HOLD_SECONDS)
        except TimeoutError:
            self._advance(member_id)
            done.add_done_callback(lambda f: self.post_message(f.result()))
            return
        self._advance(member_id)
        self._apply(outcome)

    def _advance(self, member_id: int) -> None:
        index = self.order.index(member_id)
        if index + 1 < len(self.order):
            self.table.move_cursor(row=index + 1)

    def _submit(self, member_id: int, status: AttendanceStatus, reason: str = "",
                leave_kind: LeaveKind | None = None, *, version: int | None = None,
                advance: bool = False, hold: bool = False) -> Future[Message] | None:
        """Queue a mark for the save worker; returns the future of its outcome when
        ``hold``, else the outcome arrives as a message."""
        row = self.rows[member_id]
        done: Future[Message] | None = Future() if hold else None
        job = MarkJob(member_id, status, reason, leave_kind,
                      row.version if version is None else version, done)
        self._pending[member_id] = self._pending.get(member_id, 0) + 1
        # No "saving" marker in the cell: a save takes a few milliseconds, and touching a
        # cell makes the DataTable render every visible cell again.
        if advance:
            self._advance(member_id)
        with self._lock:
            self._queue.append(job)
            start = not self._draining
            self._draining = True
        if start:
            self._drain()
        return done

    @work(thread=True, exit_on_error=False, group="attendance-marks")
    def _drain(self) -> None:
        """Save queued marks one by one, in the order typed; ends when the queue is empty."""
        while True:
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                job = self._queue.popleft()
            self._save(job)

    def _save(self, job: MarkJob) -> None:
        """In the worker thread: save one mark and hand over what happened (to the
        waiting key handler, or as a message)."""
        # A mark this screen saved a moment ago bumped the version: count it as ours.
        expected = max(job.expected_version, self._saved_versions.get(job.member_id, 0))
        outcome: Message
        try:
            saved = self.services.meetings.mark(
                self.actor, self.meeting_id, job.member_id, job.status, reason=job.reason,
                leave_kind=job.leave_kind, expected_version=expected)
        except Conflict as exc:
            current = exc.params.get("current")
            outcome = MarkConflict(job, current if isinstance(current, c.AttendanceRow)
                                   else None)
        except BranchError as exc:
            outcome = MarkFailed(job, exc.message())
        except Exception as exc:  # never let a worker error kill the app
            outcome = MarkFailed(job, t("ui_attendance.unexpected", detail=type(exc).__name__))
        else:
            self._saved_versions[job.member_id] = saved.version
            outcome = MarkSaved(job, saved)
        if job.done is not None:
            job.done.set_result(outcome)
        else:
            self.post_message(outcome)

    def _apply(self, outcome: Message) -> None:
        if isinstance(outcome, MarkSaved):
            self.on_mark_saved(outcome)
        elif isinstance(outcome, MarkConflict):
            self.on_mark_conflict(outcome)
        elif isinstance(outcome, MarkFailed):
            self.on_mark_failed(outcome)

    def _settle(self, member_id: int) -> bool:
        """One mark of the member is done; True when none is still waiting."""
        left = self._pending.get(member_id, 1) - 1
        if left <= 0:
            self._pending.pop(member_id, None)
            return True
        self._pending[member_id] = left
        return False

    def on_mark_saved(self, message: MarkSaved) -> None:
        row = message.row
        if row.member_id not in self.rows:
            return
        self.rows[row.member_id] = row
        if self._settle(row.member_id):
            self._render_row(row.member_id)
        self._show_summary()
        if row.method is MarkMethod.AFTER and not self._told_after:
            self._told_after = True
            self.notify(t("ui_attendance.mark_after", name=row.member_name), markup=False)

    def on_mark_failed(self, message: MarkFailed) -> None:
        member_id = message.job.member_id
        if member_id in self.rows and self._settle(member_id):
            self._render_row(member_id)
        self.notify(message.text, severity="error", markup=False, timeout=8)

    def on_mark_conflict(self, message: MarkConflict) -> None:
        job, current = message.job, message.current
        if job.member_id not in self.rows:
            return
        self._settle(job.member_id)
        if current is None:
            # Lost a race inside the database: no snapshot to show; read the sheet again.
            self.notify(t("ui_attendance.conflict_title",
                          name=self.rows[job.member_id].member_name),
                        severity="warning", markup=False)
            self.action_refresh()
            return
        self.rows[job.member_id] = current
        self._render_row(job.member_id)
        self._show_summary()
        marker = self.rows.get(current.marked_by) if current.marked_by else None
        mine = self._describe(job.status, job.reason, job.leave_kind)

        def chosen(answer: str | None) -> None:
            if answer == "mine":
                self._submit(job.member_id, job.status, job.reason, job.leave_kind,
                             version=current.version)

        self.app.push_screen(ChoiceModal(
            t("ui_attendance.conflict_title", name=current.member_name),
            t("ui_attendance.conflict_body",
              who=marker.member_name if marker else t("ui_attendance.someone"),
              at=when(current.marked_at) or "-",
              theirs=self._describe(current.status, current.reason, current.leave_kind),
              mine=mine),
            [("theirs", t("ui_attendance.conflict_theirs")),
             ("mine", t("ui_attendance.conflict_mine", mine=enum_label(job.status)))]),
            chosen)

    @staticmethod
    def _describe(status: AttendanceStatus | None, reason: str,
                  kind: LeaveKind | None) -> str:
        if status is None:
            return t("ui_attendance.unmarked")
        parts = [enum_label(status)]
        if status is AttendanceStatus.LEAVE and kind is not None:
            parts.append(enum_label(kind))
        if reason:
            parts.append(reason)
        return " · ".join(parts)

    # -- guests, self sign-in, side panel ------------------------------------------------------

    def action_add_guest(self) -> None:
        if self.check_action("add_guest", ()):
            self.app.push_screen(GuestModal(self._guest_draft), self._guest_answered)

    def _guest_answered(self, answer: GuestAnswer | None) -> None:
        if answer is None:
            return
        self._guest_draft = answer
        actor, mid = self.actor, self.meeting_id
        self._write("guest", lambda: self.services.meetings.add_guest(
            actor, mid, answer.name, answer.affiliation, answer.reason))

    def action_toggle_signin(self) -> None:
        if not self.check_action("toggle_signin", ()) or self.meeting is None:
            return
        actor, m = self.actor, self.meeting
        self._write("signin", lambda: self.services.meetings.set_self_signin(
            actor, m.id, not m.allow_self_signin, m.version))

    def action_toggle_side(self) -> None:
        self.toggle_class("-side-toggled")
        self.refresh_bindings()
        if self.has_class("-narrow") and self.has_class("-side-toggled"):
            self.query_one("#att-guests", DataTable).focus()
        else:
            self.table.focus()

    @work(thread=True, exit_on_error=False, group="attendance-write")
    def _write(self, tag: str, call: Callable[[], Any]) -> None:
        """A write other than a mark: posts Loaded, Loaded(tag:conflict) or Failed."""
        try:
            self.post_message(Loaded(tag, call()))
        except Conflict as exc:
            self.post_message(Loaded(tag + ":conflict", exc.params.get("current")))
        except BranchError as exc:
            self.post_message(Failed(tag, exc.message()))
        except Exception as exc:
            self.post_message(Failed(tag, t("ui_attendance.unexpected",
                                            detail=type(exc).__name__)))


def roll_changes_text(changes: Sequence[RollChange], year: int | None = None) -> str:
    """The "名单已更新" line: names are user text, returned plain (never markup). Days in
    ``year`` (the meeting's) are written without the year."""
    if not changes:
        return ""
    items = []
    for ch in changes:
        what = t(f"roll.change.{ch.kind}")
        if ch.on is None:
            items.append(t("ui_attendance.roll_item", name=ch.name, what=what))
        else:
            key = ("ui_attendance.roll_date" if ch.on.year == year
                   else "ui_attendance.roll_date_year")
            day = t(key, year=ch.on.year, month=ch.on.month, day=ch.on.day,
                    iso=ch.on.isoformat())
            items.append(t("ui_attendance.roll_item_on", name=ch.name, what=what, date=day))
    return t("ui_attendance.roll_changed", items=t("ui_attendance.roll_sep").join(items))


def _refill(static: Static, value: Content) -> None:
    """Update a summary line after a mark. The screen is laid out again only when the
    line's height changes: a layout repaints everything, which would double the time
    from the key to the screen."""
    width, height = static.content_region.width, static.content_region.height
    same = width > 0 and height > 0 and value.get_height(cast(Any, static.styles), width) == height
    static.update(value, layout=not same)


def _clip(text: Text, width: int) -> Text:
    """Cut long user text to the column with an ellipsis (never wraps a row)."""
    if text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text
