"""The read-only record page of a meeting (DOMAIN.md §5)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Label, Static

from branchtui.i18n import enum_label, t, t_params
from branchtui.services import MeetingRecord
from branchtui.ui.screens.base import DataScreen, Loaded
from branchtui.ui.text import cell, content, when


class RecordScreen(DataScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="record.back"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="record.refresh"),
    ]

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="record-body"):
            yield Static(id="head", classes="who")
            yield Static(id="counts", classes="summary")
            yield Label(t("ui.record_attendance"), classes="section-title")
            yield DataTable(id="attendance", cursor_type="row", zebra_stripes=True)
            yield Label(t("ui.record_speeches"), classes="section-title")
            yield DataTable(id="speeches", cursor_type="row")
            yield Label(t("ui.record_decisions"), classes="section-title")
            yield DataTable(id="decisions", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, mid = self.actor, self.meeting_id
        self.fetch("record", lambda: self.services.meetings.record(actor, mid))

    def on_loaded(self, message: Loaded) -> None:
        r: MeetingRecord = message.data
        m = r.meeting
        kinds = "、".join(enum_label(o) for o in m.obligations)
        self.query_one("#head", Static).update(content(t(
            "ui.record_head", title=m.title, number=m.number or "-", kinds=kinds,
            start=when(m.planned_start), place=m.place, status=enum_label(m.status),
            chain=(t("ui.chain_imported") if r.chain_entries == 0 else
                   t("ui.chain_ok") if r.chain_ok else t("ui.chain_bad")),
            entries=r.chain_entries)))
        c = r.counts
        live = f"{r.written_live_share:.0%}" if r.written_live_share is not None else "-"
        self.query_one("#counts", Static).update(content(t(
            "ui.record_counts", ef=c.expected_full, ep=c.expected_probationary,
            pf=c.present_full, pp=c.present_probationary, leave=c.leave, absent=c.absent,
            exempt=c.exempt, live=live)))
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
        sp = self.query_one("#speeches", DataTable)
        sp.clear(columns=True)
        sp.add_columns(t("ui.col_time"), t("field.speaker"), t("field.speech"))
        for s in r.speeches:
            sp.add_row(cell(s.spoken_at.strftime("%H:%M")), cell(s.speaker_name), cell(s.text),
                       key=str(s.id))
        de = self.query_one("#decisions", DataTable)
        de.clear(columns=True)
        de.add_columns(t("field.decision"), t("ui.col_votes"), t("ui.col_result"))
        for d in r.decisions:
            votes = f"{d.yes}/{d.no}/{d.abstain}"
            de.add_row(cell(d.text), cell(votes),
                       cell(t_params(d.reason_key, d.reason_params), "green" if d.passed else "red"),
                       key=str(d.id))
