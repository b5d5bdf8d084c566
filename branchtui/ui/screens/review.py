"""After the meeting: what the record must contain and still lacks (DOMAIN.md §5).

The check itself is ``core.record_check``; this screen only words and lists it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Label, Static

from branchtui.core.record_check import (
    MUST,
    Finding,
    check_record,
    describe,
    finding_text,
    subjects_text,
)
from branchtui.i18n import t
from branchtui.services import MeetingRecord
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Loaded
from branchtui.ui.text import cell, content, when


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
        from branchtui.ui.screens.record import RecordScreen

        self.app.push_screen(RecordScreen(self.meeting_id))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return [
            (t("ui_minutes.cmd_record"), t("ui_minutes.cmd_record_help"), self.action_record),
            (t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh),
        ]
