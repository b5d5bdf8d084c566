"""Text reports for the command line: compliance, attendance rates, a member's history,
the rights audit.
tabulate (with wcwidth, so Chinese columns align) for plain/github; csv; json."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tabulate import tabulate

from branchtui.core.audit import action_label, describe, fields
from branchtui.core.enums import ComplianceState, Obligation, OrgKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import PeriodSpan, parse_period
from branchtui.i18n import enum_label, t
from branchtui.services import Actor, Services
from branchtui.services.roster import AuditEntry

OBLIGATION_COLUMNS = tuple(Obligation)


def _default_org(svc: Services, actor: Actor) -> int:
    """The widest org the actor watches from above, else their branch."""
    orgs = svc.roster.orgs(actor)
    for kind in (OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH):
        for o in orgs:
            if o.kind == kind:
                return o.id
    branches = svc.roster.my_branches(actor)
    if not branches:
        raise ValidationError("report.no_org")
    return branches[0].id


def compliance_table(svc: Services, actor: Actor, org_id: int | None,
                     window: PeriodSpan) -> tuple[list[str], list[list[Any]]]:
    org_id = org_id or _default_org(svc, actor)
    rows = svc.queries.compliance(actor, org_id, window)
    headers = [t("report.branch")] + [enum_label(o) for o in OBLIGATION_COLUMNS] + [
        t("report.met"), t("report.open"), t("report.overdue"), t("report.last_activity"),
        t("report.silent")]
    out = []
    for b in rows:
        cells = []
        for o in OBLIGATION_COLUMNS:
            mine = [r for r in b.rows if r.obligation == o]
            applicable = [r for r in mine if r.state != ComplianceState.NOT_APPLICABLE]
            if not applicable:
                cells.append(t("report.na") if mine else "")
                continue
            met = sum(r.state == ComplianceState.MET for r in applicable)
            overdue = sum(r.state == ComplianceState.OVERDUE for r in applicable)
            cell = f"{met}/{len(applicable)}"
            if overdue:
                cell += " " + t("report.overdue_n", n=overdue)
            cells.append(cell)
        out.append([b.branch_name, *cells, b.summary.met, b.summary.open, b.summary.overdue,
                    b.last_activity.isoformat() if b.last_activity else "",
                    t("report.yes") if b.silent else ""])
    return headers, out


def attendance_table(svc: Services, actor: Actor, org_id: int | None,
                     window: PeriodSpan) -> tuple[list[str], list[list[Any]]]:
    if org_id is None:
        branches = svc.roster.my_branches(actor)
        if not branches:  # the upper level has no branch of its own: a message, not an IndexError
            raise ValidationError("report.no_org")
        org_id = branches[0].id
    branch_id = org_id
    rates = svc.queries.attendance_rates(actor, branch_id, window.starts.year)
    headers = [t("report.name"), t("report.expected"), t("report.present"), t("report.late"),
               t("report.leave"), t("report.absent"), t("report.rate")]
    return headers, [[r.name, r.expected, r.present, r.late, r.leave, r.absent,
                      f"{r.rate:.0%}" if r.rate is not None else "-"] for r in rates]


def member_table(svc: Services, actor: Actor, member: str | None) -> tuple[list[str], list[list[Any]]]:
    member_id = actor.member_id if member is None else _member_id(svc, member)
    history = svc.queries.member_history(actor, member_id)
    headers = [t("report.date"), t("report.meeting"), t("report.status"), t("report.reason")]
    return headers, [[h.day.isoformat(), h.title,
                      enum_label(h.status) if h.status else t("report.unmarked"), h.reason]
                     for h in history]


def audit_entries(svc: Services, actor: Actor, org_id: int | None,
                  member: str | None = None) -> tuple[list[AuditEntry], dict[int, str]]:
    """The rights audit the actor reads (their own scope unless ``org_id``), with the names
    of the organisations they can see (for the branch ids inside before / after)."""
    if org_id is None:
        scope = svc.roster.audit_scope(actor)
        # None: the actor reads no audit; rights_audit(actor, None) refuses with the reason.
        org_id = scope.org_id if scope is not None else None
    member_id = _member_id(svc, member) if member else None
    entries = svc.roster.rights_audit(actor, org_id, member_id=member_id)
    return entries, {o.id: o.name for o in svc.roster.orgs(actor)}


def audit_table(entries: list[AuditEntry],
                org_names: dict[int, str]) -> tuple[list[str], list[list[Any]]]:
    headers = [t("audit.col_time"), t("audit.col_who"), t("audit.col_action"),
               t("audit.col_member"), t("audit.col_org"), t("audit.col_before"),
               t("audit.col_after")]
    return headers, [[e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor_name,
                      action_label(e.action), e.member_name, e.org_name,
                      describe(e.before, org_names), describe(e.after, org_names)]
                     for e in entries]


def audit_json(entries: list[AuditEntry]) -> str:
    """Stable English field names and the stored before / after as JSON objects, for
    programs; the words are for people and live in the text formats."""
    return json.dumps([{
        "id": e.id, "at": e.at.isoformat(timespec="seconds"), "actor_id": e.actor_id,
        "actor": e.actor_name, "action": e.action, "member_id": e.member_id,
        "member": e.member_name, "org_id": e.org_id, "org": e.org_name,
        "before": fields(e.before), "after": fields(e.after)} for e in entries],
        ensure_ascii=False, indent=2)


def _member_id(svc: Services, member: str) -> int:
    if member.isdigit():
        return int(member)
    return svc.roster.actor_for_login(member).member_id


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render(headers: list[str], rows: list[list[Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(headers, r, strict=True)) for r in rows],
                          ensure_ascii=False, indent=2, default=str)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(headers)
        w.writerows([[_csv_safe(v) for v in r] for r in rows])
        return buf.getvalue()
    return tabulate(rows, headers=headers, tablefmt="github" if fmt == "github" else "simple",
                    disable_numparse=True)


def render_report(svc: Services, actor: Actor, kind: str, *, org_id: int | None = None,
                  period: str | None = None, member: str | None = None,
                  fmt: str = "plain") -> str:
    if kind == "compliance":
        # Without --period: the quarter it is now where the organisation is.
        org_id = org_id or _default_org(svc, actor)
        window = parse_period(period) if period else svc.queries.current_quarter(org_id)
        headers, rows = compliance_table(svc, actor, org_id, window)
    elif kind == "audit":
        entries, org_names = audit_entries(svc, actor, org_id, member)
        if fmt == "json":
            return audit_json(entries)
        headers, rows = audit_table(entries, org_names)
    elif kind == "attendance":
        window = parse_period(period) if period else parse_period(
            str(svc.ctx.today(org_id).year))
        headers, rows = attendance_table(svc, actor, org_id, window)
    else:
        headers, rows = member_table(svc, actor, member)
    return render(headers, rows, fmt)

