"""What every service shares: the actor, the clock, one transaction per call, the change
log with its per-meeting hash chain, and optimistic version checks."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from peewee import Database, Model

from branchtui.core.errors import Conflict, NotFound, OutcomeUnknown, Unavailable
from branchtui.core.frozen import cached_dataclass
from branchtui.core.rulebook import RuleBook
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.core.zones import (
    DEFAULT_TIME_ZONE,
    ZoneMap,
    as_instant,
    uniform,
    wall_time,
    zone_map,
)
from branchtui.services.actor import Actor
from branchtui.store import models as m
from branchtui.store.db import is_sqlite, release_connection, write_transaction
from branchtui.store.faults import BUSY, classify, discard_connection
from branchtui.store.feed import notify_sql

if TYPE_CHECKING:
    from branchtui.services.permissions import Grants


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware (UTC). Wall times come from ``Context.now``."""
        ...


class SystemClock:
    """Server time, to the second (records say 'to the minute'; seconds are kept). An
    instant in UTC: the server's own zone (``TZ``, /etc/localtime) decides nothing."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


@cached_dataclass
class FixedClock:
    """For tests and demos: a clock that only moves when told. ``current`` is an aware
    instant, or a naive wall time in ``DEFAULT_TIME_ZONE`` (Asia/Shanghai), whatever the
    process's zone."""

    current: datetime

    def now(self) -> datetime:
        return as_instant(self.current)

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.current = self.current + timedelta(**delta)


class Health:
    """Whether the database answers, as the services see it: ``OK``, or ``LOST`` from the
    moment a reconnect fails until a call succeeds again. Listeners (the app's status line)
    are called on each change, on the thread that saw it."""

    OK, LOST = "ok", "lost"

    def __init__(self) -> None:
        self.state = Health.OK
        self._listeners: list[Callable[[str], object]] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[str], object]) -> Callable[[], None]:
        """Call ``listener(state)`` on every change; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def set(self, state: str) -> None:
        if state == self.state:  # the common case, without the lock
            return
        with self._lock:
            if state == self.state:
                return
            self.state = state
            listeners = list(self._listeners)
        for listener in listeners:
            listener(state)


@cached_dataclass
class Context:
    db: Database
    clock: Clock = dataclasses.field(default_factory=SystemClock)
    # The defaults only: what an organisation works by on a day is ``rulebook().on``
    # (``Service.rules_for``), its local rules merged in.
    rules: RuleSet = DEFAULT_RULES
    health: Health = dataclasses.field(default_factory=Health)
    # The organisations' zones as last read, by any thread: what a zone is outside a unit of
    # work (a screen's default date) costs no query, on the event loop least of all.
    _zones: ZoneMap | None = dataclasses.field(default=None, init=False, repr=False,
                                               compare=False)

    def zones(self) -> ZoneMap:
        """Every organisation's zone. Read once per unit of work (the tree is small and a
        zone rarely changes, but another process may change one); outside a unit of work,
        as last read."""
        if _unit.depth:
            held = _unit.zones
            if held is not None and held[0] is self:
                return held[1]
            found = self._read_zones()
            _unit.zones = (self, found)
            return found
        known = self._zones
        if known is not None:
            return known
        try:
            return self._read_zones()
        except Exception as exc:
            if _fault(self, exc) is None:
                raise
            # The database is away (a screen asked on the event loop): the default zone
            # for now rather than a crash; the next service call reads them again.
            return ZoneMap(DEFAULT_TIME_ZONE, DEFAULT_TIME_ZONE)

    def _read_zones(self) -> ZoneMap:
        # Outside a unit of work, as one does: a connection checked out here goes back at
        # the end (inside one, the unit of work gives it back).
        opened = self.db.is_closed() and not _unit.depth
        try:
            found = read_zones()
        finally:
            if opened:
                release_connection(self.db)
        # Kept for later only when no change of zones may be pending: none in this unit
        # of work, nor in a caller's transaction (a test's or a script's).
        if not _unit.zones_written and (_unit.depth or not self.db.in_transaction()):
            self._zones = found
        return found

    def zones_changed(self) -> None:
        """An organisation's zone changed (or a new one inherits one): read them again,
        in this unit of work and, once it is over (committed or not), everywhere."""
        _unit.zones, _unit.zones_written = None, True
        self._zones = None

    def rulebook(self) -> RuleBook:
        """Every organisation's rules on every day (services/rules.py): read once per unit
        of work, in its transaction (another process may change a rule at any time);
        outside one, read afresh."""
        held = _unit.rules
        if _unit.depth and held is not None and held[0] is self:
            return held[1]
        from branchtui.services.rules import read_rulebook

        opened = self.db.is_closed() and not _unit.depth
        try:
            found = read_rulebook(self.rules)
        finally:
            if opened:
                release_connection(self.db)
        if _unit.depth:
            _unit.rules = (self, found)
        return found

    def rules_changed(self) -> None:
        """A rule row was written: read them again in this unit of work."""
        _unit.rules = None

    def zone_name(self, org_id: int | None = None) -> str:
        """The IANA name of ``org_id``'s zone; without one, the top organisation's."""
        return self.zones().name(org_id)

    def now(self, org_id: int | None = None) -> datetime:
        """The wall time now in ``org_id``'s zone (naive, as times are stored)."""
        return wall_time(self.clock.now(), self.zone_name(org_id))

    def today(self, org_id: int | None = None) -> date:
        """The day it is now in ``org_id``'s zone: what every rule's "today" is."""
        return self.now(org_id).date()


