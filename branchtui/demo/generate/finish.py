"""The last steps of a build: the rights audit of the posts, approved leave on the rolls,
the import's entry in the change log, the ids' sequences, and the summary."""

from __future__ import annotations

import hashlib
import json
import time as _time
from datetime import date, datetime, time

from branchtui.demo.generate import attendance
from branchtui.demo.generate.profiles import DemoSummary
from branchtui.demo.generate.world import World
from branchtui.store.models import ChangeLog, Position, RightsAudit


def finish(w: World, started: float) -> DemoSummary:
    sink = w.sink
    sink.flush()
    _audit_posts(w)
    attendance.apply_approved_leave(w)
    _log_import(w)
    sink.flush()
    sink.reset_sequences()
    counts = dict(sink.counts)
    return DemoSummary(
        profile=w.profile.name,
        orgs=counts.get("org", 0),
        members=counts.get("member", 0),
        meetings=counts.get("meeting", 0),
        attendance=counts.get("attendance", 0),
        seconds=round(_time.perf_counter() - started, 3),
        personas={role: p.login for role, p in w.personas.items()},
        rows=dict(sorted(counts.items())),
    )


def _audit_posts(w: World) -> None:
    """The rights audit of the demo: every post as the administrator's appointment on
    its first day, so that the audit screen and report have a history to show."""
    audit = w.sink.table(RightsAudit)
    admin = w.personas["admin"].id
    posts = (
        Position.select(Position.member, Position.org, Position.role, Position.starts,
                        Position.ends)
        .order_by(Position.starts, Position.id)
        .tuples()
    )
    for member, org, role, starts, ends in posts:
        audit.add(
            id=audit.next_id(),
            at=datetime.combine(starts, time(9, 0)),
            actor_id=admin,
            action="position.appoint",
            member_id=member,
            org_id=org,
            before="",
            after=_audit_after(role, org, starts, ends),
        )
    w.sink.flush()


def _audit_after(role: str, org: int, starts: date, ends: date | None) -> str:
    """What ``services.roster.audit_rights`` writes for an appointment (canonical JSON)."""
    data = {"role": role, "org": org, "starts": starts.isoformat(),
            "ends": ends.isoformat() if ends else None}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _log_import(w: World) -> None:
    """One ChangeLog entry for the import: profile, seed, today and the rows written."""
    summary = {
        "profile": w.profile.name,
        "seed": w.seed,
        "today": w.today.isoformat(),
        "rows": dict(sorted(w.sink.counts.items())),
    }
    data = json.dumps(summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    log = w.sink.table(ChangeLog)
    log.add(
        id=log.next_id(),
        at=w.now,
        actor=w.personas["admin"].id,
        action="import",
        entity="demo",
        data=data,
        hash=hashlib.sha256(data.encode()).hexdigest(),
    )
