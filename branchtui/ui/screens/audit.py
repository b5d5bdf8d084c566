"""The rights audit: who changed whose rights (login keys, login names, posts, branch
membership, the committee and administrator flags), newest first. For the administrator
(everything) and the upper level (its subtree); the service decides who reads what and
anyone else sees its refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Header, Static

from branchtui.core.audit import action_label, describe
from branchtui.i18n import t
from branchtui.services.roster import AuditEntry, AuditScope
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import DataScreen, Failed, Loaded
from branchtui.ui.text import cell, content


class AuditScreen(DataScreen):
    """The actor's part of the rights audit (``RosterService.audit_scope``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "ui.key_back", id="audit.back"),
        Binding("r,f5", "refresh", "ui.key_refresh", id="audit.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[AuditEntry] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(content(t("audit.loading")), id="audit-head", classes="who")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        table.styles.height = "1fr"
        table.styles.max_height = "100%"
        self.action_refresh()

    def action_refresh(self) -> None:
        actor, roster = self.actor, self.services.roster

        def load() -> tuple[AuditScope | None, list[AuditEntry], dict[int, str]]:
            scope = roster.audit_scope(actor)
            # No scope: ask anyway, so that the service's refusal is what the user reads.
            entries = roster.rights_audit(actor, scope.org_id if scope else None)
            return scope, entries, {o.id: o.name for o in roster.orgs(actor)}

        self.fetch("audit", load)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return [(t("ui.cmd_refresh"), t("ui.cmd_refresh_help"), self.action_refresh)]

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this one: not called here again.
        if self.entries is None:
            self.query_one("#audit-head", Static).update(content(message.text))
            self.query_one("#audit-table", DataTable).display = False

    def on_loaded(self, message: Loaded) -> None:
        scope, entries, org_names = message.data
        self.entries = entries
        table = self.query_one("#audit-table", DataTable)
        table.display = True
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_columns(t("audit.col_time"), t("audit.col_who"), t("audit.col_action"),
                          t("audit.col_member"), t("audit.col_org"), t("audit.col_before"),
                          t("audit.col_after"))
        for e in entries:
            table.add_row(cell(e.at.strftime("%Y-%m-%d %H:%M:%S")), cell(e.actor_name),
                          cell(action_label(e.action)), cell(e.member_name),
                          cell(e.org_name), cell(describe(e.before, org_names)),
                          cell(describe(e.after, org_names)), key=str(e.id))
        if 0 < keep < table.row_count:
            table.move_cursor(row=keep, animate=False)
        head = self.query_one("#audit-head", Static)
        if not entries:
            head.update(content(t("audit.empty")))
        elif scope is not None and scope.org_id is not None:
            head.update(content(t("audit.head_org", org=scope.org_name, n=len(entries))))
        else:
            head.update(content(t("audit.head_all", n=len(entries))))