def read_zones() -> ZoneMap:
    """Every organisation's zone, from the store: one small query when all have the same
    (nobody set one, or only the top), the tree otherwise."""
    names = {z for (z,) in m.Org.select(m.Org.time_zone).where(
        m.Org.time_zone.is_null(False) | m.Org.parent.is_null()).distinct().tuples()}
    return uniform(names) or zone_map(list(
        m.Org.select(m.Org.id, m.Org.parent, m.Org.time_zone).tuples()))


T = TypeVar("T")

# -- one unit of work per service call, retried when the connection was lost -----------------

RETRY_SECONDS = 4.0  # how long a call keeps reconnecting before it gives up
FIRST_DELAY, MAX_DELAY = 0.1, 1.0  # backoff between attempts


class _Unit(threading.local):
    depth = 0  # service calls in progress on this thread (nested calls run as part of one)
    committing = False  # a write transaction of this call reached COMMIT
    # Inside a read transaction opened by read() (and no write since): nested reads join
    # it without a savepoint, and the actor's grants are loaded once.
    grants: dict[tuple[int, date], Any] | None = None
    # The organisations' zones, read once per unit of work: (the Context, its ZoneMap);
    # whether this unit of work changed one.
    zones: tuple[Context, ZoneMap] | None = None
    zones_written = False
    # Every organisation's rules (Context.rulebook), read once per unit of work.
    rules: tuple[Context, RuleBook] | None = None


_unit = _Unit()


def _end_unit(ctx: Context) -> None:
    """What a unit of work read is dropped at its end; after a change of zones, what
    the Context kept too (the change may have been rolled back)."""
    if _unit.zones_written:
        ctx._zones = None
    _unit.zones, _unit.zones_written, _unit.rules = None, False, None


def _fault(ctx: Context, exc: Exception) -> str | None:
    """Classify ``exc``; on a database fault drop the dead connection."""
    kind = classify(exc, ctx.db)
    if kind is not None:
        discard_connection(ctx.db)
    return kind


