"""The demo data generator (branchtui.demo.generate): profile A built into a migrated
temp-file SQLite database, and into a scratch PostgreSQL database when
BRANCHTUI_TEST_PG_URL is set. The checks read the data the way the app will: through the
models, with the rules of branchtui.core."""

from __future__ import annotations

import hashlib
import json
import os
import time as clock
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from peewee import JOIN, SQL, Database, fn

from branchtui.core.appraisal import excellent_cap
from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    MeetingStatus,
    Obligation,
    OrgKind,
    PositionRole,
    RectStatus,
)
from branchtui.core.lapse import lapse_status
from branchtui.core.series import render_title
from branchtui.core.votes import Tally, VoteBase, evaluate
from branchtui.demo import PERSONAS, PROFILES, DemoSummary, build, is_demo
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from branchtui.store.models import (
    ALL_MODELS,
    AgendaItem,
    AppraisalGrade,
    Attendance,
    ChangeLog,
    CommitteeTerm,
    Decision,
    Exemption,
    Meeting,
    MeetingObligation,
    Member,
    Membership,
    Org,
    Position,
    Rectification,
    Series,
)

TODAY = date(2026, 11, 27)
PG_URL = os.environ.get("BRANCHTUI_TEST_PG_URL")


# -- fixtures -------------------------------------------------------------------------------


def _sqlite(path: Path) -> Database:
    # bind=False: the generator and these tests bind the models themselves, so another
    # test module's database is never replaced behind its back.
    db = open_database(f"sqlite:///{path}", bind=False)
    upgrade(db)
    return db


@pytest.fixture(scope="module")
def pg_scratch() -> Iterator[str]:
    """A fresh PostgreSQL database, created and dropped here; yields its URL."""
    if not PG_URL:
        pytest.skip("BRANCHTUI_TEST_PG_URL is not set")
    import psycopg

    name = f"branchtui_gen_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_URL)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)],
)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, DemoSummary]]:
    """Profile A, built once per backend for the whole module."""
    if request.param == "sqlite":
        db = _sqlite(tmp_path_factory.mktemp("demo") / "a.sqlite3")
    else:
        url = request.getfixturevalue("pg_scratch")
        db = open_database(url, bind=False)
        upgrade(db)
    summary = build(db, "A", today=TODAY)
    with db.bind_ctx(ALL_MODELS):
        yield db, summary
    db.close()


@pytest.fixture
def db(demo: tuple[Database, DemoSummary]) -> Database:
    return demo[0]


@pytest.fixture
def summary(demo: tuple[Database, DemoSummary]) -> DemoSummary:
    return demo[1]


def _member(login: str) -> Member:
    return Member.get(Member.login == login)


def _branch_one() -> Org:
    admin = _member("admin")
    return Org.get_by_id(Membership.get(Membership.member == admin).branch_id)


def _current_positions(member: Member) -> list[tuple[str, int]]:
    return list(
        Position.select(Position.role, Position.org)
        .where((Position.member == member) & Position.ends.is_null())
        .tuples()
    )


# -- sizes and determinism ------------------------------------------------------------------


def test_profile_a_sizes(db: Database, summary: DemoSummary) -> None:
    kinds = Counter(kind for (kind,) in Org.select(Org.kind).tuples())
    assert kinds == {
        OrgKind.WORK_COMMITTEE: 1,
        OrgKind.PARTY_COMMITTEE: 1,
        OrgKind.BRANCH: 6,
        OrgKind.GROUP: 15,
    }
    assert Member.select().count() == summary.members == 230
    assert 800 <= Meeting.select().count() == summary.meetings <= 1500
    assert 14_000 <= Attendance.select().count() == summary.attendance <= 30_000
    assert summary.orgs == 23
    assert summary.profile == "A"
    assert summary.seconds > 0
    # Every table the summary counts holds exactly that many rows.
    for model in ALL_MODELS:
        assert model.select().count() == summary.rows.get(model._meta.table_name, 0)


