"""The demo and benchmark data generator (DOMAIN.md §8 profiles A, B and stress).

``build(db, profile, today=...)`` fills an empty, migrated database with one 街道党工委,
its 社区党委, branches, party groups, members with years of history, and the meetings of
"三会一课" with attendance, records and 组织生活会 rounds, all relative to ``today``.

How it stays fast and bounded:

- every id is assigned here, so nothing is read back while writing;
- rows are plain tuples, buffered per table and written with multi-row ``INSERT``s in
  batches, many batches per transaction; a flush writes the tables in dependency order,
  and the generator only ever emits a row after the rows it references;
- attendance is streamed meeting by meeting; only the people, the memberships and one
  branch's meeting plan are held in memory.

The output depends only on the profile, ``seed`` and ``today`` (one ``random.Random``).

Personas (fixed logins, for docs, demos and tests): ``admin`` (is_admin, member of branch
1), ``shuji`` (书记 of branch 1, which has a committee), ``jilu`` (组织委员 and recorder of
branch 1), ``dangyuan`` (an ordinary full member of branch 1 with open rectification items),
``yubei`` (a 预备党员 of branch 1), ``shangji`` (upper-level viewer at branch 1's 社区党委),
``jiedao`` (viewer at the 街道党工委) and ``xiaozhibu`` (书记 of the 3-member branch without
a committee). Branch 1 also holds a 党员 "near the six-month line" and one with more than
three unexcused absences this year.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import time as _time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from peewee import Database, DateField, DateTimeField, Model, PostgresqlDatabase

from branchtui.core.appraisal import excellent_cap
from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    Grade,
    LeaveStatus,
    MarkMethod,
    MeetingStatus,
    Obligation,
    OrgKind,
    PositionRole,
    RectStatus,
)
from branchtui.core.frozen import frozen
from branchtui.core.ruleset import DEFAULT_RULES
from branchtui.core.votes import Tally, VoteBase, evaluate
from branchtui.demo import words as W
from branchtui.demo.personas import PERSONA_LOGINS, PERSONAS, is_demo
from branchtui.store.db import is_sqlite, write_transaction
from branchtui.store.models import (
    ALL_MODELS,
    AgendaItem,
    AppraisalGrade,
    Attendance,
    ChangeLog,
    CommitteeTerm,
    Criticism,
    Decision,
    Discipline,
    Exemption,
    Guest,
    LeaveRequest,
    Meeting,
    MeetingObligation,
    Member,
    Membership,
    Org,
    Position,
    Problem,
    Rectification,
    RectProgress,
    RightsAudit,
    Series,
    SeriesException,
    Speech,
)

__all__ = ["PERSONAS", "PERSONA_LOGINS", "PROFILES", "DemoSummary", "Profile", "build", "is_demo"]

THEME_RRULE = "FREQ=MONTHLY;BYDAY=1FR"
THEME_TITLE = "{year}年{month}月主题党日"  # the series' title pattern (core.series)
PLANNING_DAYS = 42  # planned meetings reach this far beyond today
SILENT_DAYS = 46  # the silent branch has had no activity for this long
COMMITTEE_TERM_YEARS = 5  # 村/社区 branches


@frozen
class Profile:
    """The size of a generated 街道 (DOMAIN.md §8).

    ``communities``/``branches``/``groups``/``members`` are totals (members counts every
    Member row ever, including upper-level viewers and those who left); ``years`` of
    history end with today's month. ``study_rate`` is the chance that a branch holds a
    separate monthly 党课/集中学习 sitting besides its 主题党日, ``general_rate`` the chance of
    a separate 党员大会 in the middle month of a quarter; ``content_months`` of recent
    meetings get full records (agenda, speeches, decisions), older ones with probability
    ``content_share``; ``org_life_rounds`` is how many recent 组织生活会 rounds get problem
    lists, criticism and rectification items (None: all)."""

    name: str
    communities: int
    branches: int
    groups: int
    members: int
    years: int
    exempt_share: float
    study_rate: float = 0.5
    general_rate: float = 0.0
    content_months: int = 2
    content_share: float = 0.02
    org_life_rounds: int | None = 2
    branch_sizes: tuple[int, ...] | None = None  # fixed sizes (profile A)
    group_counts: tuple[int, ...] | None = None


PROFILES: dict[str, Profile] = {
    "A": Profile(
        name="A",
        communities=1,
        branches=6,
        groups=15,
        members=230,
        years=3,
        exempt_share=0.10,
        study_rate=0.7,
        content_months=6,
        content_share=0.10,
        org_life_rounds=None,
        branch_sizes=(52, 58, 45, 38, 32, 3),
        group_counts=(3, 4, 3, 3, 2, 0),
    ),
    "B": Profile(
        name="B",
        communities=12,
        branches=120,
        groups=300,
        members=4000,
        years=5,
        exempt_share=0.14,
        study_rate=0.95,
        general_rate=0.9,
        content_months=2,
        content_share=0.02,
        org_life_rounds=2,
    ),
    "stress": Profile(
        name="stress",
        communities=60,
        branches=600,
        groups=1500,
        members=17000,
        years=10,
        exempt_share=0.14,
        study_rate=1.0,
        general_rate=1.0,
        content_months=1,
        content_share=0.005,
        org_life_rounds=1,
    ),
}


@frozen
class DemoSummary:
    """What ``build`` wrote: counts, wall time and the persona logins (role -> login)."""

    profile: str
    orgs: int
    members: int
    meetings: int
    attendance: int
    seconds: float
    personas: dict[str, str]
    rows: dict[str, int] = field(default_factory=dict)  # table name -> rows written


# -- small date helpers ---------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) ``weekday`` (Monday 0) of a month."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _is_holiday(day: date) -> bool:
    """New Year's Day, the May Day and National Day holidays: sittings move a week."""
    return (
        (day.month, day.day) == (1, 1)
        or (day.month == 5 and day.day <= 5)
        or (day.month == 10 and day.day <= 7)
    )


def _quarter(month: int) -> int:
    return (month - 1) // 3


# -- the plan: people, organisations, posts ---------------------------------------------------


@dataclass(slots=True)
class _Stint:
    """One Membership row."""

    member: int
    branch: int
    group: int | None
    starts: date
    ends: date | None
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day < self.ends)


@dataclass(slots=True)
class _Person:
    name: str
    gender: str
    birth: date
    admitted: date
    full_since: date | None
    origin: str  # pre (member before the history starts), new (admitted), in (transferred in)
    joined: date  # first day in the tree
    id: int = 0
    login: str = ""
    phone: str | None = None
    is_admin: bool = False
    created_at: datetime = datetime(2000, 1, 1)
    protected: bool = False  # officers, personas: no churn, no exemption
    stints: list[_Stint] = field(default_factory=list)
    exemptions: list[tuple[date, date | None, str]] = field(default_factory=list)
    disciplines: list[tuple[date, date | None, str]] = field(default_factory=list)
    # Cumulative thresholds for absent / leave / late; the rest is present.
    t_absent: float = 0.025
    t_leave: float = 0.095
    t_late: float = 0.145
    mode: str = ""  # "lapsing" | "absentee" | ""
    forced_absences: int = 0

    def exemption_on(self, day: date) -> str | None:
        for starts, ends, reason in self.exemptions:
            if starts <= day and (ends is None or day < ends):
                return reason
        return None

    def disciplined_on(self, day: date) -> bool:
        return any(s <= day and (e is None or day < e) for s, e, _ in self.disciplines)

    def is_full_on(self, day: date) -> bool:
        return self.full_since is not None and self.full_since <= day


@dataclass(slots=True)
class _Branch:
    index: int
    org_id: int
    code: str
    name: str
    community_id: int
    community_name: str
    size: int
    n_groups: int
    group_ids: list[int] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    people: list[_Person] = field(default_factory=list)  # home members
    stints: list[_Stint] = field(default_factory=list)  # every stint in this branch
    has_committee: bool = False
    explicit_committee: bool | None = None
    secretary: int = 0
    deputy: int | None = None
    organization: int | None = None
    propaganda: int | None = None
    discipline: int | None = None
    recorder: int = 0
    committee: list[int] = field(default_factory=list)
    terms: list[tuple[int, date, date | None]] = field(default_factory=list)
    group_leader: dict[int, int] = field(default_factory=dict)
    group_recorder: dict[int, int] = field(default_factory=dict)
    group_weekday: dict[int, int] = field(default_factory=dict)
    group_place: dict[int, str] = field(default_factory=dict)
    evening: bool = False
    place: str = ""
    diligence: float = 1.0
    silent: bool = False
    special: str = ""  # "first" | "big" | "small"


@dataclass(slots=True)
class _Mtg:
    """One planned sitting of a branch (or group), before it is written."""

    kind: str  # theme | committee | group | study | org_life | special
    day: date
    start: datetime
    end: datetime
    obligations: tuple[str, ...]
    title: str = ""
    group: int | None = None
    id: int = 0
    number: int = 0
    place: str = ""
    convener: int = 0
    moderator: int = 0
    recorder: int = 0
    status: str = MeetingStatus.PLANNED.value
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    sealed_at: datetime | None = None
    series_id: int | None = None
    series_date: date | None = None
    report_year: int | None = None
    reviews: int | None = None
    allow_self_signin: bool = False
    created_at: datetime = datetime(2000, 1, 1)

    @property
    def past(self) -> bool:
        return self.status != MeetingStatus.PLANNED.value


# -- writing ----------------------------------------------------------------------------------

