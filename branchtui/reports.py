"""Text reports for the command line: compliance, attendance rates, a member's history.
tabulate (with wcwidth, so Chinese columns align) for plain/github; csv; json."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tabulate import tabulate

from branchtui.core.enums import ComplianceState, Obligation, OrgKind
from branchtui.core.errors import ValidationError
from branchtui.core.periods import PeriodSpan, parse_period
from branchtui.i18n import enum_label, t
from branchtui.services import Actor, Services

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
    branch_id = org_id or svc.roster.my_branches(actor)[0].id
    rates = svc.queries.attendance_rates(actor, branch_id, window.starts.year)
    headers = [t("report.name"), t("report.expected"), t("report.present"), t("report.late"),
               t("report.leave"), t("report.absent"), t("report.rate")]
    return headers, [[r.name, r.expected, r.present, r.late, r.leave, r.absent,
                      f"{r.rate:.0%}" if r.rate is not None else "-"] for r in rates]


def member_table(svc: Services, actor: Actor, member: str | None) -> tuple[list[str], list[list[Any]]]:
    if member is None:
        member_id = actor.member_id
    elif member.isdigit():
        member_id = int(member)
    else:
        member_id = svc.roster.actor_for_login(member).member_id
    history = svc.queries.member_history(actor, member_id)
    headers = [t("report.date"), t("report.meeting"), t("report.status"), t("report.reason")]
    return headers, [[h.day.isoformat(), h.title,
                      enum_label(h.status) if h.status else t("report.unmarked"), h.reason]
                     for h in history]


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
    today = svc.ctx.today()
    if kind == "compliance":
        window = parse_period(period) if period else svc.queries.current_quarter()
        headers, rows = compliance_table(svc, actor, org_id, window)
    elif kind == "attendance":
        window = parse_period(period) if period else parse_period(str(today.year))
        headers, rows = attendance_table(svc, actor, org_id, window)
    else:
        headers, rows = member_table(svc, actor, member)
    return render(headers, rows, fmt)

