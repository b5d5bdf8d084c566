"""What every service shares: the actor, the clock, one transaction per call, the change
log with its per-meeting hash chain, and optimistic version checks."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from peewee import Database, Model

from branchtui.core.errors import Conflict, NotFound
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.store import models as m
from branchtui.store.db import is_sqlite, write_transaction
from branchtui.store.feed import notify_sql

if TYPE_CHECKING:
    from branchtui.services.permissions import Grants


@dataclass(frozen=True)
class Actor:
    """Who is acting. Built by the CLI or the SSH gateway from an authenticated identity,
    never from anything the user typed."""

    member_id: int
    name: str
    login: str | None = None
    is_admin: bool = False
    via: str = "local"  # local | ssh | demo | cli


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Server time, to the second (records say 'to the minute'; seconds are kept)."""

    def now(self) -> datetime:
        return datetime.now().replace(microsecond=0)


@dataclass
class FixedClock:
    """For tests and demos: a clock that only moves when told."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current = self.current + timedelta(**delta)


@dataclass
class Context:
    db: Database
    clock: Clock = dataclasses.field(default_factory=SystemClock)
    rules: RuleSet = DEFAULT_RULES

    def today(self) -> date:
        return self.clock.now().date()


T = TypeVar("T")


class Service:
    """Base of the services. Subclasses call ``self.write()`` / ``self.read()``."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def db(self) -> Database:
        return self.ctx.db

    def now(self) -> datetime:
        return self.ctx.clock.now()

    def grants(self, actor: Actor) -> Grants:
        """The actor's roles today; call inside the transaction."""
        from branchtui.services.permissions import Grants

        return Grants.load(actor, self.ctx.today())

    def _connect(self) -> None:
        # One connection per thread, kept open: connecting per call costs a TCP round trip
        # and authentication on PostgreSQL. peewee's connection state is thread-local, and
        # a connection is closed when its thread ends.
        self.db.connect(reuse_if_open=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction (IMMEDIATE on SQLite)."""
        self._connect()
        with write_transaction(self.db):
            yield

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        """One read transaction: a snapshot on SQLite, statement-consistent on PostgreSQL."""
        self._connect()
        with self.db.atomic():
            yield

    def lock_branch(self, branch_id: int) -> None:
        """Serialise read-then-write work within a branch on PostgreSQL (第X次 numbers, a
        series' missing occurrences, the year's grades): they are computed from the rows
        that exist, so two concurrent writers would otherwise both see the same state
        (measured: 8 concurrent schedules got numbers 1,1,1,1,1,2,4,4). NO KEY UPDATE does not block the inserts
        that merely reference the branch. SQLite's IMMEDIATE transaction already
        serialises all writers."""
        if not is_sqlite(self.db):
            (m.Org.select(m.Org.id).where(m.Org.id == branch_id)
             .for_update("FOR NO KEY UPDATE").first())

    def lock_meeting(self, meeting_id: int) -> m.Meeting:
        """Fetch the meeting, locking its row on PostgreSQL so that writes to one meeting's
        record (and its hash chain) are serialised. SQLite's IMMEDIATE transaction already
        serialises all writers."""
        q = m.Meeting.select().where(m.Meeting.id == meeting_id)
        if not is_sqlite(self.db):
            q = q.for_update()
        row = q.first()
        if row is None:
            raise NotFound(what="meeting", id=meeting_id)
        return row


def get_or_404(model: type[Model], pk: int) -> Any:
    row = model.get_or_none(model._meta.primary_key == pk)
    if row is None:
        raise NotFound(what=model._meta.table_name, id=pk)
    return row


def check_version(row: Any, expected: int | None, snapshot: Callable[[Any], Any]) -> None:
    """Refuse a stale write. ``expected`` is the version the user started from; None skips
    the check (for creations and system writes). ``snapshot`` turns the row into the core
    object handed to the UI so the user can see what changed and choose."""
    if expected is not None and row.version != expected:
        raise Conflict(yours=expected, current_version=row.version, current=snapshot(row))


def bump(model: type[Model], row: Any, expected: int | None, **changes: Any) -> None:
    """Update ``row`` with ``changes`` and version+1, guarded by ``WHERE version = old``:
    even if two transactions raced past ``check_version`` only one update lands."""
    old = row.version
    changes["version"] = old + 1
    n = (
        model.update(**changes)
        .where((model._meta.primary_key == row.id) & (model.version == old))
        .execute()
    )
    if n != 1:
        raise Conflict(yours=expected if expected is not None else old, current_version=old + 1)
    for k, v in changes.items():
        setattr(row, k, v)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(_jsonable(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + "\n" + payload).encode("utf-8")).hexdigest()


def record_change(
    ctx: Context,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    data: dict[str, Any],
    meeting_id: int | None = None,
) -> str:
    """Append to the change log. Changes to a meeting's record chain by hash: each entry's
    hash covers the previous entry of the same meeting, so editing or deleting any past
    entry breaks every later hash (``verify_chain``). The caller holds the meeting lock."""
    at = ctx.clock.now()
    prev = ""
    if meeting_id is not None:
        last = (
            m.ChangeLog.select(m.ChangeLog.hash)
            .where(m.ChangeLog.meeting == meeting_id)
            .order_by(m.ChangeLog.id.desc())
            .limit(1)
            .scalar()
        )
        prev = last or ""
    payload = canonical(
        {
            "at": at,
            "actor": actor.member_id if actor else None,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "meeting": meeting_id,
            "data": data,
        }
    )
    digest = chain_hash(prev, payload)
    m.ChangeLog.insert(
        at=at,
        actor=actor.member_id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        meeting=meeting_id,
        data=payload,
        prev_hash=prev,
        hash=digest,
    ).execute()
    if meeting_id is not None and not is_sqlite(ctx.db):
        # Delivered at commit to every session following the change feed (store/feed.py).
        ctx.db.execute_sql(notify_sql(), (str(meeting_id),))
    return digest


def verify_chain(meeting_id: int) -> tuple[bool, int, str]:
    """Recompute a meeting's chain: (ok, entries, last hash). Caller opens the read."""
    prev = ""
    n = 0
    for payload, prev_hash, digest in (
        m.ChangeLog.select(m.ChangeLog.data, m.ChangeLog.prev_hash, m.ChangeLog.hash)
        .where(m.ChangeLog.meeting == meeting_id)
        .order_by(m.ChangeLog.id)
        .tuples()
    ):
        if prev_hash != prev or chain_hash(prev, payload) != digest:
            return False, n, prev
        prev = digest
        n += 1
    return True, n, prev
