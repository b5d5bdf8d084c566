"""peewee models: the tables of the record store.

The schema itself is created by the frozen scripts in ``db/migrations`` (never by
``create_tables`` on these classes outside tests of the migrations); a test checks that
the migrated schema and these models agree on both backends.

Conventions:
- enum values are stored as short text (``CharField(max_length=24)``);
- date periods are half-open (``starts <= day < ends``, ``ends`` NULL = open-ended);
- anything two people can edit carries ``version`` (optimistic concurrency);
- attendance denormalises ``branch`` and ``meeting_day`` so that per-member history and
  per-branch rates are single range scans on an index (see docs/benchmarks.md).
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database_proxy = DatabaseProxy()

SHORT = 24


class BaseModel(Model):
    # Declared so that type checkers see it; peewee would add it implicitly.
    id = AutoField()

    class Meta:
        database = database_proxy
        legacy_table_names = False


class Org(BaseModel):
    """A node of the tree 党工委/党委 → 党总支 → 党支部 → 党小组."""

    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    kind = CharField(max_length=SHORT)
    name = CharField(max_length=200)
    code = CharField(max_length=64, null=True, unique=True)
    # NULL: follows from the number of full members (RuleSet.committee_min_full_members).
    has_committee = BooleanField(null=True)
    # IANA time zone name; NULL: the parent's (the top's default: core.zones).
    time_zone = CharField(max_length=64, null=True)
    created_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("parent", "kind"), False),)


class CommitteeTerm(BaseModel):
    """A term of a branch committee (5 years for 村/社区, 3 elsewhere)."""

    org = ForeignKeyField(Org, backref="terms", on_delete="CASCADE")
    starts = DateField()
    ends = DateField(null=True)
    note = TextField(default="")


class Member(BaseModel):
    name = CharField(max_length=100)
    gender = CharField(max_length=8, null=True)
    birth_date = DateField(null=True)
    phone = CharField(max_length=40, null=True)
    login = CharField(max_length=64, null=True, unique=True)
    admitted = DateField(null=True)  # became 预备党员
    full_since = DateField(null=True)  # became 正式党员
    is_admin = BooleanField(default=False)
    created_at = DateTimeField()
    version = IntegerField(default=1)


class SshKey(BaseModel):
    member = ForeignKeyField(Member, backref="ssh_keys", on_delete="CASCADE")
    fingerprint = CharField(max_length=128, unique=True)
    public_key = TextField()
    comment = CharField(max_length=200, default="")
    added_at = DateTimeField()
    removed_at = DateTimeField(null=True)


class Membership(BaseModel):
    """Which branch (and group) a member belonged to, from when to when. Transfers close
    one row and open another; 应到 of an old meeting reads the rows of that date."""

    member = ForeignKeyField(Member, backref="memberships", on_delete="CASCADE")
    branch = ForeignKeyField(Org, backref="memberships", on_delete="RESTRICT")
    group = ForeignKeyField(Org, null=True, backref="group_memberships", on_delete="SET NULL")
    starts = DateField()
    ends = DateField(null=True)
    note = TextField(default="")

    class Meta:
        indexes = ((("branch", "starts"), False),)


class Exemption(BaseModel):
    """Exempt from 组织生活 (hospitalised, maternity, elderly and immobile, ...)."""

    member = ForeignKeyField(Member, backref="exemptions", on_delete="CASCADE")
    starts = DateField()
    ends = DateField(null=True)
    reason = TextField()


class Discipline(BaseModel):
    """留党察看: attends, but has no vote."""

    member = ForeignKeyField(Member, backref="disciplines", on_delete="CASCADE")
    starts = DateField()
    ends = DateField(null=True)
    reason = TextField(default="")


class Position(BaseModel):
    """A post held in an organisation (书记, 组织委员, 党小组组长, upper-level viewer)."""

    member = ForeignKeyField(Member, backref="positions", on_delete="CASCADE")
    org = ForeignKeyField(Org, backref="positions", on_delete="CASCADE")
    role = CharField(max_length=SHORT)
    term = ForeignKeyField(CommitteeTerm, null=True, on_delete="SET NULL")
    starts = DateField()
    ends = DateField(null=True)

    class Meta:
        indexes = ((("org", "role"), False),)


class Series(BaseModel):
    """A recurring meeting: an RRULE and a template for its occurrences."""

    branch = ForeignKeyField(Org, backref="series", on_delete="CASCADE")
    group = ForeignKeyField(Org, null=True, on_delete="SET NULL")
    rrule = TextField()
    dtstart = DateTimeField()
    duration_minutes = IntegerField(default=90)
    title = CharField(max_length=200)
    obligations = CharField(max_length=200)  # comma-separated Obligation values
    place = CharField(max_length=200, default="")
    convener = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    moderator = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    recorder = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    created_at = DateTimeField()
    version = IntegerField(default=1)


class Meeting(BaseModel):
    branch = ForeignKeyField(Org, backref="meetings", on_delete="RESTRICT")
    group = ForeignKeyField(Org, null=True, on_delete="SET NULL")
    title = CharField(max_length=200)
    number = IntegerField(null=True)  # 第X次
    planned_start = DateTimeField()
    planned_end = DateTimeField(null=True)
    opened_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    sealed_at = DateTimeField(null=True)
    seal_digest = CharField(max_length=128, null=True)
    place = CharField(max_length=200, default="")
    convener = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    moderator = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    recorder = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    status = CharField(max_length=SHORT)
    series = ForeignKeyField(Series, null=True, backref="meetings", on_delete="SET NULL")
    # The occurrence of the series this meeting stands for (kept when rescheduled).
    series_date = DateField(null=True)
    report_year = IntegerField(null=True)  # 组织生活会 / 民主评议 report year
    allow_self_signin = BooleanField(default=False)
    cancel_reason = TextField(default="")
    # The previous 组织生活会 whose rectification items this one reviews (回头看).
    reviews = ForeignKeyField("self", null=True, on_delete="SET NULL")
    created_at = DateTimeField()
    created_by = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    version = IntegerField(default=1)
    # 补录 (migration 0007): entered, or first recorded, after its date. ``late_at`` is
    # when (NULL: in time), ``late_reason`` why; the record is attested as held on its date.
    late_reason = TextField(default="")
    late_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("branch", "planned_start"), False),
            (("series", "series_date"), False),
            (("planned_start",), False),  # migration 0002
        )


class MeetingObligation(BaseModel):
    """One row per obligation a sitting fulfils; compliance counts these, not sittings."""

    meeting = ForeignKeyField(Meeting, backref="obligation_rows", on_delete="CASCADE")
    obligation = CharField(max_length=SHORT)
    # Denormalised from the meeting for the compliance roll-up's range scan.
    branch = ForeignKeyField(Org, on_delete="CASCADE")
    day = DateField()

    class Meta:
        indexes = (
            (("meeting", "obligation"), True),
            (("branch", "day"), False),
            (("day",), False),
            (("obligation", "day"), False),  # migration 0002
        )


class SeriesException(BaseModel):
    """A per-occurrence exception of a series: skipped, or moved to another meeting row."""

    series = ForeignKeyField(Series, backref="exceptions", on_delete="CASCADE")
    original_date = DateField()
    skipped = BooleanField(default=True)
    note = TextField(default="")

    class Meta:
        indexes = ((("series", "original_date"), True),)


class AgendaItem(BaseModel):
    meeting = ForeignKeyField(Meeting, backref="agenda_items", on_delete="CASCADE")
    position = IntegerField()
    title = TextField()
    act = CharField(max_length=SHORT, null=True)
    version = IntegerField(default=1)


class Attendance(BaseModel):
    """One row per expected member of a meeting (exempt members get a row with status
    'exempt' so the record can say why they are not in 应到)."""

    meeting = ForeignKeyField(Meeting, backref="attendance", on_delete="CASCADE")
    member = ForeignKeyField(Member, backref="attendance", on_delete="RESTRICT")
    branch = ForeignKeyField(Org, on_delete="CASCADE")
    meeting_day = DateField()
    is_full = BooleanField()
    can_vote = BooleanField()
    status = CharField(max_length=SHORT, null=True)  # NULL: not yet marked
    reason = TextField(default="")
    leave_kind = CharField(max_length=SHORT, null=True)
    marked_by = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    marked_at = DateTimeField(null=True)
    method = CharField(max_length=SHORT, null=True)
    version = IntegerField(default=1)

    class Meta:
        indexes = (
            (("meeting", "member"), True),
            (("member", "meeting_day"), False),
            (("branch", "meeting_day"), False),
        )


class Guest(BaseModel):
    """列席: attends without a vote."""

    meeting = ForeignKeyField(Meeting, backref="guests", on_delete="CASCADE")
    name = CharField(max_length=100)
    affiliation = CharField(max_length=200, default="")
    reason = TextField(default="")
    created_at = DateTimeField()


class LeaveRequest(BaseModel):
    meeting = ForeignKeyField(Meeting, backref="leave_requests", on_delete="CASCADE")
    member = ForeignKeyField(Member, backref="leave_requests", on_delete="CASCADE")
    kind = CharField(max_length=SHORT)
    reason = TextField()
    requested_at = DateTimeField()
    status = CharField(max_length=SHORT)
    decided_by = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("member", "meeting"), False),)


class Speech(BaseModel):
    meeting = ForeignKeyField(Meeting, backref="speeches", on_delete="CASCADE")
    agenda_item = ForeignKeyField(AgendaItem, null=True, on_delete="SET NULL")
    speaker = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    speaker_name = CharField(max_length=100)  # kept for guests and for the record
    text = TextField()
    spoken_at = DateTimeField()
    entered_by = ForeignKeyField(Member, on_delete="RESTRICT")
    entered_at = DateTimeField()
    version = IntegerField(default=1)


class Decision(BaseModel):
    meeting = ForeignKeyField(Meeting, backref="decisions", on_delete="CASCADE")
    agenda_item = ForeignKeyField(AgendaItem, null=True, on_delete="SET NULL")
    act = CharField(max_length=SHORT)
    text = TextField()
    candidate = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    candidate_name = CharField(max_length=100, default="")
    yes = IntegerField(default=0)
    no = IntegerField(default=0)
    abstain = IntegerField(default=0)
    written_yes = IntegerField(default=0)
    written_no = IntegerField(default=0)
    written_abstain = IntegerField(default=0)
    # Frozen when the vote is recorded, so later roster edits cannot change the result.
    voters_expected = IntegerField()
    voters_present = IntegerField()
    voters_snapshot = TextField()  # JSON list of member ids entitled to vote
    quorum_met = BooleanField()
    passed = BooleanField()
    reason_key = CharField(max_length=64)
    reason_params = TextField(default="{}")
    rule_version = CharField(max_length=64)
    approval_ref = CharField(max_length=200, default="")  # upper-level approval for exclusions
    follow_up_owner = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    follow_up_due = DateField(null=True)
    decided_at = DateTimeField()
    entered_by = ForeignKeyField(Member, on_delete="RESTRICT")
    version = IntegerField(default=1)


class Problem(BaseModel):
    """An entry of a 组织生活会's problem list, for the branch or for one member."""

    meeting = ForeignKeyField(Meeting, backref="problems", on_delete="CASCADE")
    member = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    text = TextField()
    created_at = DateTimeField()
    created_by = ForeignKeyField(Member, on_delete="RESTRICT")
    version = IntegerField(default=1)


