"""The read-only record page of a meeting: everything a record contains (DOMAIN.md §5); and
its review after the meeting: what the record must contain and still lacks. Each opens the
other (one module: two modules that import each other were a circle).

The check itself is ``core.record_check``; the review only words and lists it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Header, Label, Static

from branchtui.core import model as c
from branchtui.core.record_check import (
    MUST,
    Finding,
    absentees,
    check_record,
    describe,
    finding_text,
    subjects_text,
)
from branchtui.i18n import enum_label, t, t_params
from branchtui.services import MeetingRecord
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Loaded
from branchtui.ui.screens.live import LiveMeetingScreen
from branchtui.ui.text import assemble, cell, content, span, when


def held(m: c.Meeting) -> tuple[str, str]:
    """When the meeting actually ran, with the date: it is held on its planned day, but a
    record must not hide it. For a 补录, when its record was written."""
    label = t("ui_minutes.row_written" if m.entered_late else "ui_minutes.row_actual")
    if m.opened_at is None:
        return label, t("ui_minutes.not_started")
    return label, (span(m.opened_at, m.closed_at) if m.closed_at is not None
                   else t("ui_minutes.since", start=when(m.opened_at)))


def head_rows(r: MeetingRecord, name: Callable[[int | None], str],
              live: str) -> list[tuple[str, str]]:
    """The head of the record page: one (label, value) row a field. A 补录 has a row that
    says when it was held, when it was entered and why."""
    m = r.meeting
    chain = (t("ui.chain_imported") if r.chain_entries == 0 else
             t("ui.chain_ok") if r.chain_ok else t("ui.chain_bad"))
    rows = [
        (t("field.title"), t("ui_minutes.record_title", title=m.title, number=m.number or "-")),
        (t("ui_minutes.row_kinds"),
         t("ui_minutes.sep").join(enum_label(o) for o in m.obligations)),
        (t("ui_minutes.row_time"), span(m.planned_start, m.planned_end)),
        held(m),
    ]
    if m.late_at is not None:
        rows.append((t("ui_minutes.row_late"), t(
            "ui_minutes.late_line", day=m.planned_start.date().isoformat(), at=when(m.late_at),
            reason=m.late_reason)))
    return [*rows,
            (t("field.place"), m.place or t("ui_minutes.unset")),
            (t("ui_meetings.convener"), name(m.convener_id)),
            (t("ui_meetings.moderator"), name(m.moderator_id)),
            (t("ui_meetings.recorder"), name(m.recorder_id)),
            (t("ui_minutes.row_status"), enum_label(m.status)),
            (t("ui_minutes.row_chain"), t("ui_minutes.record_chain", chain=chain,
                                          entries=r.chain_entries)),
            (t("ui_minutes.row_live"), live),
            (t("ui_minutes.row_digest"), (m.seal_digest or "")[:16] or "-")]


def rows_content(rows: list[tuple[str, str]]) -> Content:
    """Label/value rows, one a line, the label in bold; the values are user text."""
    sep = t("ui_minutes.label_sep")
    parts: list[str | tuple[str, str]] = []
    for label, value in rows:
        parts += ["\n" if parts else "", (label + sep, "bold"), value]
    return assemble(*parts)


class RecordScreen(LiveMeetingScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="record.back"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="record.refresh"),
        Binding("ctrl+l", "review", "ui_minutes.key_review", id="record.review"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.record: MeetingRecord | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="record-body"):
            yield Static(id="head", classes="who")
            yield Static(id="counts", classes="summary")
            yield Static(id="absentees", classes="summary")
            yield Static(id="close-check", classes="summary")
            yield Label(t("ui_minutes.record_agenda"), classes="section-title")
            yield Static(id="agenda", classes="summary")
            yield Label(t("ui.record_attendance"), classes="section-title")
            yield DataTable(id="attendance", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui_minutes.record_guests"), classes="section-title")
            yield DataTable(id="guests", cursor_type="row")
            yield Label(t("ui.record_speeches"), classes="section-title")
            yield DataTable(id="speeches", cursor_type="row")
            yield Static(id="speech-full", classes="summary")
            yield Label(t("ui.record_decisions"), classes="section-title")
            yield DataTable(id="decisions", cursor_type="row")
            yield Static(id="decision-full", classes="summary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, mid = self.actor, self.meeting_id
        svc = self.services
        self.fetch("record", lambda: (svc.meetings.record(actor, mid),
                                      svc.minutes.people(actor, mid)))

    def action_review(self) -> None:
        self.app.push_screen(ReviewScreen(self.meeting_id))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return [
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
            (t("ui_minutes.cmd_review"), t("ui_minutes.cmd_review_help"), self.action_review),
        ]

    def on_loaded(self, message: Loaded) -> None:
        r: MeetingRecord = message.data[0]
        people = message.data[1]
        # A live reload keeps each table's cursor where the reader left it.
        cursors = {d.id: d.cursor_row for d in self.query(DataTable)} if self.record else {}
        self.record = r
        m = r.meeting

        def name(mid: int | None) -> str:
            if mid is None:
                return t("ui_minutes.unset")
            return people.names.get(mid, t("ui_minutes.unset"))

        live = f"{r.written_live_share:.0%}" if r.written_live_share is not None else "-"
        self.query_one("#head", Static).update(rows_content(head_rows(r, name, live)))
        c = r.counts
        self.query_one("#counts", Static).update(content(t(
            "ui.record_counts", expected=c.expected_total, ef=c.expected_full,
            ep=c.expected_probationary, present=c.present_total, pf=c.present_full,
            pp=c.present_probationary, leave=c.leave, absent=c.absent, unmarked=c.unmarked,
            exempt=c.exempt, live=live)))
        sep = t("ui_minutes.sep")
        # Everyone of 应到 not present, the never marked too: 应到 = 实到 + these.
        away = [t("ui_minutes.absentee", name=a.member_name, status=enum_label(a.status),
                  reason=a.reason or t("ui_minutes.no_reason")) if a.status is not None
                else t("ui_minutes.absentee_unmarked", name=a.member_name)
                for a in absentees(r.attendance)]
        self.query_one("#absentees", Static).update(content(t(
            "ui_minutes.record_absentees", list=sep.join(away) or t("ui.none"))))
        self._show_close_check(r)
        items = [t("ui_minutes.agenda_line", pos=i.position, title=i.title,
                   act=t("ui_minutes.item_act", act=enum_label(i.act)) if i.act else "")
                 for i in m.agenda]
        self.query_one("#agenda", Static).update(content("\n".join(items) or t("ui.none")))
        positions = {i.id: str(i.position) for i in m.agenda}

        att = self.query_one("#attendance", DataTable)
        att.clear(columns=True)
        att.add_columns(t("report.name"), t("ui.col_kind"), t("report.status"),
                        t("report.reason"), t("ui.col_method"))
        for a in r.attendance:
            att.add_row(cell(a.member_name),
                        cell(t("ui.full") if a.is_full else t("ui.probationary")),
                        cell(enum_label(a.status) if a.status else t("report.unmarked")),
                        cell(a.reason), cell(enum_label(a.method) if a.method else ""),
                        key=str(a.id))

        gu = self.query_one("#guests", DataTable)
        gu.clear(columns=True)
        gu.add_columns(t("field.name"), t("field.affiliation"), t("field.reason"))
        for g in r.guests:
            gu.add_row(cell(g.name), cell(g.affiliation), cell(g.reason), key=str(g.id))
        if not r.guests:
            gu.add_row(cell(t("ui.none")), cell(""), cell(""))

        sp = self.query_one("#speeches", DataTable)
        sp.clear(columns=True)
        sp.add_columns(t("ui.col_time"), t("ui_minutes.col_item"), t("field.speaker"),
                       t("field.speech"))
        for s in r.speeches:
            sp.add_row(cell(s.spoken_at.strftime("%H:%M")),
                       cell(positions.get(s.agenda_item_id or 0, "")),
                       cell(s.speaker_name), cell(s.text), key=str(s.id))

        de = self.query_one("#decisions", DataTable)
        de.clear(columns=True)
        de.add_columns(t("ui_minutes.col_item"), t("ui_minutes.act"), t("field.decision"),
                       t("field.candidate"), t("ui.col_votes"), t("ui.col_result"),
                       t("ui_minutes.owner"), t("ui_minutes.due"))
        for d in r.decisions:
            votes = f"{d.yes}/{d.no}/{d.abstain}"
            if d.written_yes or d.written_no or d.written_abstain:
                votes += t("ui_minutes.written_votes", yes=d.written_yes, no=d.written_no,
                           abstain=d.written_abstain)
            de.add_row(cell(positions.get(d.agenda_item_id or 0, "")), cell(enum_label(d.act)),
                       cell(d.text), cell(d.candidate_name), cell(votes),
                       cell(t_params(d.reason_key, d.reason_params),
                            "green" if d.passed else "red"),
                       cell(name(d.follow_up_owner_id) if d.follow_up_owner_id else ""),
                       cell(d.follow_up_due.isoformat() if d.follow_up_due else ""),
                       key=str(d.id))
        for table in self.query(DataTable):
            if cursors.get(table.id) and table.row_count:
                table.move_cursor(row=min(cursors[table.id], table.row_count - 1))
        self._show_speech(sp.cursor_row)
        self._show_decision(de.cursor_row)

    def _show_close_check(self, r: MeetingRecord) -> None:
        """What the record lacked when the meeting was closed, and why it was closed all
        the same: it stays on the record whatever was added afterwards."""
        box = self.query_one("#close-check", Static)
        check = r.close_check
        box.display = check is not None
        if check is None:
            return
        gaps = (t("ui_minutes.gap_sep").join(describe(f) for f in check.findings)
                or t("ui_minutes.record_close_clean"))
        text = t("ui_minutes.record_close_check", time=when(check.closed_at),
                 name=check.closed_by_name or t("ui_minutes.unset"), gaps=gaps)
        if check.reason:
            text += "\n" + t("ui_minutes.record_close_reason", reason=check.reason)
        box.update(content(text))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "speeches":
            self._show_speech(event.cursor_row)
        elif event.data_table.id == "decisions":
            self._show_decision(event.cursor_row)

    def _show_speech(self, row: int) -> None:
        """The whole of the highlighted remark, wrapped: a table cell cuts it off."""
        box = self.query_one("#speech-full", Static)
        if self.record is None or not (0 <= row < len(self.record.speeches)):
            box.update(content(t("ui.none")) if self.record else "")
            return
        s = self.record.speeches[row]
        box.update(content(t("ui_minutes.speech_full", time=s.spoken_at.strftime("%H:%M"),
                             name=s.speaker_name, text=s.text)))

    def _show_decision(self, row: int) -> None:
        box = self.query_one("#decision-full", Static)
        if self.record is None or not (0 <= row < len(self.record.decisions)):
            box.update("")
            return
        d = self.record.decisions[row]
        box.update(content(t("ui_minutes.decision_full", text=d.text,
                             reason=t_params(d.reason_key, d.reason_params),
                             expected=d.voters_expected, present=d.voters_present,
                             rules=d.rule_version or "-")))


# -- the review ----------------------------------------------------------------------------


class ReviewScreen(DataScreen):
    """The gaps of one meeting's record, most serious first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="review.back"),
        Binding("enter,ctrl+r", "record", "ui_minutes.key_record", id="review.record"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="review.refresh"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.findings: list[Finding] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="record-body"):
            yield Static(id="head", classes="who")
            yield Label(t("ui_minutes.review_title"), classes="section-title")
            yield Static(id="summary", classes="summary")
            yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
            yield Static(id="detail", classes="summary")
            yield Static(t("ui_minutes.review_hint"), classes="summary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, mid = self.actor, self.meeting_id
        self.fetch("review", lambda: self.services.meetings.record(actor, mid))

    def on_loaded(self, message: Loaded) -> None:
        record: MeetingRecord = message.data
        m = record.meeting
        self.query_one("#head", Static).update(content(t(
            "ui_minutes.review_head", title=m.title, start=when(m.planned_start))))
        self.findings = check_record(record)
        must = sum(1 for f in self.findings if f.severity == MUST)
        should = len(self.findings) - must
        self.query_one("#summary", Static).update(content(
            t("ui_minutes.review_ok") if not self.findings
            else t("ui_minutes.review_summary", must=must, should=should)))
        table = self.query_one("#findings", DataTable)
        table.clear(columns=True)
        table.add_columns(t("ui_minutes.col_severity"), t("ui_minutes.col_gap"),
                          t("ui_minutes.col_concerns"))
        for i, f in enumerate(self.findings):
            severe = f.severity == MUST
            table.add_row(cell(t("ui_minutes.must" if severe else "ui_minutes.should"),
                               "bold red" if severe else "yellow"),
                          cell(finding_text(f)), cell(subjects_text(f)), key=str(i))
        self._detail(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, row: int) -> None:
        detail = self.query_one("#detail", Static)
        if 0 <= row < len(self.findings) and self.findings[row].subjects:
            f = self.findings[row]
            detail.update(content(describe(f)))
        else:
            detail.update("")

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_record()

    def action_record(self) -> None:
        self.app.push_screen(RecordScreen(self.meeting_id))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return [
            (t("ui_minutes.cmd_record"), t("ui_minutes.cmd_record_help"), self.action_record),
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
        ]