def unit_of_work(fn: Callable[..., T]) -> Callable[..., T]:
    """Run a service method as one unit of work. When the connection is lost the call is
    repeated on a new connection, with backoff, for up to RETRY_SECONDS, but only while
    that is safe: a read always; a write only if it failed before its COMMIT was sent (the
    server rolled the transaction back). A failure during COMMIT leaves the outcome
    unknown: ``OutcomeUnknown``, never a blind retry. Out of time: ``Unavailable``. A
    SQLite lock that outlasted busy_timeout (15 s of waiting already), or a turn in the
    write queue that never came (a minute, ``store.writequeue``), is ``Unavailable`` at
    once. A call made inside another call (or inside a caller's transaction) runs as
    part of it: only the outermost one retries.

    On PostgreSQL the outermost call checks a connection out of the process's pool and
    gives it back at its end (store/pool.py); a dead one is dropped, never given back.

    Every public method of a ``Service`` subclass is wrapped (``__init_subclass__``)."""

    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> T:
        ctx: Context = self.ctx
        depth = _unit.depth
        if depth or ctx.db.in_transaction():
            _unit.depth = depth + 1
            try:
                return fn(self, *args, **kwargs)
            finally:
                _unit.depth = depth
                if not depth:  # inside a caller's transaction: its own unit of work ends
                    _end_unit(ctx)
        # The connection this call checks out (PostgreSQL's pool) goes back at its end; one
        # the thread already held (a script's, a test's) stays with the thread.
        opened = ctx.db.is_closed()
        try:
            return _outermost(ctx, fn, self, *args, **kwargs)
        finally:
            if opened:
                release_connection(ctx.db)

    call.__unit_of_work__ = True  # type: ignore[attr-defined]
    return call