class Criticism(BaseModel):
    """批评与自我批评: from → to; self-criticism when both are the same member."""

    meeting = ForeignKeyField(Meeting, backref="criticisms", on_delete="CASCADE")
    from_member = ForeignKeyField(Member, on_delete="RESTRICT")
    to_member = ForeignKeyField(Member, on_delete="RESTRICT")
    text = TextField()
    created_at = DateTimeField()
    entered_by = ForeignKeyField(Member, on_delete="RESTRICT")


class Rectification(BaseModel):
    """整改 item: problem, measure, owner, deadline; ticked off by the 书记 (对单销号)."""

    branch = ForeignKeyField(Org, backref="rectifications", on_delete="CASCADE")
    meeting = ForeignKeyField(Meeting, null=True, backref="rectifications", on_delete="SET NULL")
    problem = ForeignKeyField(Problem, null=True, on_delete="SET NULL")
    problem_text = TextField()
    measure = TextField()
    owner = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    deadline = DateField(null=True)
    status = CharField(max_length=SHORT)
    verified_by = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    verified_at = DateTimeField(null=True)
    # 回头看: the next round's meeting that reviewed this item, and what it found.
    review_meeting = ForeignKeyField(Meeting, null=True, on_delete="SET NULL")
    review_note = TextField(default="")
    created_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("branch", "status"), False), (("owner", "status"), False))


