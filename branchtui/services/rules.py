"""Local rules as the services see them: every organisation's rule history read once per
unit of work, a change written as a new row in force from a day, and the history read
back.

**One reader.** Every service that applies a rule asks ``Service.rules_for(org, day)`` (or,
for compliance, which walks periods, the organisation's ``Timeline``): the defaults, then
each organisation's own rules from the top down, as in force on that day
(core/rulebook.py). The book behind it (``Context.rulebook``) is read once per unit of
work: one query for all organisations' rule rows, and the tree only when there are any,
never a query per organisation or period. ``Context.rules`` is the defaults only.

**Which day.** The day the rule is about, never "today" by habit: a meeting's quorum and
votes, its 第X次 report year, and whether its branch has a committee are judged by its
branch's rules on the meeting's date; a compliance period by the rules in force on its
last day, when it falls due (core/compliance.py, ``rules_of_period``), so that a rule a
committee tightens today does not make last year overdue; the warning lines of a member
(six months, unexcused absences) by their branch's rules today; the 优秀 cap of an
appraisal year by the branch's rules on 31 December of that year.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from peewee import JOIN

from branchtui.core import model as c
from branchtui.core.enums import OrgKind
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.rulebook import RuleBook, RuleRow, in_force, parse_overrides
from branchtui.core.ruleset import RuleSet
from branchtui.services.base import bump, check_version, get_or_404, record_change
from branchtui.services.permissions import org_target
from branchtui.store import convert
from branchtui.store import models as m

if TYPE_CHECKING:
    from branchtui.services.actor import Actor
    from branchtui.services.base import Service

# The days a rule may be in force from: the years a meeting may have (services/meetings.py).
YEAR_MIN, YEAR_MAX = 1921, 2100


@frozen
class RuleChange:
    """One row of an organisation's rule history: its own overrides (canonical JSON, ""
    for none of its own) in force from ``starts``; who set them and when (None: kept from
    before the history, migration 0010)."""

    row_id: int
    org_id: int
    org_name: str
    starts: date
    overrides: str
    set_by: str | None
    set_at: datetime


@frozen
class RuleHistory:
    """What ``roster.rule_history`` shows of an organisation: the rule rows of it and of
    every organisation above it (top first, then by ``starts``), and the rules in force
    today (in its zone) with the rows they come from."""

    org_id: int
    today: date
    rules: RuleSet
    in_force: tuple[int, ...]  # row ids applied today, top first
    changes: tuple[RuleChange, ...]


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def read_rulebook(base: RuleSet) -> RuleBook:
    """Every organisation's rules, from the store: the rule rows in one query (the table
    holds a few rows per organisation that has rules of its own) and, only when there are
    any, the tree (id, parent) in a second. Caller holds the connection."""
    r = m.OrgRules
    rows = [RuleRow(org_id, _day(starts), overrides, row_id)
            for row_id, org_id, starts, overrides in m.OrgRules.select(
                r.id, r.org, r.starts, r.overrides_json).tuples()]
    if not rows:
        return RuleBook(base)
    parents = dict(m.Org.select(m.Org.id, m.Org.parent).tuples())
    return RuleBook(base, rows, parents)


def canonical_overrides(overrides: str | dict[str, Any] | None) -> str | None:
    """The overrides checked (``parse_overrides``) and written one way (sorted keys), or
    None when there are none."""
    parsed = parse_overrides(overrides)
    if not parsed:
        return None
    return json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def set_org_rules(svc: Service, actor: Actor, org_id: int, overrides_json: str | None,
                  expected_version: int | None, starts: date | None) -> c.Org:
    """``roster.set_rules``: the organisation's own rules from ``starts`` on (default: today
    in its zone), as a new row of its history; rows are never changed. Checked by merging
    into the defaults (an unknown rule or a bad value is refused), refused for a 党小组
    (its meetings are its branch's). The organisation's version goes up, so that two
    people changing its rules at once get a conflict, not a silent overwrite."""
    with svc.write():
        row = get_or_404(m.Org, org_id)
        svc.grants(actor).check("roster.set_rules", org_target(org_id))
        check_version(row, expected_version, convert.org)
        if row.kind == OrgKind.GROUP.value:
            raise ValidationError("org.rules_group")
        day = starts if starts is not None else svc.ctx.today(org_id)
        if not YEAR_MIN <= day.year <= YEAR_MAX:
            raise ValidationError("rules.bad_start", value=day.isoformat())
        text = canonical_overrides(overrides_json)
        own = sorted((_day(s), rid, o) for rid, s, o in m.OrgRules.select(
            m.OrgRules.id, m.OrgRules.starts, m.OrgRules.overrides_json).where(
            m.OrgRules.org == org_id).tuples())
        before = in_force([RuleRow(org_id, s, o, rid) for s, rid, o in own], day)
        new_id = m.OrgRules.insert(org=org_id, starts=day, overrides_json=text,
                                   set_by=actor.member_id, set_at=svc.now(org_id)).execute()
        bump(m.Org, row, expected_version)
        record_change(svc.ctx, actor, "org.rules", "org", row.id,
                      {"rules": text, "starts": day, "row": new_id,
                       "before": before.overrides if before is not None else None})
        svc.ctx.rules_changed()
        return convert.org(row)


def rule_history(svc: Service, org_id: int, today: date) -> RuleHistory:
    """``roster.rule_history`` once its rights are checked (the caller holds the read)."""
    book = svc.ctx.rulebook()
    chain = book.chain(org_id)  # no rows at all: [org_id], and nothing to list anyway
    depth = {oid: i for i, oid in enumerate(chain)}
    r = m.OrgRules
    rows = list(r.select(r.id, r.org, r.starts, r.overrides_json, r.set_at, m.Member.name,
                         m.Org.name)
                .join(m.Org, on=(m.Org.id == r.org))
                .switch(r).join(m.Member, JOIN.LEFT_OUTER, on=(m.Member.id == r.set_by))
                .where(r.org.in_(chain)).tuples())
    rows.sort(key=lambda x: (depth[x[1]], _day(x[2]), x[0]))
    changes = tuple(RuleChange(rid, oid, oname or "", _day(starts), overrides or "",
                               who, set_at)
                    for rid, oid, starts, overrides, set_at, who, oname in rows)
    applied = []
    for oid in chain:
        own = [RuleRow(oid, ch.starts, ch.overrides, ch.row_id) for ch in changes
               if ch.org_id == oid]
        now = in_force(own, today)
        if now is not None and now.overrides:
            applied.append(now.row_id)
    return RuleHistory(org_id=org_id, today=today, rules=book.on(org_id, today),
                       in_force=tuple(applied), changes=changes)


__all__ = ["RuleChange", "RuleHistory", "canonical_overrides", "read_rulebook",
           "rule_history", "set_org_rules"]