_COLUMNS: dict[type[Model], tuple[str, ...]] = {
    Org: (
        "id",
        "parent",
        "kind",
        "name",
        "code",
        "has_committee",
        "created_at",
        "version",
    ),
    CommitteeTerm: ("id", "org", "starts", "ends", "note"),
    Member: (
        "id",
        "name",
        "gender",
        "birth_date",
        "phone",
        "login",
        "admitted",
        "full_since",
        "is_admin",
        "created_at",
        "version",
    ),
    Membership: ("id", "member", "branch", "group", "starts", "ends", "note"),
    Exemption: ("id", "member", "starts", "ends", "reason"),
    Discipline: ("id", "member", "starts", "ends", "reason"),
    Position: ("id", "member", "org", "role", "term", "starts", "ends"),
    Series: (
        "id",
        "branch",
        "group",
        "rrule",
        "dtstart",
        "duration_minutes",
        "title",
        "obligations",
        "place",
        "convener",
        "moderator",
        "recorder",
        "created_at",
        "version",
    ),
    Meeting: (
        "id",
        "branch",
        "group",
        "title",
        "number",
        "planned_start",
        "planned_end",
        "opened_at",
        "closed_at",
        "sealed_at",
        "seal_digest",
        "place",
        "convener",
        "moderator",
        "recorder",
        "status",
        "series",
        "series_date",
        "report_year",
        "allow_self_signin",
        "cancel_reason",
        "reviews",
        "created_at",
        "created_by",
        "version",
        "late_reason",
        "late_at",
    ),
    MeetingObligation: ("id", "meeting", "obligation", "branch", "day"),
    SeriesException: ("id", "series", "original_date", "skipped", "note"),
    AgendaItem: ("id", "meeting", "position", "title", "act", "version"),
    Attendance: (
        "id",
        "meeting",
        "member",
        "branch",
        "meeting_day",
        "is_full",
        "can_vote",
        "status",
        "reason",
        "leave_kind",
        "marked_by",
        "marked_at",
        "method",
        "version",
    ),
    Guest: ("id", "meeting", "name", "affiliation", "reason", "created_at"),
    LeaveRequest: (
        "id",
        "meeting",
        "member",
        "kind",
        "reason",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
        "version",
    ),
    Speech: (
        "id",
        "meeting",
        "agenda_item",
        "speaker",
        "speaker_name",
        "text",
        "spoken_at",
        "entered_by",
        "entered_at",
        "version",
    ),
    Decision: (
        "id",
        "meeting",
        "agenda_item",
        "act",
        "text",
        "candidate",
        "candidate_name",
        "yes",
        "no",
        "abstain",
        "written_yes",
        "written_no",
        "written_abstain",
        "voters_expected",
        "voters_present",
        "voters_snapshot",
        "quorum_met",
        "passed",
        "reason_key",
        "reason_params",
        "rule_version",
        "approval_ref",
        "follow_up_owner",
        "follow_up_due",
        "decided_at",
        "entered_by",
        "version",
    ),
    Problem: ("id", "meeting", "member", "text", "created_at", "created_by", "version"),
    Criticism: ("id", "meeting", "from_member", "to_member", "text", "created_at", "entered_by"),
    Rectification: (
        "id",
        "branch",
        "meeting",
        "problem",
        "problem_text",
        "measure",
        "owner",
        "deadline",
        "status",
        "verified_by",
        "verified_at",
        "review_meeting",
        "review_note",
        "created_at",
        "version",
    ),
    RectProgress: ("id", "rectification", "noted_at", "author", "text", "evidence"),
    AppraisalGrade: (
        "id",
        "branch",
        "year",
        "member",
        "grade",
        "meeting",
        "entered_by",
        "entered_at",
        "version",
    ),
    ChangeLog: (
        "id",
        "at",
        "actor",
        "action",
        "entity",
        "entity_id",
        "meeting",
        "data",
        "prev_hash",
        "hash",
    ),
    RightsAudit: ("id", "at", "actor_id", "action", "member_id", "org_id", "before", "after"),
}


def _iso_row(row: tuple[Any, ...], temporal: tuple[int, ...]) -> tuple[Any, ...]:
    """The row with its date/datetime values as the ISO text peewee stores in SQLite
    ("2026-11-27", "2026-11-27 19:00:00")."""
    values = list(row)
    for k in temporal:
        value = values[k]
        if value is not None:
            values[k] = str(value)
    return tuple(values)


# The fallback writer's batches: SQLite (32,766) and PostgreSQL (65,535) limit the
# parameters of one statement.
_MAX_PARAMS = 30_000
_MAX_BATCH = 2_500


class _Sink:
    """Buffers rows (tuples in ``_COLUMNS`` order) and writes them in bulk.

    ``flush`` writes every table in ``ALL_MODELS`` order (referenced tables first) inside
    one write transaction, so a row may be added as soon as the rows it references have
    been added, even if they are still buffered.

    Writing: PostgreSQL gets ``COPY ... FROM STDIN``, SQLite one prepared ``INSERT`` run by
    ``executemany`` (with dates as peewee stores them: ISO text), anything else peewee's
    ``insert_many`` in batches. Measured on profile B: building multi-row INSERTs through
    peewee's query compiler took 80% of the run, more than the databases themselves."""

    def __init__(self, db: Database, flush_rows: int = 60_000) -> None:
        self.db = db
        self.flush_rows = flush_rows
        self.rows: dict[type[Model], list[tuple[Any, ...]]] = {m: [] for m in ALL_MODELS}
        self.counts: Counter[str] = Counter()
        self.next_ids: dict[type[Model], int] = {m: 1 for m in ALL_MODELS}
        self.pending = 0
        self.postgres = isinstance(db, PostgresqlDatabase)
        self.sqlite = is_sqlite(db)
        self._fields = {
            model: [model._meta.fields[name] for name in names] for model, names in _COLUMNS.items()
        }
        self._sql: dict[type[Model], str] = {}
        # SQLite: which columns hold dates or datetimes (stored as ISO text).
        self._temporal: dict[type[Model], tuple[int, ...]] = {}
        for model, fields in self._fields.items():
            table = model._meta.table_name
            columns = ", ".join(f'"{f.column_name}"' for f in fields)
            if self.postgres:
                self._sql[model] = f'COPY "{table}" ({columns}) FROM STDIN'
            else:
                marks = ", ".join("?" for _ in fields)
                self._sql[model] = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
            self._temporal[model] = tuple(
                k for k, f in enumerate(fields) if isinstance(f, DateField | DateTimeField)
            )

    def next_id(self, model: type[Model]) -> int:
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def add(self, model: type[Model], row: tuple[Any, ...]) -> None:
        self.rows[model].append(row)
        self.pending += 1
        if self.pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        with write_transaction(self.db):
            if self.postgres:
                # Demo data can be regenerated: no need to wait for the WAL flush.
                self.db.execute_sql("SET LOCAL synchronous_commit = off")
            for model in ALL_MODELS:
                rows = self.rows[model]
                if not rows:
                    continue
                self._write(model, rows)
                self.counts[model._meta.table_name] += len(rows)
                rows.clear()
        self.pending = 0

    def _write(self, model: type[Model], rows: list[tuple[Any, ...]]) -> None:
        if self.postgres:
            cursor = self.db.cursor()
            with cursor.copy(self._sql[model]) as copy:
                for row in rows:
                    copy.write_row(row)
        elif self.sqlite:
            temporal = self._temporal[model]
            if temporal:
                rows = [_iso_row(row, temporal) for row in rows]
            self.db.cursor().executemany(self._sql[model], rows)
        else:
            fields = self._fields[model]
            batch = max(1, min(_MAX_BATCH, _MAX_PARAMS // len(fields)))
            for start in range(0, len(rows), batch):
                chunk = rows[start : start + batch]
                model.insert_many(chunk, fields=fields).as_rowcount().execute()

    def reset_sequences(self) -> None:
        """PostgreSQL: move every id sequence past the ids written here."""
        if not self.postgres:
            return
        with write_transaction(self.db):
            for model in ALL_MODELS:
                table = model._meta.table_name
                self.db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE(MAX(id), 0) + 1, false) FROM "{table}"'
                )


# -- the generator ---------------------------------------------------------------------------