class RectProgress(BaseModel):
    rectification = ForeignKeyField(Rectification, backref="progress", on_delete="CASCADE")
    noted_at = DateTimeField()
    author = ForeignKeyField(Member, on_delete="RESTRICT")
    text = TextField()
    evidence = TextField(default="")


class AppraisalGrade(BaseModel):
    """民主评议 grade of one member for one year."""

    branch = ForeignKeyField(Org, on_delete="CASCADE")
    year = IntegerField()
    member = ForeignKeyField(Member, on_delete="CASCADE")
    grade = CharField(max_length=SHORT)
    meeting = ForeignKeyField(Meeting, null=True, on_delete="SET NULL")
    entered_by = ForeignKeyField(Member, on_delete="RESTRICT")
    entered_at = DateTimeField()
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("branch", "year", "member"), True),)


class ChangeLog(BaseModel):
    """One entry per change: who, when (server time), what. Changes to a meeting's record
    chain by hash (``prev_hash`` → ``hash``) per meeting, so a sealed record can be
    verified; other changes chain per entity kind with ``meeting`` NULL."""

    at = DateTimeField()
    actor = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    action = CharField(max_length=64)
    entity = CharField(max_length=32)
    entity_id = IntegerField(null=True)
    meeting = ForeignKeyField(Meeting, null=True, on_delete="SET NULL")
    data = TextField()  # canonical JSON of what changed
    prev_hash = CharField(max_length=64, default="")
    hash = CharField(max_length=64)

    class Meta:
        indexes = ((("meeting", "id"), False), (("entity", "entity_id"), False))


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Org,
    CommitteeTerm,
    Member,
    SshKey,
    Membership,
    Exemption,
    Discipline,
    Position,
    Series,
    Meeting,
    MeetingObligation,
    SeriesException,
    AgendaItem,
    Attendance,
    Guest,
    LeaveRequest,
    Speech,
    Decision,
    Problem,
    Criticism,
    Rectification,
    RectProgress,
    AppraisalGrade,
    ChangeLog,
)