def test_profiles_follow_domain_sizes() -> None:
    assert PROFILES["A"].branches == 6 and PROFILES["A"].members == 230
    assert PROFILES["B"].branches == 120 and PROFILES["B"].members == 4000
    assert PROFILES["B"].exempt_share == pytest.approx(0.14)
    assert PROFILES["stress"].branches == 600 and PROFILES["stress"].members == 17_000
    assert PROFILES["stress"].years == 10


def test_deterministic_for_seed_and_today(tmp_path: Path, summary: DemoSummary) -> None:
    first = _sqlite(tmp_path / "one.sqlite3")
    again = build(first, "A", today=TODAY)
    with first.bind_ctx(ALL_MODELS):
        names = [n for (n,) in Member.select(Member.name).order_by(Member.id).limit(40).tuples()]
        digest = ChangeLog.get().hash
    other = _sqlite(tmp_path / "other.sqlite3")
    changed = build(other, "A", today=TODAY, seed=7)
    with other.bind_ctx(ALL_MODELS):
        other_names = [
            n for (n,) in Member.select(Member.name).order_by(Member.id).limit(40).tuples()
        ]
    assert again.rows == summary.rows
    assert again.personas == summary.personas
    assert names == [
        n for (n,) in Member.select(Member.name).order_by(Member.id).limit(40).tuples()
    ]
    # The import entry summarises the rows; same data, same hash.
    assert digest == ChangeLog.get().hash
    assert other_names != names
    assert changed.personas == summary.personas  # fixed logins, whatever the seed
    first.close()
    other.close()


# What profile A holds for TODAY and the default seed, as ``_content_digest`` reads it. A
# change to the generator that changes the data changes this digest: when that is meant,
# put the new digest here and say why in the commit; a refactoring must leave it alone.
PROFILE_A_CONTENT = "f1059bbcd2ba9feff2ffb0882bc5552742919de8535c5d6d67e380ed7642b93b"


def _content_digest(db: Database) -> str:
    """Every table's rows in id order, each row as its (column, value) pairs that differ from
    the column's default (None for a nullable column without one), the values as the models
    read them: the same on SQLite and PostgreSQL, and unchanged by a new column that every
    row leaves at its default."""
    h = hashlib.sha256()
    with db.bind_ctx(ALL_MODELS):
        for model in ALL_MODELS:
            fields = model._meta.sorted_fields
            defaults = [None if callable(f.default) else f.default for f in fields]
            h.update(f"{model._meta.table_name}\n".encode())
            query = model.select(*fields).order_by(model.id).tuples()
            for row in query.iterator():
                pairs = [
                    (f.name, value)
                    for f, value, default in zip(fields, row, defaults, strict=True)
                    if value is not None and (default is None or value != default)
                ]
                h.update(f"{pairs!r}\n".encode())
    return h.hexdigest()


def test_profile_a_content_is_pinned(db: Database) -> None:
    """Same profile, seed and today, same data: rows, ids and values (on either backend)."""
    assert _content_digest(db) == PROFILE_A_CONTENT


def _table_digests(db: Database) -> dict[str, str]:
    out = {}
    with db.bind_ctx(ALL_MODELS):
        for model in ALL_MODELS:
            h = hashlib.sha256()
            for row in model.select().order_by(model.id).tuples().iterator():
                h.update(repr(row).encode())
            out[model._meta.table_name] = h.hexdigest()
    return out