class _Generator:
    """Plans the organisation and people, then streams meetings branch by branch."""

    def __init__(
        self,
        db: Database,
        profile: Profile,
        today: date,
        seed: int,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.profile = profile
        self.today = today
        self.now = datetime.combine(today, time(7, 30))  # the moment of the import
        self.rng = random.Random(seed)
        self.seed = seed
        self.progress = progress or (lambda _msg: None)
        self.sink = _Sink(db)
        self.history_start = _month_start(today) - relativedelta(months=profile.years * 12 - 1)
        self.horizon = today + timedelta(days=PLANNING_DAYS)
        self.setup_at = datetime.combine(self.history_start - timedelta(days=30), time(9, 0))
        self.lapse_cutoff = today - relativedelta(months=5) - timedelta(days=3)
        self.people: list[_Person] = []  # index = id - 1
        self.branches: list[_Branch] = []
        self.personas: dict[str, _Person] = {}
        self.viewers: list[tuple[_Person, int]] = []  # (person, org id)
        self.root_id = 0
        self.community_ids: list[int] = []
        self.community_names: list[str] = []
        self.org_count = 0
        self._posts: dict[
            int, tuple[dict[str, _Person], _Person, dict[int, _Person], dict[int, _Person]]
        ] = {}
        self._failed_vote = False
        self._voted: set[int] = set()  # members whose admission vote is written
        self._approved_leave: list[tuple[int, int, str, int | None, datetime | None]] = []
        self._surname_weights = list(
            itertools.accumulate(1.0 / (i + 8) for i in range(len(W.SURNAMES)))
        )

    # -- names and people ---------------------------------------------------------------------

    def _name(self, gender: str, birth_year: int) -> str:
        rng = self.rng
        if rng.random() < 0.01:
            surname = rng.choice(W.RARE_SURNAMES)
        else:
            surname = rng.choices(W.SURNAMES, cum_weights=self._surname_weights)[0]
        female = gender == "女"
        if birth_year < 1965 and rng.random() < 0.6:
            return surname + rng.choice(W.FEMALE_OLD if female else W.MALE_OLD)
        chars = W.FEMALE_CHARS if female else W.MALE_CHARS
        if rng.random() < 0.3:
            return surname + rng.choice(chars)
        first = rng.choice(W.NEUTRAL_CHARS) if rng.random() < 0.5 else rng.choice(chars)
        return surname + first + rng.choice(chars)

    def _phone(self) -> str | None:
        rng = self.rng
        if rng.random() < 0.04:
            return None
        prefix = rng.choice(
            (
                "138",
                "139",
                "135",
                "136",
                "137",
                "150",
                "151",
                "158",
                "186",
                "187",
                "133",
                "153",
                "189",
                "180",
                "177",
                "199",
            )
        )
        return prefix + f"{rng.randrange(10**8):08d}"

    def _birth_for_age(self, age: int) -> date:
        return _years_before(self.today, age) - timedelta(days=self.rng.randint(1, 360))

    def _random_day(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    def _full_after(self, admitted: date) -> date | None:
        full = admitted + timedelta(days=365 + self.rng.randint(0, 40))
        return full if full <= self.today else None

    def _new_person(self, origin: str, p_old: float, joined: date | None = None) -> _Person:
        """A member: ``pre`` joined before the history, ``new`` is admitted on ``joined``,
        ``in`` transferred in from outside the tree on ``joined``."""
        rng = self.rng
        hs = self.history_start
        gender = "女" if rng.random() < 0.5 else "男"
        if origin == "new":
            assert joined is not None
            age_then = rng.randint(22, 45)
            birth = _years_before(joined, age_then) - timedelta(days=rng.randint(1, 360))
            admitted = joined
        else:
            if rng.random() < p_old:
                age = 60 + int(rng.triangular(0, 33, 4))
            else:
                age = rng.randint(25, 59)
            birth = self._birth_for_age(age)
            anchor = joined if joined is not None else hs
            latest = anchor - timedelta(days=30)
            adm_age = rng.randint(19, 42)
            admitted = min(
                _years_before(birth, -adm_age) + timedelta(days=rng.randint(0, 300)), latest
            )
            if admitted <= birth + timedelta(days=18 * 365):
                admitted = latest
        full_since = self._full_after(admitted)
        joined_day = joined if joined is not None else admitted
        person = _Person(
            name=self._name(gender, birth.year),
            gender=gender,
            birth=birth,
            admitted=admitted,
            full_since=full_since,
            origin=origin,
            joined=joined_day,
        )
        person.phone = self._phone()
        self._set_propensity(person)
        return person

    def _set_propensity(self, person: _Person) -> None:
        rng = self.rng
        age = (self.today - person.birth).days // 365
        r = rng.random()
        if r < 0.06:  # chronically absent
            absent, leave, late = rng.uniform(0.18, 0.35), rng.uniform(0.1, 0.2), 0.08
        elif age >= 70:
            absent, leave, late = 0.02, rng.uniform(0.08, 0.18), 0.02
        elif r < 0.25:  # model members
            absent, leave, late = 0.004, 0.03, 0.02
        else:
            absent, leave, late = rng.uniform(0.01, 0.04), rng.uniform(0.04, 0.1), 0.05
        person.t_absent = absent
        person.t_leave = absent + leave
        person.t_late = absent + leave + late

    # -- the organisation tree -----------------------------------------------------------------

    def plan(self) -> None:
        self._plan_orgs()
        self._plan_people()
        self._plan_posts()
        self._plan_churn()
        self._plan_exemptions()
        self._assign_ids()

    def _branch_sizes(self) -> tuple[list[int], list[int]]:
        p = self.profile
        n_viewers = p.communities + 1
        total = p.members - n_viewers
        if p.branch_sizes is not None and p.group_counts is not None:
            if sum(p.branch_sizes) != total or len(p.branch_sizes) != p.branches:
                raise ValueError("profile branch_sizes do not add up to the members")
            return list(p.branch_sizes), list(p.group_counts)
        rng = self.rng
        n = p.branches
        per_comm = -(-n // p.communities)
        small = min(per_comm - 1, n - 1)
        fixed = {0: 45, 1: 200, small: 3}
        raw = {
            i: min(120.0, max(5.0, rng.lognormvariate(math.log(26), 0.55)))
            for i in range(n)
            if i not in fixed
        }
        rest = total - sum(fixed.values())
        scale = rest / sum(raw.values())
        sizes = [0] * n
        for i in range(n):
            sizes[i] = fixed[i] if i in fixed else max(5, round(raw[i] * scale))
        free = [i for i in range(n) if i not in fixed]
        diff = total - sum(sizes)
        k = 0
        while diff != 0:
            i = free[k % len(free)]
            step = 1 if diff > 0 else -1
            if sizes[i] + step >= 5:
                sizes[i] += step
                diff -= step
            k += 1
        groups = [0] * n
        for i, size in enumerate(sizes):
            if i == 1:
                groups[i] = 10
            elif i == small or size < 9:
                groups[i] = 0
            else:
                groups[i] = max(1, min(8, round(size / 13)))
        adjustable = [i for i in range(n) if i not in (1, small) and sizes[i] >= 9]
        while sum(groups) < p.groups:
            i = max(adjustable, key=lambda j: (sizes[j] / (groups[j] + 1), -j))
            if sizes[i] < 4 * (groups[i] + 1):
                break
            groups[i] += 1
        while sum(groups) > p.groups:
            i = min(
                (j for j in adjustable if groups[j] > 1), key=lambda j: (sizes[j] / groups[j], j)
            )
            groups[i] -= 1
        return sizes, groups

    def _plan_orgs(self) -> None:
        p = self.profile
        rng = self.rng
        self.root_id = 1
        oid = 1
        chosen = list(W.COMMUNITY_PREFIX)
        extra = [p + s for s in W.COMMUNITY_SUFFIX if s for p in W.COMMUNITY_PREFIX]
        rng.shuffle(extra)
        chosen = (chosen + extra)[: p.communities]
        if len(chosen) < p.communities:
            raise ValueError("too many communities for the name lists")
        for name in chosen:
            oid += 1
            self.community_ids.append(oid)
            self.community_names.append(name)
        sizes, groups = self._branch_sizes()
        per_comm = -(-p.branches // p.communities)
        small_index = min(per_comm - 1, p.branches - 1)
        for i in range(p.branches):
            oid += 1
            c = min(i // per_comm, p.communities - 1)
            within = i - c * per_comm
            cname = self.community_names[c]
            if i == small_index:
                bname = f"{cname}社区{W.SMALL_BRANCH_NAMES[0]}"
            else:
                bname = f"{cname}社区第{W.ORDINALS[within % len(W.ORDINALS)]}党支部"
                if within >= len(W.ORDINALS):
                    bname = f"{cname}社区第{within + 1}党支部"
            branch = _Branch(
                index=i,
                org_id=oid,
                code=f"BJ-SQ{c + 1:02d}-ZB{within + 1:02d}",
                name=bname,
                community_id=self.community_ids[c],
                community_name=cname,
                size=sizes[i],
                n_groups=groups[i],
            )
            branch.special = (
                "first" if i == 0 else ("big" if (i == 1 and p.branch_sizes is None) else "")
            )
            if i == small_index:
                branch.special = "small"
            branch.evening = rng.random() < 0.4
            branch.place = cname + "社区" + rng.choice(W.PLACES)
            branch.diligence = 1.0 if i == 0 else rng.uniform(0.86, 1.0)
            self.branches.append(branch)
        silent = 4 if p.branches <= 10 else p.branches // 2 + 1
        self.branches[silent].silent = True
        for branch in self.branches:
            for g in range(branch.n_groups):
                oid += 1
                branch.group_ids.append(oid)
                branch.group_names.append(f"第{W.ORDINALS[g]}党小组")
                branch.group_weekday[oid] = rng.randint(0, 3)
                branch.group_place[oid] = f"{branch.community_name}{rng.choice(W.GROUP_PLACES)}"
        self.org_count = oid
        self.small_branch = self.branches[small_index]

    # -- people ---------------------------------------------------------------------------------

    def _plan_people(self) -> None:
        p = self.profile
        rng = self.rng
        n_branch_members = sum(b.size for b in self.branches)
        join_share = min(0.15, p.years * 0.025)
        n_joiners = {
            b.index: (0 if b.special == "small" else round(b.size * join_share))
            for b in self.branches
        }
        # 28% of all members over 60: joiners are young, so the others carry the share.
        n_pre = n_branch_members - sum(n_joiners.values())
        p_old = min(0.7, 0.26 * (n_branch_members + p.communities + 1) / max(1, n_pre))
        hs = self.history_start
        for branch in self.branches:
            people: list[_Person] = []
            n_new = n_joiners[branch.index]
            for _ in range(branch.size - n_new):
                people.append(self._new_person("pre", p_old))
            for _ in range(n_new):
                joined = _weekday_on_or_after(
                    self._random_day(hs + timedelta(days=20), self.today - timedelta(days=10))
                )
                origin = "new" if rng.random() < 0.6 else "in"
                people.append(self._new_person(origin, p_old, joined))
            branch.people = people
        self._plan_personas()
        # Group assignment: balanced, in a shuffled order.
        for branch in self.branches:
            order = list(range(len(branch.people)))
            rng.shuffle(order)
            groups: list[int | None] = list(branch.group_ids) or [None]
            for k, idx in enumerate(order):
                person = branch.people[idx]
                person.stints.append(
                    _Stint(
                        0,
                        branch.org_id,
                        groups[k % len(groups)],
                        person.joined if person.origin != "pre" else self._pre_start(person),
                        None,
                        "转入" if person.origin == "in" else "",
                    )
                )

    def _pre_start(self, person: _Person) -> date:
        """When a member who belonged before the history joined this branch."""
        hs = self.history_start
        lo = max(person.admitted, hs - timedelta(days=365 * 12))
        return self._random_day(lo, hs - timedelta(days=20))

    def _fixed(
        self, branch: _Branch, slot: int, name: str, gender: str, age: int, admitted_years: int
    ) -> _Person:
        person = branch.people[slot]
        person.name, person.gender, person.origin = name, gender, "pre"
        person.birth = self._birth_for_age(age)
        person.admitted = _years_before(self.history_start, admitted_years) - timedelta(days=40)
        person.full_since = self._full_after(person.admitted)
        person.joined = person.admitted
        person.protected = True
        person.t_absent, person.t_leave, person.t_late = 0.004, 0.03, 0.05
        return person

    def _plan_personas(self) -> None:
        first = self.branches[0]
        admin = self._fixed(first, 0, "周文涛", "男", 41, 12)
        admin.is_admin = True
        shuji = self._fixed(first, 1, "李秀兰", "女", 52, 20)
        jilu = self._fixed(first, 2, "王敏", "女", 34, 6)
        dangyuan = self._fixed(first, 3, "张建国", "男", 63, 30)
        dangyuan.t_absent, dangyuan.t_leave, dangyuan.t_late = 0.02, 0.08, 0.12
        # 预备党员: admitted about five months ago, after a branch vote.
        yubei = first.people[4]
        yubei.name, yubei.gender, yubei.origin = "陈思远", "男", "new"
        yubei.admitted = _weekday_on_or_after(self.today - timedelta(days=150))
        yubei.joined = yubei.admitted
        yubei.full_since = None
        yubei.birth = _years_before(yubei.admitted, 27) - timedelta(days=77)
        yubei.protected = True
        lapsing = self._fixed(first, 5, "孙国庆", "男", 58, 25)
        lapsing.mode = "lapsing"
        absentee = self._fixed(first, 6, "刘凤英", "女", 66, 28)
        absentee.mode = "absentee"
        for slot in (5, 6):
            first.people[slot].t_absent = 0.05
            first.people[slot].t_leave = 0.1
            first.people[slot].t_late = 0.12
        self.personas.update(admin=admin, shuji=shuji, jilu=jilu, dangyuan=dangyuan, yubei=yubei)
        self.lapsing, self.absentee = lapsing, absentee
        small = self.small_branch
        self.personas["xiaozhibu"] = self._fixed(small, 0, "刘桂芳", "女", 48, 15)
        self._fixed(small, 1, small.people[1].name, small.people[1].gender, 39, 8)
        self._fixed(small, 2, small.people[2].name, small.people[2].gender, 45, 10)

    def _plan_churn(self) -> None:
        """Members who leave the tree and who transfer between branches (same day)."""
        p = self.profile
        rng = self.rng
        hs = self.history_start
        leave_share = min(0.08, p.years * 0.012)
        move_share = min(0.08, p.years * 0.01)
        targets = [b for b in self.branches if b.special != "small"]
        moved_any = False
        for branch in self.branches:
            if branch.special == "small":
                continue
            candidates = [x for x in branch.people if not x.protected]
            rng.shuffle(candidates)
            n_leave = round(branch.size * leave_share)
            n_move = round(branch.size * move_share)
            if branch.index == 0 and not moved_any:
                n_move = max(n_move, 1)
            for person in candidates[:n_leave]:
                stint = person.stints[0]
                lo = max(stint.starts, hs) + timedelta(days=60)
                if lo >= self.today - timedelta(days=5):
                    continue
                stint.ends = _weekday_on_or_after(
                    self._random_day(lo, self.today - timedelta(days=5))
                )
                old = (stint.ends - person.birth).days > 365 * 78
                stint.note = "去世" if old and rng.random() < 0.6 else "转出"
            for person in candidates[n_leave : n_leave + n_move]:
                stint = person.stints[0]
                lo = max(stint.starts, hs) + timedelta(days=45)
                if lo >= self.today - timedelta(days=5):
                    continue
                same = [
                    b for b in targets if b.community_id == branch.community_id and b is not branch
                ]
                pool = (
                    same if same and rng.random() < 0.7 else [b for b in targets if b is not branch]
                )
                if not pool:
                    continue
                target = rng.choice(pool)
                day = _weekday_on_or_after(self._random_day(lo, self.today - timedelta(days=5)))
                stint.ends = day
                stint.note = (stint.note + "；转出") if stint.note else "转出"
                group = rng.choice(target.group_ids) if target.group_ids else None
                person.stints.append(_Stint(0, target.org_id, group, day, None, "转入"))
                moved_any = True
        for branch in self.branches:
            for person in branch.people:
                for stint in person.stints:
                    self._branch_by_org(stint.branch).stints.append(stint)

    def _branch_by_org(self, org_id: int) -> _Branch:
        return self.branches[org_id - self.branches[0].org_id]

    def _stable(self, person: _Person) -> bool:
        """A member before the history starts, full by then, not too old for a post (posts
        are planned before churn, and their holders are protected from it)."""
        return (
            person.origin == "pre"
            and person.full_since is not None
            and person.full_since <= self.history_start
            and (self.today - person.birth).days < 365 * 75
            and not person.mode
        )

    def _plan_posts(self) -> None:
        rng = self.rng
        hs = self.history_start
        for branch in self.branches:
            people = branch.people
            stable = [x for x in people if self._stable(x) and not x.protected]
            rng.shuffle(stable)
            # Small branches may run out of ideal candidates: any member full by then.
            backup = [
                x
                for x in people
                if not x.protected
                and not x.mode
                and x not in stable
                and x.origin == "pre"
                and x.is_full_on(hs)
            ]

            def take(
                group: int | None = None,
                pools: tuple[list[_Person], ...] = (stable, backup),
                where: str = branch.name,
            ) -> _Person:
                for pool in pools:
                    for k, cand in enumerate(pool):
                        if group is None or cand.stints[0].group == group:
                            pool.pop(k)
                            cand.protected = True
                            return cand
                raise LookupError(f"no candidate for a post in {where}")

            full_at_start = sum(1 for x in people if x.origin == "pre" and x.is_full_on(hs))
            if branch.special == "first":
                secretary = self.personas["shuji"]
                organization = self.personas["jilu"]
            elif branch.special == "small":
                secretary = self.personas["xiaozhibu"]
                organization = None
            else:
                secretary = take()
                organization = None
            branch.has_committee = branch.special == "first" or (
                branch.special != "small" and full_at_start >= 7
            )
            if branch.special == "small":
                branch.explicit_committee = False
            officers: dict[str, _Person] = {"secretary": secretary}
            if branch.has_committee:
                officers["organization"] = organization or take()
                officers["propaganda"] = take()
                officers["discipline"] = take()
                if branch.size >= 40:
                    officers["deputy"] = take()
                recorder = officers["organization"]
            elif branch.special == "small":
                recorder = people[1]
            else:
                try:
                    recorder = take()
                except LookupError:
                    recorder = secretary  # a tiny branch: the 书记 keeps the record
            branch_officers = officers
            leaders: dict[int, _Person] = {}
            recorders: dict[int, _Person] = {}
            spare = [x for x in officers.values() if x is not recorder]
            for gid in branch.group_ids:
                try:
                    leaders[gid] = take(gid)
                except LookupError:
                    # Nobody suitable in the group: move someone in from the pool, or let
                    # an officer lead it (书记兼组长 is common in small branches).
                    try:
                        cand = take()
                    except LookupError:
                        if not spare:
                            raise
                        cand = spare.pop()
                    cand.stints[0].group = gid
                    leaders[gid] = cand
                try:
                    recorders[gid] = take(gid)
                except LookupError:
                    recorders[gid] = leaders[gid]
            # Officers are remembered as people; ids are assigned later.
            branch_plan = (branch_officers, recorder, leaders, recorders)
            self._posts[branch.index] = branch_plan
            for person in (*officers.values(), recorder):
                person.t_absent, person.t_leave = 0.003, 0.03
                person.t_late = 0.05
        # The two forced members of branch 1 stay in group 1 (not disturbed by gaps).
        first = self.branches[0]
        if first.group_ids:
            for person in (self.lapsing, self.absentee, self.personas["dangyuan"]):
                person.stints[0].group = first.group_ids[0]

    def _plan_exemptions(self) -> None:
        p = self.profile
        rng = self.rng
        hs = self.history_start
        pool = [x for b in self.branches for x in b.people if not x.protected and not x.mode]
        rng.shuffle(pool)
        n_exempt = round(p.exempt_share * sum(b.size for b in self.branches))
        for person in pool[:n_exempt]:
            first = person.stints[0].starts
            last = person.stints[-1].ends or self.today
            lo = max(first, hs - timedelta(days=200))
            if last <= lo + timedelta(days=40):
                continue
            age = (self.today - person.birth).days // 365
            if age >= 75 and rng.random() < 0.7:
                reason = "年老体弱行动不便"
            elif person.gender == "女" and 24 <= age <= 42 and rng.random() < 0.6:
                reason = "孕产期"
            elif age < 65 and rng.random() < 0.5:
                reason = "长期外出"
            else:
                reason = "住院治疗"
            starts = self._random_day(lo, min(last, self.today) - timedelta(days=20))
            ends: date | None
            if reason == "年老体弱行动不便":
                ends = (
                    None if rng.random() < 0.7 else starts + timedelta(days=rng.randint(200, 700))
                )
            elif reason == "孕产期":
                ends = starts + timedelta(days=rng.randint(240, 330))
            elif reason == "长期外出":
                ends = starts + timedelta(days=rng.randint(90, 540))
                if ends > self.today and rng.random() < 0.4:
                    ends = None
            else:
                ends = starts + timedelta(days=rng.randint(30, 120))
            person.exemptions.append((starts, ends, reason))
        # 留党察看: a few full members, one or two years.
        n_disc = max(2, round(0.003 * len(pool)))
        candidates = [x for x in pool[n_exempt:] if x.full_since is not None]
        for person in candidates[:n_disc]:
            lo = max(person.stints[0].starts, hs, person.full_since or hs)
            hi = min(person.stints[-1].ends or self.today, self.today) - timedelta(days=30)
            if hi <= lo:
                continue
            starts = self._random_day(lo, hi)
            ends = _years_before(starts, -rng.choice((1, 2)))
            person.disciplines.append((starts, ends, rng.choice(W.DISCIPLINE_REASONS)))

    def _assign_ids(self) -> None:
        """Member ids in branch order (personas of branch 1 first), viewers last."""
        rng = self.rng
        for branch in self.branches:
            for person in branch.people:
                self.people.append(person)
        for c, oid in enumerate(self.community_ids):
            viewer = self._new_person("pre", 0.0)
            viewer.protected = True
            if c == 0:
                viewer.name, viewer.gender = "赵卫东", "男"
                self.personas["shangji"] = viewer
            self.viewers.append((viewer, oid))
        root_viewer = self._new_person("pre", 0.0)
        root_viewer.name, root_viewer.gender = "吴志强", "男"
        root_viewer.protected = True
        self.personas["jiedao"] = root_viewer
        self.viewers.append((root_viewer, self.root_id))
        for viewer, _ in self.viewers:
            self.people.append(viewer)
        by_person = {id(person): role for role, person in self.personas.items()}
        for k, person in enumerate(self.people, start=1):
            person.id = k
            role = by_person.get(id(person))
            person.login = PERSONA_LOGINS[role] if role else f"m{k:06d}"
            for stint in person.stints:
                stint.member = k
            if person.origin == "pre":
                person.created_at = self.setup_at + timedelta(seconds=k)
            else:
                person.created_at = datetime.combine(person.joined, time(10, 0)) + timedelta(
                    minutes=rng.randint(0, 300)
                )
        for branch in self.branches:
            officers, recorder, leaders, recorders = self._posts[branch.index]
            branch.secretary = officers["secretary"].id
            branch.organization = (
                officers["organization"].id if "organization" in officers else None
            )
            branch.propaganda = officers["propaganda"].id if "propaganda" in officers else None
            branch.discipline = officers["discipline"].id if "discipline" in officers else None
            branch.deputy = officers["deputy"].id if "deputy" in officers else None
            branch.recorder = recorder.id
            branch.committee = [x.id for x in officers.values()] if branch.has_committee else []
            branch.group_leader = {g: x.id for g, x in leaders.items()}
            branch.group_recorder = {g: x.id for g, x in recorders.items()}
            branch.stints.sort(key=lambda s: (s.starts, s.member))

    # -- writing the static part ---------------------------------------------------------------

    def write_static(self) -> None:
        sink = self.sink
        rng = self.rng
        hs = self.history_start
        org_created = self.setup_at
        sink.add(
            Org,
            (
                self.root_id,
                None,
                OrgKind.WORK_COMMITTEE.value,
                f"{W.STREET}党工委",
                "BJ",
                None,
                org_created,
                1,
            ),
        )
        for c, oid in enumerate(self.community_ids):
            sink.add(
                Org,
                (
                    oid,
                    self.root_id,
                    OrgKind.PARTY_COMMITTEE.value,
                    f"{self.community_names[c]}社区党委",
                    f"BJ-SQ{c + 1:02d}",
                    None,
                    org_created,
                    1,
                ),
            )
        for branch in self.branches:
            sink.add(
                Org,
                (
                    branch.org_id,
                    branch.community_id,
                    OrgKind.BRANCH.value,
                    branch.name,
                    branch.code,
                    branch.explicit_committee,
                    org_created,
                    1,
                ),
            )
        for branch in self.branches:
            for k, gid in enumerate(branch.group_ids):
                sink.add(
                    Org,
                    (
                        gid,
                        branch.org_id,
                        OrgKind.GROUP.value,
                        branch.group_names[k],
                        f"{branch.code}-XZ{k + 1:02d}",
                        None,
                        org_created,
                        1,
                    ),
                )
        sink.next_ids[Org] = self.org_count + 1
        for person in self.people:
            sink.add(
                Member,
                (
                    person.id,
                    person.name,
                    person.gender,
                    person.birth,
                    person.phone,
                    person.login,
                    person.admitted,
                    person.full_since,
                    person.is_admin,
                    person.created_at,
                    1,
                ),
            )
        sink.next_ids[Member] = len(self.people) + 1
        for person in self.people:
            for stint in person.stints:
                sink.add(
                    Membership,
                    (
                        sink.next_id(Membership),
                        stint.member,
                        stint.branch,
                        stint.group,
                        stint.starts,
                        stint.ends,
                        stint.note,
                    ),
                )
            for starts, ends, reason in person.exemptions:
                sink.add(Exemption, (sink.next_id(Exemption), person.id, starts, ends, reason))
            for starts, ends, reason in person.disciplines:
                sink.add(Discipline, (sink.next_id(Discipline), person.id, starts, ends, reason))
        # Posts: committee terms for branches with a committee, 书记 for the others.
        term_len = relativedelta(years=COMMITTEE_TERM_YEARS)
        for branch in self.branches:
            officers, _recorder, leaders, _recorders = self._posts[branch.index]
            roles = {
                "secretary": PositionRole.SECRETARY,
                "organization": PositionRole.ORGANIZATION,
                "propaganda": PositionRole.PROPAGANDA,
                "discipline": PositionRole.DISCIPLINE,
                "deputy": PositionRole.DEPUTY_SECRETARY,
            }
            if branch.has_committee:
                starts = _month_start(hs) - relativedelta(months=rng.randint(1, 58))
                n = 0
                while True:
                    n += 1
                    planned_end = starts + term_len
                    ends = planned_end if planned_end <= self.today else None
                    term_id = sink.next_id(CommitteeTerm)
                    note = f"第{W.ORDINALS[min(n + 2, 19)]}届支部委员会（{starts:%Y.%m}—{planned_end:%Y.%m}）"
                    sink.add(CommitteeTerm, (term_id, branch.org_id, starts, ends, note))
                    branch.terms.append((term_id, starts, ends))
                    for key, person in officers.items():
                        sink.add(
                            Position,
                            (
                                sink.next_id(Position),
                                person.id,
                                branch.org_id,
                                roles[key].value,
                                term_id,
                                starts,
                                ends,
                            ),
                        )
                    if ends is None:
                        break
                    starts = ends
            else:
                sec = officers["secretary"]
                sink.add(
                    Position,
                    (
                        sink.next_id(Position),
                        sec.id,
                        branch.org_id,
                        PositionRole.SECRETARY.value,
                        None,
                        max(sec.stints[0].starts, hs - timedelta(days=400)),
                        None,
                    ),
                )
            for gid, leader in leaders.items():
                sink.add(
                    Position,
                    (
                        sink.next_id(Position),
                        leader.id,
                        gid,
                        PositionRole.GROUP_LEADER.value,
                        None,
                        max(leader.stints[0].starts, hs - timedelta(days=200)),
                        None,
                    ),
                )
        for viewer, oid in self.viewers:
            sink.add(
                Position,
                (
                    sink.next_id(Position),
                    viewer.id,
                    oid,
                    PositionRole.VIEWER.value,
                    None,
                    hs - timedelta(days=365),
                    None,
                ),
            )
        sink.flush()

    # -- meetings ----------------------------------------------------------------------------------

    def _months(self) -> Iterator[tuple[int, int]]:
        day = _month_start(self.history_start)
        end = _month_start(self.horizon)
        while day <= end:
            yield day.year, day.month
            day += relativedelta(months=1)

    def _plan_meetings(self, branch: _Branch, rng: random.Random) -> list[_Mtg]:
        """Every sitting of one branch over the history and the planning window."""
        hs, today = self.history_start, self.today
        out: list[_Mtg] = []
        evening = branch.evening
        dil = branch.diligence

        def at(day: date, hour: int, minute: int, minutes: int) -> tuple[datetime, datetime]:
            start = datetime.combine(day, time(hour, minute))
            return start, start + timedelta(minutes=minutes)

        org_life_days: dict[int, date] = {}
        for year in range(hs.year, self.horizon.year + 1):
            org_life_days[year] = _weekday_on_or_after(
                date(year, 1, 8) + timedelta(days=rng.randint(0, 48))
            )
        last_full_month = _month_start(today) - relativedelta(months=1)
        gap_month = _month_start(today) - relativedelta(months=2)
        for year, month in self._months():
            quarter_end = month % 3 == 0
            # 主题党日 on the first Friday (series occurrence), sometimes moved.
            series_day = _nth_weekday(year, month, 4, 1)
            if rng.random() < 0.985 * dil + 0.015:
                day = series_day
                if _is_holiday(series_day):
                    day = series_day + timedelta(days=7)
                elif rng.random() < 0.05:
                    day = series_day + timedelta(days=rng.choice((1, 7)))
                hour, minute, minutes = (19, 0, 90) if evening else (14, 30, 90)
                if quarter_end:
                    minutes = 150
                start, end = at(day, hour, minute, minutes)
                title = f"{year}年{month}月主题党日"
                obligations: tuple[str, ...] = (Obligation.THEME_DAY.value,)
                if quarter_end:
                    title += f"暨{W.QUARTER_WORDS[_quarter(month)]}党员大会、党课"
                    obligations += (
                        Obligation.GENERAL_MEETING.value,
                        Obligation.PARTY_LECTURE.value,
                    )
                mtg = _Mtg("theme", day, start, end, obligations, title)
                mtg.series_date = series_day
                out.append(mtg)
            elif rng.random() < 0.4:
                out.append(
                    _Mtg(
                        "skip",
                        series_day,
                        datetime.combine(series_day, time()),
                        datetime.combine(series_day, time()),
                        (),
                    )
                )
            # 支委会 on the second Tuesday.
            if branch.has_committee and rng.random() < dil:
                skip = branch.index == 2 and date(year, month, 1) == last_full_month
                if not skip:
                    day = _nth_weekday(year, month, 1, 2)
                    start, end = at(day, 18, 30, 60) if evening else at(day, 9, 30, 60)
                    out.append(
                        _Mtg(
                            "committee", day, start, end, (Obligation.COMMITTEE_MEETING.value,), ""
                        )
                    )
            # 党小组会 in the third week, per group.
            for k, gid in enumerate(branch.group_ids):
                if rng.random() >= 0.97 * dil + 0.03 * (dil == 1.0):
                    continue
                if (
                    branch.index == 0
                    and k == len(branch.group_ids) - 1
                    and date(year, month, 1) == gap_month
                    and k > 0
                ):
                    continue  # branch 1 missed one group meeting: an overdue item
                if branch.index == 2 and k == 0 and date(year, month, 1) == last_full_month:
                    continue
                day = _nth_weekday(year, month, branch.group_weekday[gid], 3)
                start, end = at(day, 19, 0, 60) if evening else at(day, 9, 30, 60)
                mtg = _Mtg(
                    "group",
                    day,
                    start,
                    end,
                    (Obligation.GROUP_MEETING.value,),
                    f"{branch.group_names[k]}{year}年{month}月党小组会",
                    group=gid,
                )
                out.append(mtg)
            # A separate 党课/集中学习 on the third Friday.
            if rng.random() < self.profile.study_rate * dil:
                day = _nth_weekday(year, month, 4, 3)
                start, end = at(day, 19, 0, 90) if evening else at(day, 14, 30, 90)
                topic = rng.choice(W.STUDY_TOPICS)
                out.append(
                    _Mtg(
                        "study",
                        day,
                        start,
                        end,
                        (Obligation.PARTY_LECTURE.value,),
                        f"{year}年{month}月党课：{topic}",
                    )
                )
            # A separate 党员大会 in the middle month of the quarter (发展党员, 评先, 党费).
            if month % 3 == 2 and rng.random() < self.profile.general_rate * dil:
                day = _nth_weekday(year, month, 2, 4)
                start, end = at(day, 19, 0, 90) if evening else at(day, 14, 30, 90)
                out.append(
                    _Mtg(
                        "general",
                        day,
                        start,
                        end,
                        (Obligation.GENERAL_MEETING.value,),
                        f"{year}年{month}月党员大会",
                    )
                )
            # 组织生活会 + 民主评议 for the previous report year, in January or February.
            ol_day = org_life_days.get(year)
            if ol_day is not None and ol_day.month == month and ol_day >= hs:
                start, end = at(ol_day, 9, 0, 180)
                mtg = _Mtg(
                    "org_life",
                    ol_day,
                    start,
                    end,
                    (Obligation.ORG_LIFE.value, Obligation.APPRAISAL.value),
                    f"{year - 1}年度组织生活会暨民主评议党员",
                )
                mtg.report_year = year - 1
                out.append(mtg)
        if branch.index == 0:
            day = _weekday_on_or_after(today + timedelta(days=2))
            start, end = at(day, 19, 0, 90)
            out.append(
                _Mtg(
                    "special",
                    day,
                    start,
                    end,
                    (Obligation.GENERAL_MEETING.value,),
                    f"{day.year}年{day.month}月党员大会（讨论发展党员）",
                )
            )
        kept: list[_Mtg] = []
        silent_from = today - timedelta(days=SILENT_DAYS)
        for mtg in out:
            if mtg.day < hs or mtg.day > self.horizon:
                continue
            if branch.silent and mtg.day >= silent_from:
                continue
            kept.append(mtg)
        order = {
            "committee": 0,
            "theme": 1,
            "special": 1,
            "general": 1,
            "study": 2,
            "org_life": 3,
            "group": 4,
            "skip": 5,
        }
        kept.sort(key=lambda m: (m.start, order[m.kind], m.group or 0))
        return kept

    def _staff(self, branch: _Branch, mtg: _Mtg, rng: random.Random) -> None:
        """Convener, moderator, recorder, place, status and timestamps of one sitting."""
        if mtg.kind == "group":
            assert mtg.group is not None
            mtg.convener = mtg.moderator = branch.group_leader[mtg.group]
            mtg.recorder = branch.group_recorder[mtg.group]
            mtg.place = branch.group_place[mtg.group]
        else:
            mtg.convener = branch.secretary
            mtg.moderator = branch.secretary
            if mtg.kind == "study" and branch.propaganda and rng.random() < 0.5:
                mtg.moderator = branch.propaganda
            elif branch.deputy and rng.random() < 0.1:
                mtg.moderator = branch.deputy
            mtg.recorder = branch.recorder
            mtg.place = branch.place
            if mtg.kind == "theme" and rng.random() < 0.15:
                mtg.place = f"{branch.community_name}{rng.choice(W.GROUP_PLACES)}"
        if mtg.day < self.today:
            mtg.opened_at = mtg.start + timedelta(minutes=rng.randint(-5, 8))
            minutes = int((mtg.end - mtg.start).total_seconds() // 60)
            mtg.closed_at = mtg.opened_at + timedelta(minutes=minutes + rng.randint(-15, 20))
            mtg.status = MeetingStatus.CLOSED.value
            if mtg.day < self.today - timedelta(days=10) and rng.random() < 0.92:
                mtg.status = MeetingStatus.SEALED.value
                mtg.sealed_at = mtg.closed_at + timedelta(minutes=rng.randint(20, 60 * 48))
            mtg.created_at = mtg.start - timedelta(
                days=rng.randint(4, 20), minutes=rng.randint(0, 600)
            )
        else:
            mtg.created_at = min(
                mtg.start - timedelta(days=rng.randint(4, 20), minutes=rng.randint(0, 600)),
                self.now - timedelta(hours=rng.randint(2, 200)),
            )
            if branch.index == 0:
                mtg.allow_self_signin = mtg.kind != "group"
        mtg.created_at = max(mtg.created_at, self.setup_at)

    def write_branches(self) -> None:
        n = len(self.branches)
        step = max(1, n // 10)
        for k, branch in enumerate(self.branches):
            rng = random.Random(f"{self.seed}/meetings/{branch.index}")
            self._write_branch(branch, rng)
            if (k + 1) % step == 0 or k + 1 == n:
                self.progress(
                    f"branches {k + 1}/{n}: {self.sink.counts['attendance'] + len(self.sink.rows[Attendance])} attendance rows"
                )

    def _write_branch(self, branch: _Branch, rng: random.Random) -> None:
        sink = self.sink
        plan = self._plan_meetings(branch, rng)
        series_id = sink.next_id(Series)
        first_theme = next((m for m in plan if m.kind in ("theme", "skip")), None)
        dtstart_day = (
            first_theme.series_date or first_theme.day if first_theme else self.history_start
        )
        hour, minute = (19, 0) if branch.evening else (14, 30)
        sink.add(
            Series,
            (
                series_id,
                branch.org_id,
                None,
                THEME_RRULE,
                datetime.combine(dtstart_day, time(hour, minute)),
                90,
                THEME_TITLE,  # each sitting's own title: 2026年12月主题党日
                Obligation.THEME_DAY.value,
                branch.place,
                branch.secretary,
                branch.secretary,
                branch.recorder,
                self.setup_at,
                1,
            ),
        )
        numbers: Counter[tuple[str, int | None, int]] = Counter()
        meetings: list[_Mtg] = []
        for mtg in plan:
            if mtg.kind == "skip":
                if mtg.day < self.today:
                    sink.add(
                        SeriesException,
                        (
                            sink.next_id(SeriesException),
                            series_id,
                            mtg.day,
                            True,
                            rng.choice(("春节假期暂停", "台风天气取消", "与街道集中活动合并")),
                        ),
                    )
                continue
            mtg.id = sink.next_id(Meeting)
            self._staff(branch, mtg, rng)
            # 第X次 as the services number it: per first obligation, group and year, in
            # date order (the plan is sorted by start).
            key = (mtg.obligations[0], mtg.group, mtg.day.year)
            numbers[key] += 1
            mtg.number = numbers[key]
            if mtg.kind == "committee":
                # The number is not part of the name: a planned sitting's number follows
                # the date order of what is scheduled later (the record shows 第X次).
                mtg.title = f"{mtg.day.year}年{mtg.day.month}月支部委员会会议"
            if mtg.kind == "theme":
                mtg.series_id = series_id
                if mtg.series_date != mtg.day and mtg.day < self.today:
                    sink.add(
                        SeriesException,
                        (
                            sink.next_id(SeriesException),
                            series_id,
                            mtg.series_date,
                            False,
                            f"改期至{mtg.day.month}月{mtg.day.day}日",
                        ),
                    )
            meetings.append(mtg)
        org_lives = [m for m in meetings if m.kind == "org_life"]
        for prev, nxt in itertools.pairwise(org_lives):
            nxt.reviews = prev.id
        for mtg in meetings:
            digest = None
            if mtg.sealed_at is not None:
                digest = hashlib.sha256(
                    f"demo-seal|{mtg.id}|{mtg.title}|{mtg.closed_at}".encode()
                ).hexdigest()
            sink.add(
                Meeting,
                (
                    mtg.id,
                    branch.org_id,
                    mtg.group,
                    mtg.title,
                    mtg.number,
                    mtg.start,
                    mtg.end,
                    mtg.opened_at,
                    mtg.closed_at,
                    mtg.sealed_at,
                    digest,
                    mtg.place,
                    mtg.convener,
                    mtg.moderator,
                    mtg.recorder,
                    mtg.status,
                    mtg.series_id,
                    mtg.series_date,
                    mtg.report_year,
                    mtg.allow_self_signin,
                    "",
                    mtg.reviews,
                    mtg.created_at,
                    mtg.convener,
                    1,
                    "",  # every demo sitting was entered before its date: no 补录
                    None,
                ),
            )
            for obligation in mtg.obligations:
                sink.add(
                    MeetingObligation,
                    (sink.next_id(MeetingObligation), mtg.id, obligation, branch.org_id, mtg.day),
                )
        content_from = self.today - relativedelta(months=self.profile.content_months)
        past_org_lives = [m for m in org_lives if m.past]
        rounds = self.profile.org_life_rounds
        detailed_rounds = past_org_lives if rounds is None else past_org_lives[-rounds:]
        next_round = {a.id: b for a, b in itertools.pairwise(org_lives)}
        latest_id = past_org_lives[-1].id if past_org_lives else None
        for mtg in meetings:
            roll = self._attendance(branch, mtg, rng, detailed=mtg.day >= content_from)
            if not mtg.past:
                if mtg.kind == "special":
                    self._agenda(mtg, rng, full=True, roll=roll)
                continue
            if mtg.kind == "org_life":
                self._grades(branch, mtg, roll, rng)
                if mtg in detailed_rounds:
                    self._org_life(
                        branch, mtg, roll, rng, next_round.get(mtg.id), latest=mtg.id == latest_id
                    )
            if mtg.day >= content_from or (mtg.kind == "org_life" and mtg in detailed_rounds):
                self._content(branch, mtg, roll, rng, full=True)
            elif rng.random() < self.profile.content_share:
                self._content(branch, mtg, roll, rng, full=False)
        if branch.index < 10:
            self._leave_requests(branch, meetings, rng)

    # -- attendance ----------------------------------------------------------------------------

    def _attendance(
        self, branch: _Branch, mtg: _Mtg, rng: random.Random, detailed: bool
    ) -> list[tuple[_Person, str | None, bool]]:
        """Writes the roll of one meeting; returns (person, status, can_vote) per row."""
        sink = self.sink
        people = self.people
        day = mtg.day
        if mtg.kind == "committee":
            ids = set(branch.committee)
            stints = [s for s in branch.stints if s.member in ids and s.covers(day)]
        elif mtg.kind == "group":
            stints = [s for s in branch.stints if s.group == mtg.group and s.covers(day)]
        else:
            stints = [s for s in branch.stints if s.covers(day)]
        roll: list[tuple[_Person, str | None, bool]] = []
        past = mtg.past
        opened = mtg.opened_at
        roles = (mtg.convener, mtg.moderator, mtg.recorder)
        this_year = day.year == self.today.year
        lapse_cutoff = self.lapse_cutoff
        sink_add = sink.add
        for stint in stints:
            person = people[stint.member - 1]
            is_full = person.full_since is not None and person.full_since <= day
            can_vote = is_full and not (person.disciplines and person.disciplined_on(day))
            exempt = person.exemption_on(day) if person.exemptions else None
            status: str | None
            reason = ""
            leave_kind = None
            marked_by: int | None = mtg.recorder
            marked_at: datetime | None = None
            method: str | None = MarkMethod.RECORDER.value
            if exempt is not None:
                status, reason, method = (
                    AttendanceStatus.EXEMPT.value,
                    exempt,
                    MarkMethod.SYSTEM.value,
                )
                marked_by, marked_at = None, mtg.created_at
            elif not past:
                status, marked_by, method = None, None, None
            else:
                assert opened is not None
                if person.id in roles:
                    status = "present"
                elif person.mode == "lapsing" and day > lapse_cutoff - timedelta(days=25):
                    status = "absent" if day > lapse_cutoff else "present"
                elif person.mode == "absentee" and this_year:
                    if person.forced_absences < 4:
                        person.forced_absences += 1
                        status = "absent"
                    else:
                        status = "present"
                else:
                    r = rng.random()
                    if r < person.t_absent:
                        status = "absent"
                    elif r < person.t_leave:
                        status = "leave"
                    elif r < person.t_late:
                        status = "late"
                    else:
                        status = "present"
                if status == "present":
                    marked_at = opened + timedelta(seconds=rng.randint(0, 600))
                elif status == "late":
                    marked_at = opened + timedelta(seconds=rng.randint(600, 2400))
                else:
                    marked_at = opened + timedelta(seconds=rng.randint(300, 900))
                    if status == "leave":
                        old = (day - person.birth).days > 365 * 65
                        leave_kind = (
                            "sick"
                            if old and rng.random() < 0.6
                            else rng.choice(("sick", "personal", "personal", "official", "other"))
                        )
                        reason = rng.choice(W.LEAVE_REASONS[leave_kind])
                        if detailed and rng.random() < 0.5:
                            # Asked before the meeting, approved by the 书记/组长.
                            decider = mtg.convener
                            asked = mtg.start - timedelta(hours=rng.randint(5, 72))
                            decided = asked + timedelta(minutes=rng.randint(10, 300))
                            sink_add(
                                LeaveRequest,
                                (
                                    sink.next_id(LeaveRequest),
                                    mtg.id,
                                    person.id,
                                    leave_kind,
                                    reason,
                                    asked,
                                    LeaveStatus.APPROVED.value,
                                    decider,
                                    decided,
                                    "",
                                    1,
                                ),
                            )
                            marked_by, marked_at, method = decider, decided, MarkMethod.LEAVE.value
            sink_add(
                Attendance,
                (
                    sink.next_id(Attendance),
                    mtg.id,
                    person.id,
                    branch.org_id,
                    day,
                    is_full,
                    can_vote,
                    status,
                    reason,
                    leave_kind,
                    marked_by,
                    marked_at,
                    method,
                    1,
                ),
            )
            roll.append((person, status, can_vote))
        return roll

    # -- records ------------------------------------------------------------------------------

    def _agenda(
        self,
        mtg: _Mtg,
        rng: random.Random,
        full: bool,
        roll: list[tuple[_Person, str | None, bool]],
    ) -> list[tuple[int, str, str | None]]:
        """Writes agenda items; returns (id, title, act)."""
        topic = rng.choice(W.STUDY_TOPICS)
        activity = rng.choice(W.ACTIVITIES)
        doc = rng.choice(W.DOCUMENTS)
        items: list[tuple[str, str | None]]
        if mtg.kind == "theme":
            items = [(t, None) for t in W.THEME_AGENDA[: rng.randint(2, 4)]]
            if Obligation.GENERAL_MEETING.value in mtg.obligations:
                items += [
                    (W.GENERAL_AGENDA[0], None),
                    (W.GENERAL_AGENDA[1], Act.GENERAL_DECISION.value),
                ]
        elif mtg.kind == "committee":
            items = [(t, None) for t in rng.sample(W.COMMITTEE_AGENDA, rng.randint(2, 3))]
        elif mtg.kind == "group":
            items = [(t, None) for t in W.GROUP_AGENDA[: rng.randint(2, 3)]]
        elif mtg.kind == "study":
            lecture = "党课：" + mtg.title.split("：", 1)[-1]
            items = [(lecture, None), (rng.choice(W.STUDY_AGENDA[1:]), None)]
        elif mtg.kind == "org_life":
            items = [(t, None) for t in W.ORG_LIFE_AGENDA]
        elif mtg.kind == "general":
            items = [(W.GENERAL_AGENDA[0], None), (W.GENERAL_AGENDA[1], Act.GENERAL_DECISION.value)]
            if rng.random() < 0.5:
                items.insert(0, ("学习传达上级会议精神", None))
        else:  # the special 党员大会 of branch 1
            candidate = self._name(rng.choice(("男", "女")), 1998)
            items = [
                ("学习传达街道党工委会议精神", None),
                (f"讨论接收{candidate}同志为中共预备党员", Act.ADMISSION.value),
                ("通报本季度党费收缴情况", None),
            ]
        if not full:
            items = items[:2]
        out: list[tuple[int, str, str | None]] = []
        for position, (title, act) in enumerate(items, start=1):
            title = title.format(topic=topic.removeprefix("学习"), activity=activity, doc=doc)
            item_id = self.sink.next_id(AgendaItem)
            self.sink.add(AgendaItem, (item_id, mtg.id, position, title, act, 1))
            out.append((item_id, title, act))
        return out

    def _speech_text(self, rng: random.Random) -> str:
        return (
            rng.choice(W.SPEECH_OPENERS)
            + rng.choice(W.SPEECH_BODIES)
            + rng.choice(W.SPEECH_CLOSERS)
        )

    def _content(
        self,
        branch: _Branch,
        mtg: _Mtg,
        roll: list[tuple[_Person, str | None, bool]],
        rng: random.Random,
        full: bool,
    ) -> None:
        """Agenda, speeches (言必录), decisions and guests of a past sitting."""
        sink = self.sink
        assert mtg.opened_at is not None and mtg.closed_at is not None
        agenda = self._agenda(mtg, rng, full, roll)
        present = [p for p, s, _ in roll if s in ("present", "late")]
        expected = [p for p, s, _ in roll if s != "exempt"]
        people = self.people
        clock = mtg.opened_at + timedelta(minutes=rng.randint(1, 4))
        span = max(10.0, (mtg.closed_at - clock).total_seconds() - 300)
        n_speeches = (rng.randint(3, 8) if full else rng.randint(1, 3)) if len(present) > 1 else 1
        if mtg.kind == "org_life":
            n_speeches += 3
        gap = span / (n_speeches + 1)
        moderator = people[mtg.moderator - 1]
        for k in range(n_speeches):
            if k == 0:
                speaker = moderator
                text = W.SECRETARY_OPENING.format(
                    title=mtg.title, expected=len(expected), present=len(present)
                )
            else:
                speaker = rng.choice(present) if present else moderator
                text = self._speech_text(rng)
            spoken = clock + timedelta(seconds=int(gap * k) + rng.randint(0, 60))
            item = (
                agenda[min(len(agenda) - 1, k * len(agenda) // n_speeches)][0] if agenda else None
            )
            sink.add(
                Speech,
                (
                    sink.next_id(Speech),
                    mtg.id,
                    item if k else None,
                    speaker.id,
                    speaker.name,
                    text,
                    spoken,
                    mtg.recorder,
                    spoken + timedelta(seconds=rng.randint(4, 90)),
                    1,
                ),
            )
        if full:
            closing = mtg.closed_at - timedelta(minutes=rng.randint(1, 4))
            sink.add(
                Speech,
                (
                    sink.next_id(Speech),
                    mtg.id,
                    None,
                    moderator.id,
                    moderator.name,
                    W.SECRETARY_CLOSING,
                    closing,
                    mtg.recorder,
                    closing + timedelta(seconds=rng.randint(4, 40)),
                    1,
                ),
            )
        # Decisions: the 党员大会 part of a sitting.
        if Obligation.GENERAL_MEETING.value in mtg.obligations and full:
            voters = sorted(p.id for p, s, v in roll if v and s != "exempt")
            voters_present = [p for p, s, v in roll if v and s in ("present", "late")]
            decided = mtg.opened_at + timedelta(seconds=int(span * 0.8))
            general_item = next((a for a in agenda if a[2] == Act.GENERAL_DECISION.value), None)
            if general_item is not None:
                # One failing vote is guaranteed (branch 2's first recorded 党员大会).
                fail = rng.random() < 0.06 or (branch.index == 1 and not self._failed_vote)
                self._failed_vote = self._failed_vote or fail
                self._decision(
                    mtg,
                    general_item[0],
                    Act.GENERAL_DECISION,
                    f"关于{general_item[1].removeprefix('审议')}的决议",
                    voters,
                    len(voters_present),
                    rng,
                    fail,
                    decided,
                    None,
                    owner=mtg.convener,
                )
            for candidate in self._candidates(branch, mtg):
                item_id = sink.next_id(AgendaItem)
                sink.add(
                    AgendaItem,
                    (
                        item_id,
                        mtg.id,
                        len(agenda) + 1,
                        f"讨论接收{candidate.name}同志为中共预备党员",
                        Act.ADMISSION.value,
                        1,
                    ),
                )
                decided += timedelta(minutes=6)
                self._decision(
                    mtg,
                    item_id,
                    Act.ADMISSION,
                    f"同意接收{candidate.name}同志为中共预备党员",
                    voters,
                    len(voters_present),
                    rng,
                    False,
                    decided,
                    candidate,
                )
                sink.add(
                    Guest,
                    (
                        sink.next_id(Guest),
                        mtg.id,
                        candidate.name,
                        "发展对象",
                        "列席党员大会，接受支部讨论",
                        mtg.created_at,
                    ),
                )
        if full and (mtg.kind == "org_life" or (mtg.kind == "theme" and rng.random() < 0.15)):
            role, why = rng.choice(W.GUEST_ROLES)
            guest = self._name(rng.choice(("男", "女")), 1975)
            sink.add(
                Guest,
                (
                    sink.next_id(Guest),
                    mtg.id,
                    guest,
                    f"{branch.community_name}社区党委{role.removeprefix('社区党委')}"
                    if role.startswith("社区党委")
                    else role,
                    why,
                    mtg.created_at,
                ),
            )

    def _candidates(self, branch: _Branch, mtg: _Mtg) -> list[_Person]:
        """Members admitted in this branch within ~100 days after a 党员大会: its vote."""
        out = []
        for stint in branch.stints:
            person = self.people[stint.member - 1]
            if (
                person.origin == "new"
                and stint.starts == person.admitted
                and mtg.day < person.admitted <= mtg.day + timedelta(days=100)
                and stint.member not in self._voted
            ):
                self._voted.add(stint.member)
                out.append(person)
        return out

    def _decision(
        self,
        mtg: _Mtg,
        item_id: int | None,
        act: Act,
        text: str,
        voters: Sequence[int],
        present: int,
        rng: random.Random,
        fail: bool,
        decided: datetime,
        candidate: _Person | None,
        owner: int | None = None,
    ) -> None:
        expected = len(voters)
        needed = expected // 2 + 1
        if fail and present > 2:
            yes = min(present, max(0, needed - 1 - rng.randint(0, 2)))
        else:
            yes = present - rng.choice((0, 0, 0, 1))
        yes = max(0, yes)
        rest = present - yes
        no = rng.randint(0, rest)
        abstain = rng.randint(0, rest - no)
        written_yes = 0
        if act is Act.ADMISSION and expected - present > 0 and rng.random() < 0.5:
            written_yes = rng.randint(0, min(2, expected - present))
        outcome = evaluate(
            act, VoteBase(expected, present), Tally(yes, no, abstain, written_yes=written_yes)
        )
        if act is Act.ADMISSION and not outcome.passed:
            return  # a candidate who was admitted had a passing vote; none recorded here
        self.sink.add(
            Decision,
            (
                self.sink.next_id(Decision),
                mtg.id,
                item_id,
                act.value,
                text,
                candidate.id if candidate else None,
                candidate.name if candidate else "",
                yes,
                no,
                abstain,
                written_yes,
                0,
                0,
                expected,
                present,
                json.dumps(list(voters)),
                outcome.quorum_met,
                outcome.passed,
                outcome.reason_key,
                json.dumps(outcome.params, ensure_ascii=False, sort_keys=True),
                DEFAULT_RULES.version,
                "",
                owner,
                (mtg.day + timedelta(days=30)) if owner else None,
                decided,
                mtg.recorder,
                1,
            ),
        )

    def _grades(
        self,
        branch: _Branch,
        mtg: _Mtg,
        roll: list[tuple[_Person, str | None, bool]],
        rng: random.Random,
    ) -> None:
        """民主评议: full members on the roll (not exempt) get a grade; 优秀 at most 1/3."""
        assert mtg.report_year is not None and mtg.closed_at is not None
        graded = [p for p, s, _ in roll if s != "exempt" and p.is_full_on(mtg.day)]
        cap = excellent_cap(len(graded))
        n_excellent = rng.randint(cap // 2, cap) if cap else 0
        order = sorted(graded, key=lambda p: (p.t_absent, p.id))
        excellent = {p.id for p in order[: n_excellent * 2]}
        chosen = set(rng.sample(sorted(excellent), min(n_excellent, len(excellent))))
        at = mtg.closed_at + timedelta(hours=rng.randint(2, 48))
        for person in graded:
            if person.id in chosen:
                grade = Grade.EXCELLENT
            elif person.t_absent > 0.15 and rng.random() < 0.5:
                grade = Grade.BASIC if rng.random() < 0.8 else Grade.UNQUALIFIED
            else:
                grade = Grade.QUALIFIED if rng.random() < 0.97 else Grade.BASIC
            self.sink.add(
                AppraisalGrade,
                (
                    self.sink.next_id(AppraisalGrade),
                    branch.org_id,
                    mtg.report_year,
                    person.id,
                    grade.value,
                    mtg.id,
                    mtg.recorder,
                    at,
                    1,
                ),
            )

    def _org_life(
        self,
        branch: _Branch,
        mtg: _Mtg,
        roll: list[tuple[_Person, str | None, bool]],
        rng: random.Random,
        next_round: _Mtg | None,
        latest: bool,
    ) -> None:
        """Problem list, criticism and self-criticism, the rectification list, progress."""
        sink = self.sink
        assert mtg.opened_at is not None and mtg.closed_at is not None
        present = [p for p, s, _ in roll if s in ("present", "late")]
        secretary = branch.secretary
        clock = mtg.opened_at + timedelta(minutes=20)
        # Criticism: the 书记 first, then every member in turn.
        ordered = sorted(present, key=lambda p: (p.id != secretary, p.id))
        for person in ordered:
            clock += timedelta(seconds=rng.randint(60, 240))
            sink.add(
                Criticism,
                (
                    sink.next_id(Criticism),
                    mtg.id,
                    person.id,
                    person.id,
                    rng.choice(W.SELF_CRITICISMS),
                    clock,
                    mtg.recorder,
                ),
            )
            if len(present) > 1 and rng.random() < 0.5:
                other = rng.choice(present)
                if other is not person:
                    clock += timedelta(seconds=rng.randint(30, 120))
                    sink.add(
                        Criticism,
                        (
                            sink.next_id(Criticism),
                            mtg.id,
                            other.id,
                            person.id,
                            rng.choice(W.CRITICISMS).format(name=person.name),
                            clock,
                            mtg.recorder,
                        ),
                    )
        # Problems: for the branch (owner: 书记 or a 委员) and for some members.
        problems: list[tuple[int, str, int | None, int]] = []  # id, text, member, owner
        created = mtg.closed_at - timedelta(minutes=15)
        owners = branch.committee or [secretary]
        for text in rng.sample(W.PROBLEMS_BRANCH, 3):
            pid = sink.next_id(Problem)
            sink.add(Problem, (pid, mtg.id, None, text, created, secretary, 1))
            problems.append((pid, text, None, rng.choice(owners)))
        dangyuan = self.personas["dangyuan"].id
        for person in present:
            forced = person.id == dangyuan and latest
            if forced or rng.random() < 0.3:
                for text in rng.sample(W.PROBLEMS_MEMBER, 2 if forced else 1):
                    pid = sink.next_id(Problem)
                    sink.add(Problem, (pid, mtg.id, person.id, text, created, secretary, 1))
                    problems.append((pid, text, person.id, person.id))
        # The rectification list.
        for k, (pid, text, member, owner) in enumerate(problems):
            deadline = mtg.day + timedelta(days=rng.choice((60, 90, 120, 180, 240)))
            measure = rng.choice(W.MEASURES)
            verified_by = verified_at = review_meeting = None
            review_note = ""
            notes = 0
            if not latest and next_round is not None:
                if rng.random() < 0.06:
                    status = RectStatus.IN_PROGRESS
                    review_note = W.REVIEW_CARRIED
                    notes = 1
                else:
                    status = RectStatus.VERIFIED
                    assert next_round.opened_at is not None
                    hi = min(deadline, next_round.day - timedelta(days=3))
                    verified_at = datetime.combine(
                        self._random_day(mtg.day + timedelta(days=20), hi),
                        time(16, rng.randint(0, 59)),
                    )
                    verified_by = secretary
                    review_note = W.REVIEW_DONE
                    notes = rng.randint(1, 2)
                review_meeting = next_round.id if next_round.past else None
                if review_meeting is None:
                    review_note = ""
            else:
                if member == dangyuan:
                    status = RectStatus.OPEN if k % 2 == 0 else RectStatus.IN_PROGRESS
                    if status is RectStatus.OPEN and mtg.day + timedelta(days=60) < self.today:
                        deadline = mtg.day + timedelta(days=60)
                elif k == 0 and mtg.day + timedelta(days=45) < self.today:
                    status = RectStatus.OPEN  # a branch item past its deadline
                    deadline = mtg.day + timedelta(days=45)
                else:
                    status = rng.choices(
                        (
                            RectStatus.OPEN,
                            RectStatus.IN_PROGRESS,
                            RectStatus.DONE,
                            RectStatus.VERIFIED,
                        ),
                        weights=(3, 4, 2, 1),
                    )[0]
                if status is RectStatus.VERIFIED:
                    verified_by = secretary
                    verified_at = min(
                        self.now - timedelta(days=1),
                        datetime.combine(
                            mtg.day + timedelta(days=rng.randint(30, 120)), time(15, 0)
                        ),
                    )
                notes = {
                    RectStatus.OPEN: 0,
                    RectStatus.IN_PROGRESS: 1,
                    RectStatus.DONE: 2,
                    RectStatus.VERIFIED: 2,
                }[status]
            rid = sink.next_id(Rectification)
            sink.add(
                Rectification,
                (
                    rid,
                    branch.org_id,
                    mtg.id,
                    pid,
                    text,
                    measure,
                    owner,
                    deadline,
                    status.value,
                    verified_by,
                    verified_at,
                    review_meeting,
                    review_note,
                    created,
                    1,
                ),
            )
            upper = verified_at or min(
                self.now - timedelta(hours=3), datetime.combine(deadline, time(18, 0))
            )
            for n in range(notes):
                lo = mtg.closed_at + timedelta(days=7)
                span = max(1, int((upper - lo).total_seconds()) - 3600)
                noted = lo + timedelta(seconds=span * (n + 1) // (notes + 1))
                evidence = rng.choice(W.EVIDENCE).format(page=rng.randint(2, 40))
                text_note = (
                    "已完成整改，提交证明材料"
                    if n == notes - 1 and status in (RectStatus.DONE, RectStatus.VERIFIED)
                    else "正在按计划推进"
                )
                sink.add(
                    RectProgress,
                    (
                        sink.next_id(RectProgress),
                        rid,
                        noted,
                        owner or secretary,
                        text_note,
                        evidence,
                    ),
                )

    def _leave_requests(self, branch: _Branch, meetings: list[_Mtg], rng: random.Random) -> None:
        """A few requests for upcoming meetings: approved, refused and pending."""
        sink = self.sink
        upcoming = [m for m in meetings if not m.past and m.kind in ("special", "theme")]
        if not upcoming:
            return
        target = upcoming[0] if branch.index else next(m for m in upcoming if m.kind == "special")
        regular = [
            p
            for p in (self.people[s.member - 1] for s in branch.stints if s.covers(target.day))
            if not p.protected and not p.mode and p.exemption_on(target.day) is None
        ]
        if not regular:
            return
        statuses = (LeaveStatus.APPROVED, LeaveStatus.REFUSED, LeaveStatus.PENDING)
        if branch.index:
            statuses = (LeaveStatus.PENDING,)
        for status, person in zip(
            statuses, rng.sample(regular, min(len(regular), len(statuses))), strict=False
        ):
            kind = rng.choice(("sick", "personal", "official"))
            asked = self.now - timedelta(hours=rng.randint(3, 60))
            decided_by = decided_at = None
            note = ""
            if status is not LeaveStatus.PENDING:
                decided_by = branch.secretary
                decided_at = asked + timedelta(hours=2)
                note = W.REFUSAL_NOTE if status is LeaveStatus.REFUSED else ""
            sink.add(
                LeaveRequest,
                (
                    sink.next_id(LeaveRequest),
                    target.id,
                    person.id,
                    kind,
                    rng.choice(W.LEAVE_REASONS[kind]),
                    asked,
                    status.value,
                    decided_by,
                    decided_at,
                    note,
                    1,
                ),
            )
            if status is LeaveStatus.APPROVED:
                self._approved_leave.append((target.id, person.id, kind, decided_by, decided_at))

    # -- the end --------------------------------------------------------------------------------

    def _audit_posts(self) -> None:
        """The rights audit of the demo: every post as the administrator's appointment on
        its first day, so that the audit screen and report have a history to show."""
        sink, admin = self.sink, self.personas["admin"].id
        posts = (Position.select(Position.member, Position.org, Position.role,
                                 Position.starts, Position.ends)
                 .order_by(Position.starts, Position.id).tuples())
        for member, org, role, starts, ends in posts:
            sink.add(RightsAudit, (sink.next_id(RightsAudit),
                                   datetime.combine(starts, time(9, 0)), admin,
                                   "position.appoint", member, org, "",
                                   _audit_after(role, org, starts, ends)))
        sink.flush()

    def finish(self, started: float) -> DemoSummary:
        sink = self.sink
        sink.flush()
        self._audit_posts()
        # Approved leave for an upcoming meeting shows on its roll.
        with write_transaction(sink.db):
            for meeting_id, member_id, kind, decided_by, decided_at in self._approved_leave:
                (
                    Attendance.update(
                        status=AttendanceStatus.LEAVE.value,
                        leave_kind=kind,
                        reason=W.LEAVE_REASONS[kind][0],
                        marked_by=decided_by,
                        marked_at=decided_at,
                        method=MarkMethod.LEAVE.value,
                    )
                    .where((Attendance.meeting == meeting_id) & (Attendance.member == member_id))
                    .execute()
                )
        counts = dict(sink.counts)
        summary = {
            "profile": self.profile.name,
            "seed": self.seed,
            "today": self.today.isoformat(),
            "rows": dict(sorted(counts.items())),
        }
        data = json.dumps(summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        sink.add(
            ChangeLog,
            (
                sink.next_id(ChangeLog),
                self.now,
                self.personas["admin"].id,
                "import",
                "demo",
                None,
                None,
                data,
                "",
                hashlib.sha256(data.encode()).hexdigest(),
            ),
        )
        sink.flush()
        sink.reset_sequences()
        counts = dict(sink.counts)
        return DemoSummary(
            profile=self.profile.name,
            orgs=counts.get("org", 0),
            members=counts.get("member", 0),
            meetings=counts.get("meeting", 0),
            attendance=counts.get("attendance", 0),
            seconds=round(_time.perf_counter() - started, 3),
            personas={role: p.login for role, p in self.personas.items()},
            rows=dict(sorted(counts.items())),
        )


def _audit_after(role: str, org: int, starts: date, ends: date | None) -> str:
    """What ``services.roster.audit_rights`` writes for an appointment (canonical JSON)."""
    data = {"role": role, "org": org, "starts": starts.isoformat(),
            "ends": ends.isoformat() if ends else None}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def build(
    db: Database,
    profile: str = "A",
    *,
    today: date,
    seed: int = 20261127,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill the empty, migrated database ``db`` with the demo profile ``profile``.

    Deterministic for a given ``seed`` and ``today``. Raises ValueError for an unknown
    profile or when ``org`` already has rows. ``progress`` receives short status lines."""
    try:
        prof = PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown demo profile {profile!r}; choose one of {sorted(PROFILES)}"
        ) from None
    started = _time.perf_counter()
    report = progress or (lambda _msg: None)
    with db.bind_ctx(ALL_MODELS, bind_refs=False, bind_backrefs=False):
        if Org.select().exists():
            raise ValueError("the database already holds organisations; build needs an empty one")
        gen = _Generator(db, prof, today, seed, progress)
        gen.plan()
        report(f"planned {len(gen.people)} members in {len(gen.branches)} branches")
        gen.write_static()
        report("organisations, members and posts written")
        gen.write_branches()
        return gen.finish(started)