class Draft(BaseModel):
    """Autosaved text a user is typing (a speech, a decision, a note), so a crash or a
    dropped connection loses at most the last few seconds. Personal scratch, not record:
    it is never shown to anyone else and is not in the change log."""

    member = ForeignKeyField(Member, on_delete="CASCADE")
    key = CharField(max_length=128)  # e.g. "speech:meeting=12:item=3"
    text = TextField()
    updated_at = DateTimeField()

    class Meta:
        indexes = ((("member", "key"), True),)


ALL_MODELS = (*ALL_MODELS, Draft)


class Presence(BaseModel):
    """Who has a meeting's screen open (mode "view" or "edit"), refreshed by a heartbeat
    every few seconds; rows older than the window are ignored. Not record: no change log."""

    member = ForeignKeyField(Member, on_delete="CASCADE")
    meeting = ForeignKeyField(Meeting, on_delete="CASCADE")
    mode = CharField(max_length=SHORT)
    heartbeat_at = DateTimeField()

    class Meta:
        indexes = ((("meeting", "member"), True),)


ALL_MODELS = (*ALL_MODELS, Presence)


class PresenceChange(BaseModel):
    """A join, a leave or a change of mode on a meeting's presence, for the SQLite change
    feed (PostgreSQL sends a NOTIFY instead). A marker, not record: it is not in the
    meeting's hash-chained change log, and only the newest rows are kept."""

    meeting_id = IntegerField()


ALL_MODELS = (*ALL_MODELS, PresenceChange)


class RightsAudit(BaseModel):
    """One change to someone's rights: keys, login name, posts, branch membership, the
    committee flag, the administrator flag. ``member_id`` is whose rights changed (none for
    the committee flag), ``org_id`` the organisation it happened in (a branch, a group, or
    the org of a post above), so that the upper level reads its subtree's entries.
    ``before``/``after`` are canonical JSON. Plain ids, not foreign keys: the trail
    outlives what it names."""

    at = DateTimeField()
    actor_id = IntegerField(null=True)
    action = CharField(max_length=64)
    member_id = IntegerField(null=True)
    org_id = IntegerField(null=True)
    before = TextField(default="")
    after = TextField(default="")

    class Meta:
        indexes = ((("org_id", "id"), False), (("member_id", "id"), False))


ALL_MODELS = (*ALL_MODELS, RightsAudit)


class CloseGaps(BaseModel):
    """The record check when the meeting was closed (migration 0008): the gaps that blocked
    closing, as canonical JSON (none for a complete record), and the closer's reason for
    closing with them. One row per meeting, written by ``close`` in the same transaction
    as its ``meeting.close`` entry of the hash chain, which carries the same data."""

    meeting = ForeignKeyField(Meeting, unique=True, on_delete="CASCADE")
    closed_at = DateTimeField()
    closed_by = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    findings = TextField(default="[]")
    reason = TextField(default="")


ALL_MODELS = (*ALL_MODELS, CloseGaps)


class OrgRules(BaseModel):
    """An organisation's own rules from a day on: JSON overrides of the default RuleSet
    (NULL: none of its own from then), inherited down the tree. The rule in force on a day
    is the latest row with ``starts`` on or before it (core/rulebook.py); rows are never
    changed, so the history says what the rules were on any day.

    This table is the only place local rules live: ``org.rules_json`` (one set, no dates)
    was dropped when it came (migration 0010), since a column cannot say which rules were
    in force on a past day, and a copy of "today's" rules would go stale at midnight
    without a write. Readers get them per unit of work (services/rules.py)."""

    org = ForeignKeyField(Org, backref="rule_rows", on_delete="CASCADE")
    starts = DateField()
    overrides_json = TextField(null=True)
    set_by = ForeignKeyField(Member, null=True, on_delete="SET NULL")
    set_at = DateTimeField()

    class Meta:
        table_name = "org_rules"
        indexes = ((("org", "starts"), False),)


ALL_MODELS = (*ALL_MODELS, OrgRules)