def test_fallback_writer_stores_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast SQLite path (executemany with ISO dates) writes what peewee's insert_many
    writes; progress lines arrive."""
    fast = _sqlite(tmp_path / "fast.sqlite3")
    lines: list[str] = []
    build(fast, "A", today=TODAY, progress=lines.append)
    assert lines and any("branches 6/6" in line for line in lines)
    monkeypatch.setattr("branchtui.demo.generate.rows.is_sqlite", lambda _db: False)
    slow = _sqlite(tmp_path / "slow.sqlite3")
    build(slow, "A", today=TODAY)
    assert _table_digests(fast) == _table_digests(slow)
    fast.close()
    slow.close()


def test_refuses_a_database_that_has_organisations(db: Database) -> None:
    with pytest.raises(ValueError):
        build(db, "A", today=TODAY)


def test_unknown_profile(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build(_sqlite(tmp_path / "x.sqlite3"), "Z", today=TODAY)


def test_is_demo(db: Database, tmp_path: Path) -> None:
    assert is_demo(db)
    assert is_demo()  # the models' current database (bound by the fixture)
    empty = _sqlite(tmp_path / "empty.sqlite3")
    assert not is_demo(empty)
    assert is_demo()  # the binding is restored
    empty.close()
    assert PERSONAS["shuji"] == "shuji" and set(PERSONAS) >= {
        "admin",
        "shuji",
        "jilu",
        "dangyuan",
        "yubei",
        "shangji",
        "xiaozhibu",
    }


def test_ids_continue_after_the_import(db: Database) -> None:
    """Explicit ids were written; new rows must get fresh ones (PostgreSQL sequences)."""
    with db.atomic() as txn:
        org = Org.create(parent=1, kind=OrgKind.GROUP.value, name="测试小组", created_at=TODAY)
        assert org.id > Org.select(fn.MAX(Org.id)).where(Org.id != org.id).scalar()
        txn.rollback()


# -- attendance -------------------------------------------------------------------------------


def test_attendance_only_for_members_of_that_day(db: Database) -> None:
    """SQL: every row has a membership covering the meeting day in that branch (and group)."""
    ms = Membership.alias()
    covering = ms.select(SQL("1")).where(
        (ms.member == Attendance.member)
        & (ms.branch == Attendance.branch)
        & (ms.starts <= Attendance.meeting_day)
        & (ms.ends.is_null() | (Attendance.meeting_day < ms.ends))
        & (Meeting.group.is_null() | (ms.group == Meeting.group))
    )
    orphans = (
        Attendance.select()
        .join(Meeting, on=(Attendance.meeting == Meeting.id))
        .where(~fn.EXISTS(covering))
        .count()
    )
    assert orphans == 0
    mismatched = (
        Attendance.select()
        .join(Meeting, on=(Attendance.meeting == Meeting.id))
        .where(Attendance.branch != Meeting.branch)
        .count()
    )
    assert mismatched == 0


def test_every_expected_member_has_a_row(db: Database) -> None:
    """The reverse: branch and group sittings list everyone whose membership covers the day
    (committee meetings list the committee)."""
    rows = Counter(m for (m,) in Attendance.select(Attendance.meeting).tuples())
    memberships = list(
        Membership.select(
            Membership.branch, Membership.group, Membership.starts, Membership.ends
        ).tuples()
    )
    committee = {
        m
        for (m,) in MeetingObligation.select(MeetingObligation.meeting)
        .where(MeetingObligation.obligation == Obligation.COMMITTEE_MEETING.value)
        .tuples()
    }
    checked = 0
    for mid, branch, group, start in Meeting.select(
        Meeting.id, Meeting.branch, Meeting.group, Meeting.planned_start
    ).tuples():
        if mid in committee:
            continue
        day = start.date()
        expected = sum(
            1
            for b, g, s, e in memberships
            if b == branch and s <= day and (e is None or day < e) and (group is None or g == group)
        )
        assert rows[mid] == expected, mid
        checked += 1
    assert checked > 500


def test_attendance_row_facts_match_the_day(db: Database) -> None:
    meetings = {
        mid: (start.date(), status)
        for mid, start, status in Meeting.select(
            Meeting.id, Meeting.planned_start, Meeting.status
        ).tuples()
    }
    full_since = dict(Member.select(Member.id, Member.full_since).tuples())
    exemptions = defaultdict(list)
    for member, starts, ends in Exemption.select(
        Exemption.member, Exemption.starts, Exemption.ends
    ).tuples():
        exemptions[member].append((starts, ends))
    statuses: Counter[str | None] = Counter()
    for meeting, member, day, is_full, can_vote, status in Attendance.select(
        Attendance.meeting,
        Attendance.member,
        Attendance.meeting_day,
        Attendance.is_full,
        Attendance.can_vote,
        Attendance.status,
    ).tuples():
        mday, mstatus = meetings[meeting]
        assert day == mday
        fs = full_since[member]
        assert is_full == (fs is not None and fs <= day)
        assert not can_vote or is_full
        exempt = any(s <= day and (e is None or day < e) for s, e in exemptions[member])
        assert (status == AttendanceStatus.EXEMPT) == exempt
        if mstatus == MeetingStatus.PLANNED:
            assert status in (None, AttendanceStatus.EXEMPT, AttendanceStatus.LEAVE)
        else:
            assert status is not None
        statuses[status] += 1
    # Realistic mix: mostly present, some of everything.
    total = sum(statuses.values())
    assert statuses[AttendanceStatus.PRESENT] > 0.7 * total
    for status in AttendanceStatus:
        assert statuses[status] > 0, status
    # 留党察看: attends, but no vote.
    assert Attendance.select().where(Attendance.is_full & ~Attendance.can_vote).exists()


def test_warning_lines_are_reached(db: Database) -> None:
    """One member near the six-month line, one over three unexcused absences this year."""
    history: dict[int, list[tuple[date, AttendanceStatus]]] = defaultdict(list)
    for member, day, status in (
        Attendance.select(Attendance.member, Attendance.meeting_day, Attendance.status)
        .where(Attendance.status.is_null(False) & (Attendance.branch == _branch_one()))
        .tuples()
    ):
        history[member].append((day, AttendanceStatus(status)))
    results = [lapse_status(m, rows, TODAY) for m, rows in history.items()]
    near = [r for r in results if r.near_lapse and not r.lapsed]
    assert any(r.months_since == 5 for r in near)
    assert any(r.over_absence_threshold for r in results)


# -- meetings ---------------------------------------------------------------------------------


def test_every_meeting_fulfils_an_obligation(db: Database) -> None:
    without = (
        Meeting.select()
        .join(MeetingObligation, JOIN.LEFT_OUTER, on=(MeetingObligation.meeting == Meeting.id))
        .where(MeetingObligation.id.is_null())
        .count()
    )
    assert without == 0
    # Denormalised branch and day agree with the meeting.
    for mid, branch, start in (
        Meeting.select(Meeting.id, Meeting.branch, Meeting.planned_start).limit(200).tuples()
    ):
        for b, d in (
            MeetingObligation.select(MeetingObligation.branch, MeetingObligation.day)
            .where(MeetingObligation.meeting == mid)
            .tuples()
        ):
            assert (b, d) == (branch, start.date())


def test_meeting_statuses_follow_today(db: Database) -> None:
    for start, status, opened, closed in Meeting.select(
        Meeting.planned_start, Meeting.status, Meeting.opened_at, Meeting.closed_at
    ).tuples():
        if start.date() < TODAY:
            assert status in (MeetingStatus.CLOSED, MeetingStatus.SEALED)
            assert opened is not None and closed is not None and opened < closed
        else:
            assert status == MeetingStatus.PLANNED
            assert opened is None and start.date() <= TODAY + timedelta(days=45)


def test_meetings_are_held_on_their_day_and_numbered_by_date(db: Database) -> None:
    """As the services would have it (issue 11, items 8 and 9): each held sitting was opened
    on its planned day, none is a 补录, and 第X次 runs 1, 2, 3… in date order per branch,
    group, first obligation and year."""
    first: dict[int, str] = {}
    for mid, ob in (MeetingObligation.select(MeetingObligation.meeting,
                                             MeetingObligation.obligation)
                    .order_by(MeetingObligation.id.desc()).tuples()):
        first[mid] = ob
    runs: dict[tuple, list[int]] = defaultdict(list)
    for mid, branch, group, start, opened, number, late_at, late_reason in (
        Meeting.select(Meeting.id, Meeting.branch, Meeting.group, Meeting.planned_start,
                       Meeting.opened_at, Meeting.number, Meeting.late_at,
                       Meeting.late_reason)
        .where(Meeting.status != MeetingStatus.CANCELLED.value)
        .order_by(Meeting.planned_start, Meeting.id).tuples()
    ):
        assert opened is None or opened.date() == start.date(), (mid, start, opened)
        assert late_at is None and late_reason == ""
        runs[(branch, group, first[mid], start.year)].append(number)
    assert runs
    for key, got in runs.items():
        assert got == list(range(1, len(got) + 1)), (key, got)


def test_theme_day_series(db: Database) -> None:
    series = list(Series.select().where(Series.rrule == "FREQ=MONTHLY;BYDAY=1FR"))
    assert len(series) == 6
    for s in series:
        dates = [
            d for (d,) in Meeting.select(Meeting.series_date).where(Meeting.series == s).tuples()
        ]
        assert len(dates) > 20
        assert all(d.weekday() == 4 and d.day <= 7 for d in dates)
        # Each sitting carries the title its series' pattern gives its own month.
        for title, day in Meeting.select(Meeting.title, Meeting.series_date).where(
                Meeting.series == s).tuples():
            assert title.startswith(render_title(s.title, day, 0)), (title, day)
    # In the last month of a quarter the theme day is also the 党员大会 and the 党课.
    quarter_end = (
        Meeting.select()
        .where(Meeting.series.is_null(False) & Meeting.title.contains("党员大会"))
        .first()
    )
    assert quarter_end is not None
    obligations = {
        o
        for (o,) in MeetingObligation.select(MeetingObligation.obligation)
        .where(MeetingObligation.meeting == quarter_end)
        .tuples()
    }
    assert obligations == {
        Obligation.THEME_DAY,
        Obligation.GENERAL_MEETING,
        Obligation.PARTY_LECTURE,
    }


def test_org_life_rounds_and_report_year(db: Database) -> None:
    rounds = list(
        Meeting.select().where(Meeting.report_year.is_null(False)).order_by(Meeting.planned_start)
    )
    assert rounds
    for m in rounds:
        assert m.planned_start.year == m.report_year + 1 and m.planned_start.month in (1, 2)
    reviewed = [m for m in rounds if m.reviews_id is not None]
    assert reviewed
    for m in reviewed:
        previous = Meeting.get_by_id(m.reviews_id)
        assert previous.branch_id == m.branch_id and previous.report_year == m.report_year - 1


def test_silent_branch_and_overdue_gaps(db: Database) -> None:
    branches = [o for (o,) in Org.select(Org.id).where(Org.kind == OrgKind.BRANCH).tuples()]
    last = dict(
        Meeting.select(Meeting.branch, fn.MAX(Meeting.planned_start))
        .group_by(Meeting.branch)
        .tuples()
    )
    silent = [b for b in branches if last[b].date() < TODAY - timedelta(days=45)]
    assert len(silent) == 1
    # Some branch missed last month's 支委会 although it has a committee.
    month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    committees = {o for (o,) in CommitteeTerm.select(CommitteeTerm.org).tuples()}
    held = {
        b
        for (b,) in MeetingObligation.select(MeetingObligation.branch)
        .where(
            (MeetingObligation.obligation == Obligation.COMMITTEE_MEETING.value)
            & (MeetingObligation.day >= month)
            & (MeetingObligation.day < TODAY.replace(day=1))
        )
        .tuples()
    }
    assert committees - held - set(silent)


# -- posts and personas -----------------------------------------------------------------------


def test_personas_and_their_posts(db: Database, summary: DemoSummary) -> None:
    assert summary.personas["admin"] == "admin"
    for role in ("admin", "shuji", "jilu", "dangyuan", "yubei", "shangji", "xiaozhibu"):
        assert role in summary.personas
        assert Member.select().where(Member.login == summary.personas[role]).exists()
    branch = _branch_one()
    assert branch.kind == OrgKind.BRANCH
    admin = _member("admin")
    assert admin.is_admin
    assert (PositionRole.SECRETARY, branch.id) in _current_positions(_member("shuji"))
    assert (PositionRole.ORGANIZATION, branch.id) in _current_positions(_member("jilu"))
    assert CommitteeTerm.select().where(CommitteeTerm.org == branch).exists()
    community = branch.parent_id
    assert Org.get_by_id(community).kind == OrgKind.PARTY_COMMITTEE
    assert (PositionRole.VIEWER, community) in _current_positions(_member("shangji"))
    root = Org.get(Org.kind == OrgKind.WORK_COMMITTEE)
    viewers = Position.select().where(
        (Position.org == root) & (Position.role == PositionRole.VIEWER)
    )
    assert viewers.count() == 1
    for login in ("admin", "shuji", "jilu", "dangyuan", "yubei"):
        current = Membership.get((Membership.member == _member(login)) & Membership.ends.is_null())
        assert current.branch_id == branch.id
    dangyuan = _member("dangyuan")
    assert dangyuan.full_since is not None and dangyuan.full_since < TODAY
    assert _current_positions(dangyuan) == []
    assert Attendance.select().where(Attendance.member == dangyuan).count() > 50
    yubei = _member("yubei")
    assert yubei.full_since is None and yubei.admitted is not None
    assert TODAY - timedelta(days=365) < yubei.admitted < TODAY
    # The vote that admitted the 预备党员.
    vote = Decision.get((Decision.candidate == yubei) & (Decision.act == Act.ADMISSION))
    assert vote.passed and vote.decided_at.date() < yubei.admitted
    # The small branch: its 书记 and no committee.
    small = Org.get_by_id(
        next(o for r, o in _current_positions(_member("xiaozhibu")) if r == PositionRole.SECRETARY)
    )
    assert small.has_committee is False
    assert not CommitteeTerm.select().where(CommitteeTerm.org == small).exists()
    assert (
        Membership.select().where((Membership.branch == small) & Membership.ends.is_null()).count()
        == 3
    )


def test_upcoming_meeting_of_branch_one(db: Database) -> None:
    branch = _branch_one()
    jilu = _member("jilu")
    upcoming = list(
        Meeting.select()
        .where(
            (Meeting.branch == branch)
            & (Meeting.status == MeetingStatus.PLANNED)
            & (Meeting.planned_start < TODAY + timedelta(days=8))
            & Meeting.group.is_null()
        )
        .order_by(Meeting.planned_start)
    )
    assert upcoming
    meeting = upcoming[0]
    assert meeting.recorder_id == jilu.id
    assert meeting.allow_self_signin
    assert meeting.convener_id == _member("shuji").id
    assert AgendaItem.select().where(AgendaItem.meeting == meeting).count() >= 2
    rows = Attendance.select().where(Attendance.meeting == meeting)
    assert rows.count() > 20
    assert {r.status for r in rows} <= {None, AttendanceStatus.EXEMPT, AttendanceStatus.LEAVE}


def test_committees_follow_the_full_member_count(db: Database) -> None:
    has_terms = {o for (o,) in CommitteeTerm.select(CommitteeTerm.org).tuples()}
    branches = list(Org.select().where(Org.kind == OrgKind.BRANCH))
    without = [b for b in branches if b.id not in has_terms]
    assert without  # at least the small branch
    explicit = [b for b in branches if b.has_committee is not None]
    assert len(explicit) == 1
    for b in branches:
        secretaries = Position.select().where(
            (Position.org == b)
            & (Position.role == PositionRole.SECRETARY)
            & Position.ends.is_null()
        )
        assert secretaries.count() == 1
        if b.id in has_terms:
            roles = {
                r
                for (r,) in Position.select(Position.role)
                .where((Position.org == b) & Position.ends.is_null())
                .tuples()
            }
            assert {
                PositionRole.ORGANIZATION,
                PositionRole.PROPAGANDA,
                PositionRole.DISCIPLINE,
            } <= roles
    groups = Org.select().where(Org.kind == OrgKind.GROUP)
    for g in groups:
        leaders = Position.select().where(
            (Position.org == g) & (Position.role == PositionRole.GROUP_LEADER)
        )
        assert leaders.count() == 1


def test_a_transfer_exists(db: Database) -> None:
    closed = Membership.alias()
    transfers = (
        Membership.select(Membership.member)
        .join(
            closed,
            on=(
                (closed.member == Membership.member)
                & (closed.ends == Membership.starts)
                & (closed.branch != Membership.branch)
            ),
        )
        .where(Membership.note.contains("转入") & closed.note.contains("转出"))
    )
    assert transfers.exists()
    # Some members left the tree altogether.
    assert Membership.select().where(Membership.ends.is_null(False)).count() > transfers.count()


def test_members_are_realistic(db: Database) -> None:
    members = list(Member.select())
    logins = [m.login for m in members]
    assert len(set(logins)) == len(logins)
    assert all(login.isascii() for login in logins)
    over_60 = sum(1 for m in members if m.birth_date and m.birth_date <= date(1966, 11, 27))
    assert 0.2 < over_60 / len(members) < 0.36
    for m in members:
        assert 1 < len(m.name) <= 4
        if m.full_since is not None:
            assert m.admitted is not None and 360 <= (m.full_since - m.admitted).days <= 420
    exempt = Exemption.select(Exemption.member).distinct().count()
    assert 0.05 < exempt / len(members) < 0.2
    reasons = {r for (r,) in Exemption.select(Exemption.reason).tuples()}
    assert reasons <= {"住院治疗", "孕产期", "年老体弱行动不便", "长期外出"}


# -- records ------------------------------------------------------------------------------------


def test_decisions_follow_the_vote_rules(db: Database) -> None:
    decisions = list(Decision.select())
    assert decisions
    outcomes = set()
    for d in decisions:
        voters = json.loads(d.voters_snapshot)
        assert len(voters) == d.voters_expected
        assert d.yes + d.no + d.abstain <= d.voters_present <= d.voters_expected
        verdict = evaluate(
            Act(d.act),
            VoteBase(d.voters_expected, d.voters_present),
            Tally(d.yes, d.no, d.abstain, d.written_yes, d.written_no, d.written_abstain),
        )
        assert (verdict.quorum_met, verdict.passed, verdict.reason_key) == (
            d.quorum_met,
            d.passed,
            d.reason_key,
        )
        assert d.rule_version == "zbgztl-2018.1"
        outcomes.add(d.passed)
        present_voters = (
            Attendance.select()
            .where(
                (Attendance.meeting == d.meeting_id)
                & Attendance.can_vote
                & Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.LATE])
            )
            .count()
        )
        assert present_voters == d.voters_present
    assert outcomes == {True, False}


def test_no_probationary_member_is_graded(db: Database) -> None:
    grades = list(
        AppraisalGrade.select(
            AppraisalGrade.branch,
            AppraisalGrade.year,
            AppraisalGrade.grade,
            Member.full_since,
            Meeting.planned_start,
        )
        .join(Member, on=(AppraisalGrade.member == Member.id))
        .switch(AppraisalGrade)
        .join(Meeting, on=(AppraisalGrade.meeting == Meeting.id))
        .tuples()
    )
    assert grades
    per_round: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for branch, year, grade, full_since, held in grades:
        assert full_since is not None and full_since <= held.date()
        per_round[branch, year][grade] += 1
    for counts in per_round.values():
        assert counts["excellent"] <= excellent_cap(sum(counts.values()))


def test_rectification_lists(db: Database) -> None:
    items = list(Rectification.select())
    assert items
    # The latest round has open items, some past their deadline.
    overdue = [
        r
        for r in items
        if r.status in (RectStatus.OPEN, RectStatus.IN_PROGRESS) and r.deadline < TODAY
    ]
    assert overdue
    verified = [r for r in items if r.status == RectStatus.VERIFIED and r.review_meeting_id]
    assert verified
    for r in verified:
        assert r.verified_by_id is not None and r.verified_at is not None
        review = Meeting.get_by_id(r.review_meeting_id)
        assert review.reviews_id == r.meeting_id
    dangyuan = _member("dangyuan")
    mine = {r.status for r in items if r.owner_id == dangyuan.id}
    assert {RectStatus.OPEN, RectStatus.IN_PROGRESS} <= mine


def test_import_is_logged_once(db: Database, summary: DemoSummary) -> None:
    entry = ChangeLog.get()
    assert ChangeLog.select().count() == 1
    assert (entry.action, entry.entity) == ("import", "demo")
    assert entry.hash == hashlib.sha256(entry.data.encode()).hexdigest()
    assert json.loads(entry.data)["profile"] == "A"


@pytest.mark.parametrize("today", [date(2024, 2, 29), date(2027, 6, 15)])
def test_other_todays(tmp_path: Path, today: date) -> None:
    """Everything is relative to ``today``: a leap day and another year build as well."""
    db = _sqlite(tmp_path / "t.sqlite3")
    summary = build(db, "A", today=today)
    assert 800 <= summary.meetings <= 1500
    with db.bind_ctx(ALL_MODELS):
        branch = _branch_one()
        history: dict[int, list[tuple[date, AttendanceStatus]]] = defaultdict(list)
        for member, day, status in (
            Attendance.select(Attendance.member, Attendance.meeting_day, Attendance.status)
            .where(Attendance.status.is_null(False) & (Attendance.branch == branch))
            .tuples()
        ):
            history[member].append((day, AttendanceStatus(status)))
        results = [lapse_status(m, rows, today) for m, rows in history.items()]
        assert any(r.near_lapse and not r.lapsed and r.months_since == 5 for r in results)
        assert any(r.over_absence_threshold for r in results)
        assert (
            Meeting.select()
            .where(
                (Meeting.branch == branch)
                & (Meeting.status == MeetingStatus.PLANNED)
                & (Meeting.planned_start < today + timedelta(days=8))
                & (Meeting.recorder == _member("jilu"))
            )
            .exists()
        )
        assert Meeting.select(fn.MAX(Meeting.planned_start)).scalar() <= datetime.combine(
            today + timedelta(days=42), time(23, 59)
        )
    db.close()


# -- the larger profiles (opt-in) ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("BRANCHTUI_TEST_SLOW"), reason="set BRANCHTUI_TEST_SLOW=1")
def test_profile_b_builds_in_time(tmp_path: Path) -> None:
    db = _sqlite(tmp_path / "b.sqlite3")
    started = clock.perf_counter()
    summary = build(db, "B", today=TODAY)
    assert clock.perf_counter() - started < 120
    assert summary.members == 4000
    with db.bind_ctx(ALL_MODELS):
        kinds = Counter(kind for (kind,) in Org.select(Org.kind).tuples())
    assert kinds[OrgKind.BRANCH] == 120 and kinds[OrgKind.PARTY_COMMITTEE] == 12
    assert 250 <= kinds[OrgKind.GROUP] <= 350
    assert 30_000 <= summary.meetings <= 50_000
    assert 600_000 <= summary.attendance <= 900_000
    db.close()


def test_year_counts_in_sql_agree_with_the_history(db):
    """``member_year`` (the home screen's "my attendance", counted in SQL) gives what
    ``member_years`` gives from the full history, for every member and year of the demo,
    exempt and unmarked rows and meetings later this year included; and the home's own
    summary is that year's."""
    svc = Services.create(db, FixedClock(datetime.combine(TODAY, time(9, 0))))
    admin = svc.roster.actor_for_login("admin", via="demo")
    checked = 0
    for member in Member.select(Member.id):
        for want in svc.queries.member_years(admin, member.id):
            got = svc.queries.member_year(admin, member.id, want.year)
            assert got == want, (member.id, want.year)
            checked += 1
        assert svc.queries.member_year(admin, member.id, 1990).expected == 0
    assert checked > 300
    shuji = svc.roster.actor_for_login("shuji", via="demo")
    mine = svc.home.load(shuji).mine
    this_year = next(y for y in svc.queries.member_years(shuji, shuji.member_id)
                     if y.year == TODAY.year)
    assert (mine.expected, mine.present, mine.leave, mine.absent) == (
        this_year.expected, this_year.present, this_year.leave, this_year.absent)
    assert mine.expected > 0
