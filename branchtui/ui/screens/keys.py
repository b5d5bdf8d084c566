"""The branch's login keys for the SSH gateway: every current member with their keys, and
who has none yet (they cannot log in). The secretary adds a key by pasting its line and
removes one when a laptop is lost; a removed key stops working for new sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from branchtui.i18n import t
from branchtui.services.roster import KeyRow
from branchtui.ui.dialogs.member_edit import confirm_dialog, key_dialog
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content, when


class KeysScreen(DataScreen):
    """``branch_id``: the branch whose keys are shown (the actor must lead it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="keys.back"),
        Binding("a,k", "add", "ui_members.key_add_key", id="keys.add"),
        Binding("d,delete", "remove", "ui_members.key_remove_key", id="keys.remove"),
        Binding("enter", "open", "ui_members.key_open", id="keys.open"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="keys.refresh"),
    ]

    def __init__(self, branch_id: int | None) -> None:
        super().__init__()
        self.branch_id = branch_id
        self.rows: list[KeyRow] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="keys-head", classes="who")
        yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#keys-table", DataTable)
        table.styles.height = "1fr"
        table.styles.max_height = "100%"
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, bid = self.actor, self.branch_id
        if bid is None:
            self.query_one("#keys-head", Static).update(content(t("ui.no_branch")))
            return
        self.fetch("keys", lambda: self.services.roster.branch_keys(actor, bid))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add", "open"):
            return self.selected() is not None
        if action == "remove":
            row = self.selected()
            return row is not None and row.fingerprint is not None
        return True

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        out = [(t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]
        if self.rows:
            out += [
                (t("ui_members.cmd_add_key"), t("ui_members.cmd_add_key_help"), self.action_add),
                (t("ui_members.cmd_remove_key"), t("ui_members.cmd_remove_key_help"),
                 self.action_remove),
                (t("ui_members.cmd_open"), t("ui_members.cmd_open_help"), self.action_open),
            ]
        return out

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        if self.rows is None:
            self.query_one("#keys-head", Static).update(content(message.text))

    def on_loaded(self, message: Loaded) -> None:
        self.rows = message.data
        table = self.query_one("#keys-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_columns(t("report.name"), t("ui_members.col_login"),
                          t("ui_members.col_fingerprint"), t("ui_members.col_comment"),
                          t("ui_members.col_added"))
        with_key = {r.member_id for r in self.rows if r.fingerprint is not None}
        members = {r.member_id for r in self.rows}
        for i, r in enumerate(self.rows):
            if r.fingerprint is None:
                table.add_row(cell(r.name), cell(r.login or "-"),
                              cell(t("ui_members.no_key"), "yellow"), cell(""), cell(""),
                              key=f"m{r.member_id}:{i}")
            else:
                table.add_row(cell(r.name), cell(r.login or "-"), cell(r.fingerprint),
                              cell(r.comment), cell(when(r.added_at)),
                              key=f"k{r.key_id}:{i}")
        if 0 < keep < table.row_count:
            table.move_cursor(row=keep, animate=False)
        self.query_one("#keys-head", Static).update(content(t(
            "ui_members.keys_head", members=len(members), with_key=len(with_key),
            without=len(members) - len(with_key))))
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def selected(self) -> KeyRow | None:
        if not self.rows:
            return None
        row = self.query_one("#keys-table", DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def action_add(self) -> None:
        row = self.selected()
        if row is not None:
            self.app.push_screen(key_dialog(self.services, self.actor, row.member_id, row.name),
                                 self.after_dialog("ui_members.key_added"))

    def action_remove(self) -> None:
        row = self.selected()
        if row is None or row.fingerprint is None:
            return
        svc, actor, fp = self.services, self.actor, row.fingerprint
        self.app.push_screen(confirm_dialog(
            t("ui_members.remove_key_title"),
            t("ui_members.remove_key_intro", fingerprint=fp),
            lambda: svc.roster.remove_key(actor, fp)), self.after_dialog("ui_members.key_removed"))

    def action_open(self) -> None:
        from branchtui.ui.screens.members import MemberDetailScreen

        row = self.selected()
        if row is not None:
            self.app.push_screen(MemberDetailScreen(row.member_id))