def _outermost(ctx: Context, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """An outermost unit of work: the call, retried as ``unit_of_work`` says."""
    deadline = time.monotonic() + RETRY_SECONDS
    delay, failures = FIRST_DELAY, 0
    while True:
        _unit.depth, _unit.committing, _unit.zones, _unit.rules = 1, False, None, None
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            kind = _fault(ctx, exc)
            if kind is None:
                raise
            if kind == BUSY:
                raise Unavailable("error.db_busy") from exc
            failures += 1
            if _unit.committing:
                ctx.health.set(Health.LOST)
                raise OutcomeUnknown() from exc
            if failures > 1:  # reconnecting failed too: an outage, not a stale socket
                ctx.health.set(Health.LOST)
            if time.monotonic() + delay > deadline:
                ctx.health.set(Health.LOST)
                raise Unavailable() from exc
        else:
            ctx.health.set(Health.OK)
            return result
        finally:
            _unit.depth = 0
            _end_unit(ctx)
        time.sleep(delay)
        delay = min(delay * 2, MAX_DELAY)


class Service:
    """Base of the services. Subclasses call ``self.write()`` / ``self.read()``; each
    public method is one unit of work (``unit_of_work``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if (not name.startswith("_") and inspect.isfunction(value)
                    and not getattr(value, "__unit_of_work__", False)):
                setattr(cls, name, unit_of_work(value))

    @property
    def db(self) -> Database:
        return self.ctx.db

    def now(self, org_id: int | None = None) -> datetime:
        """The wall time now in ``org_id``'s zone (a meeting's: its branch's), as stored."""
        return self.ctx.now(org_id)

    def member_now(self, member_id: int) -> datetime:
        """The wall time where the member's branch is. No query unless the tree has
        several zones."""
        if self.ctx.zones().single is not None:
            return self.ctx.now()
        from branchtui.store.convert import current_membership

        if self.db.in_transaction():
            return self.ctx.now(current_membership(member_id, self.ctx.today())[0])
        with self.read():  # asked by a screen, outside any service call
            return self.ctx.now(current_membership(member_id, self.ctx.today())[0])

    def member_today(self, member_id: int) -> date:
        """Today where the member's branch is: their own figures (the year so far, the
        months since they last attended) count up to it."""
        return self.member_now(member_id).date()

    def rules_for(self, org_id: int | None, day: date | None = None) -> RuleSet:
        """The rules ``org_id`` works by on ``day`` (default: today in its zone): the
        defaults, then the local rules of each organisation above it and its own, as in
        force that day (services/rules.py says which day each reader asks for). No query
        beyond the one per unit of work; the defaults at once when nobody has local rules."""
        book = self.ctx.rulebook()
        if book.uniform or org_id is None:
            return book.base
        return book.on(org_id, day if day is not None else self.ctx.today(org_id))

    def meeting_rules(self, row: Any) -> RuleSet:
        """A meeting's rules (its quorum, vote thresholds, report year): its branch's on
        its date."""
        return self.rules_for(row.branch_id, row.planned_start.date())

    def member_rules(self, member_id: int, day: date | None = None) -> RuleSet:
        """The rules a member's warning lines are drawn by: their branch's (the branch of
        their latest membership begun by ``day``) on ``day`` (default: today where their
        branch is). A query only when some organisation has local rules."""
        book = self.ctx.rulebook()
        if book.uniform:
            return book.base
        if day is None:
            day = self.member_today(member_id)
        branch = (m.Membership.select(m.Membership.branch)
                  .where((m.Membership.member == member_id) & (m.Membership.starts <= day))
                  .order_by(m.Membership.starts.desc()).limit(1).scalar())
        return book.on(branch, day)

    def grants(self, actor: Actor) -> Grants:
        """The actor's roles today (the top organisation's day: a post's first and last
        day are dates, and one clock for everyone's rights keeps them simple); call inside
        the transaction."""
        from branchtui.services.permissions import Grants

        cache, key = _unit.grants, (actor.member_id, self.ctx.today())
        if cache is not None and self.db.in_transaction():
            if key not in cache:
                cache[key] = Grants.load(actor, key[1])
            return cache[key]
        return Grants.load(actor, key[1])

    def _connect(self) -> None:
        # Never a connection per call: that costs a TCP round trip and authentication on
        # PostgreSQL (~8 ms). SQLite: one connection per thread, kept open (peewee's
        # connection state is thread-local; closed when its thread ends). PostgreSQL: a
        # connection of the process's pool, checked out to this thread until the end of
        # the outermost unit of work (store/pool.py), so that threads that never end (the
        # executor's) hold none between calls.
        self.db.connect(reuse_if_open=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction (IMMEDIATE on SQLite)."""
        _unit.grants = None  # a write may change roles: nothing cached from here on
        with self._unit_guard():
            self._connect()
            with write_transaction(self.db):
                yield
                if self.db.transaction_depth() == 1:
                    # What fails from here on (the COMMIT) leaves the outcome unknown.
                    _unit.committing = True

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        """One read transaction: a snapshot on SQLite, statement-consistent on PostgreSQL.
        A read inside another read joins it: a savepoint would only cost two statements
        (a screen that gathers from several services, like home, reads in one go)."""
        if _unit.grants is not None and self.db.in_transaction():
            yield
            return
        with self._unit_guard():
            self._connect()
            outer = not self.db.in_transaction()
            with self.db.atomic():
                if outer:
                    _unit.grants = {}
                try:
                    yield
                finally:
                    if outer:
                        _unit.grants = None

    @contextlib.contextmanager
    def _unit_guard(self) -> Iterator[None]:
        """A transaction opened outside any service call (a test, a script): no retry,
        but a lost connection is still dropped and reported as ``Unavailable``."""
        if _unit.depth:
            yield
            return
        _unit.committing = False
        # Like a service call, the outermost such block gives back the connection it
        # checked out (PostgreSQL's pool).
        opened = self.db.is_closed()
        try:
            yield
        except Exception as exc:
            kind = _fault(self.ctx, exc) if not self.db.in_transaction() else None
            if kind is None:
                raise
            if kind == BUSY:
                raise Unavailable("error.db_busy") from exc
            self.ctx.health.set(Health.LOST)
            raise (OutcomeUnknown() if _unit.committing else Unavailable()) from exc
        finally:
            _unit.committing = False
            if opened:
                release_connection(self.db)

    @unit_of_work
    def ping(self) -> None:
        """One round trip, retried like any read: the app probes with it while the
        database is away."""
        with self.read():
            self.db.execute_sql("SELECT 1")

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
    # A meeting's entries in its branch's wall time, as its opening and closing are (the
    # share written during the meeting compares them); others in the top's.
    branch = None
    if meeting_id is not None and ctx.zones().single is None:
        branch = m.Meeting.select(m.Meeting.branch).where(m.Meeting.id == meeting_id).scalar()
    at = ctx.now(branch)
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
