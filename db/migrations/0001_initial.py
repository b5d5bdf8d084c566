# Generated from a schema diff on 2026-11-27 23:35.
from peewee import *

def up(migrator, db):
    class Org(Model):
        parent = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        kind = CharField(max_length=24)
        name = CharField(max_length=200)
        code = CharField(unique=True, null=True, max_length=64)
        has_committee = BooleanField(null=True)
        rules_json = TextField(null=True)
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'org'
            indexes = ((('parent', 'kind'), False),)
    db.create_tables([Org])

    class Member(Model):
        name = CharField(max_length=100)
        gender = CharField(null=True, max_length=8)
        birth_date = DateField(null=True)
        phone = CharField(null=True, max_length=40)
        login = CharField(unique=True, null=True, max_length=64)
        admitted = DateField(null=True)
        full_since = DateField(null=True)
        is_admin = BooleanField(default=False)
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'member'
    db.create_tables([Member])

    class Series(Model):
        branch = ForeignKeyField(Org, on_delete='CASCADE')
        group = ForeignKeyField(Org, null=True, on_delete='SET NULL')
        rrule = TextField()
        dtstart = DateTimeField()
        duration_minutes = IntegerField(default=90)
        title = CharField(max_length=200)
        obligations = CharField(max_length=200)
        place = CharField(max_length=200, default='')
        convener = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        moderator = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        recorder = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'series'
    db.create_tables([Series])

    class Meeting(Model):
        branch = ForeignKeyField(Org, on_delete='RESTRICT')
        group = ForeignKeyField(Org, null=True, on_delete='SET NULL')
        title = CharField(max_length=200)
        number = IntegerField(null=True)
        planned_start = DateTimeField()
        planned_end = DateTimeField(null=True)
        opened_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        sealed_at = DateTimeField(null=True)
        seal_digest = CharField(null=True, max_length=128)
        place = CharField(max_length=200, default='')
        convener = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        moderator = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        recorder = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        status = CharField(max_length=24)
        series = ForeignKeyField(Series, null=True, on_delete='SET NULL')
        series_date = DateField(null=True)
        report_year = IntegerField(null=True)
        allow_self_signin = BooleanField(default=False)
        cancel_reason = TextField(default='')
        reviews = ForeignKeyField('self', null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        created_by = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'meeting'
            indexes = ((('branch', 'planned_start'), False), (('series', 'series_date'), False))
    db.create_tables([Meeting])

    class AgendaItem(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        position = IntegerField()
        title = TextField()
        act = CharField(null=True, max_length=24)
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'agenda_item'
    db.create_tables([AgendaItem])

    class AppraisalGrade(Model):
        branch = ForeignKeyField(Org, on_delete='CASCADE')
        year = IntegerField()
        member = ForeignKeyField(Member, on_delete='CASCADE')
        grade = CharField(max_length=24)
        meeting = ForeignKeyField(Meeting, null=True, on_delete='SET NULL')
        entered_by = ForeignKeyField(Member, on_delete='RESTRICT')
        entered_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'appraisal_grade'
            indexes = ((('branch', 'year', 'member'), True),)
    db.create_tables([AppraisalGrade])

    class Attendance(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        member = ForeignKeyField(Member, on_delete='RESTRICT')
        branch = ForeignKeyField(Org, on_delete='CASCADE')
        meeting_day = DateField()
        is_full = BooleanField()
        can_vote = BooleanField()
        status = CharField(null=True, max_length=24)
        reason = TextField(default='')
        leave_kind = CharField(null=True, max_length=24)
        marked_by = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        marked_at = DateTimeField(null=True)
        method = CharField(null=True, max_length=24)
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'attendance'
            indexes = ((('meeting', 'member'), True), (('member', 'meeting_day'), False), (('branch', 'meeting_day'), False))
    db.create_tables([Attendance])

    class ChangeLog(Model):
        at = DateTimeField()
        actor = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        action = CharField(max_length=64)
        entity = CharField(max_length=32)
        entity_id = IntegerField(null=True)
        meeting = ForeignKeyField(Meeting, null=True, on_delete='SET NULL')
        data = TextField()
        prev_hash = CharField(max_length=64, default='')
        hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'change_log'
            indexes = ((('meeting', 'id'), False), (('entity', 'entity_id'), False))
    db.create_tables([ChangeLog])

    class CommitteeTerm(Model):
        org = ForeignKeyField(Org, on_delete='CASCADE')
        starts = DateField()
        ends = DateField(null=True)
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'committee_term'
    db.create_tables([CommitteeTerm])

    class Criticism(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        from_member = ForeignKeyField(Member, on_delete='RESTRICT')
        to_member = ForeignKeyField(Member, on_delete='RESTRICT')
        text = TextField()
        created_at = DateTimeField()
        entered_by = ForeignKeyField(Member, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'criticism'
    db.create_tables([Criticism])

    class Decision(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        agenda_item = ForeignKeyField(AgendaItem, null=True, on_delete='SET NULL')
        act = CharField(max_length=24)
        text = TextField()
        candidate = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        candidate_name = CharField(max_length=100, default='')
        yes = IntegerField(default=0)
        no = IntegerField(default=0)
        abstain = IntegerField(default=0)
        written_yes = IntegerField(default=0)
        written_no = IntegerField(default=0)
        written_abstain = IntegerField(default=0)
        voters_expected = IntegerField()
        voters_present = IntegerField()
        voters_snapshot = TextField()
        quorum_met = BooleanField()
        passed = BooleanField()
        reason_key = CharField(max_length=64)
        reason_params = TextField(default='{}')
        rule_version = CharField(max_length=64)
        approval_ref = CharField(max_length=200, default='')
        follow_up_owner = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        follow_up_due = DateField(null=True)
        decided_at = DateTimeField()
        entered_by = ForeignKeyField(Member, on_delete='RESTRICT')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'decision'
    db.create_tables([Decision])

    class Discipline(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        starts = DateField()
        ends = DateField(null=True)
        reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'discipline'
    db.create_tables([Discipline])

    class Exemption(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        starts = DateField()
        ends = DateField(null=True)
        reason = TextField()
        class Meta:
            database = db
            table_name = 'exemption'
    db.create_tables([Exemption])

    class Guest(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        name = CharField(max_length=100)
        affiliation = CharField(max_length=200, default='')
        reason = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'guest'
    db.create_tables([Guest])

    class LeaveRequest(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        member = ForeignKeyField(Member, on_delete='CASCADE')
        kind = CharField(max_length=24)
        reason = TextField()
        requested_at = DateTimeField()
        status = CharField(max_length=24)
        decided_by = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        decided_at = DateTimeField(null=True)
        decision_note = TextField(default='')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'leave_request'
            indexes = ((('member', 'meeting'), False),)
    db.create_tables([LeaveRequest])

    class MeetingObligation(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        obligation = CharField(max_length=24)
        branch = ForeignKeyField(Org, on_delete='CASCADE')
        day = DateField()
        class Meta:
            database = db
            table_name = 'meeting_obligation'
            indexes = ((('meeting', 'obligation'), True), (('branch', 'day'), False), (('day',), False))
    db.create_tables([MeetingObligation])

    class Membership(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        branch = ForeignKeyField(Org, on_delete='RESTRICT')
        group = ForeignKeyField(Org, null=True, on_delete='SET NULL')
        starts = DateField()
        ends = DateField(null=True)
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'membership'
            indexes = ((('branch', 'starts'), False),)
    db.create_tables([Membership])

    class Position(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        org = ForeignKeyField(Org, on_delete='CASCADE')
        role = CharField(max_length=24)
        term = ForeignKeyField(CommitteeTerm, null=True, on_delete='SET NULL')
        starts = DateField()
        ends = DateField(null=True)
        class Meta:
            database = db
            table_name = 'position'
            indexes = ((('org', 'role'), False),)
    db.create_tables([Position])

    class Problem(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        member = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        text = TextField()
        created_at = DateTimeField()
        created_by = ForeignKeyField(Member, on_delete='RESTRICT')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'problem'
    db.create_tables([Problem])

    class Rectification(Model):
        branch = ForeignKeyField(Org, on_delete='CASCADE')
        meeting = ForeignKeyField(Meeting, null=True, on_delete='SET NULL')
        problem = ForeignKeyField(Problem, null=True, on_delete='SET NULL')
        problem_text = TextField()
        measure = TextField()
        owner = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        deadline = DateField(null=True)
        status = CharField(max_length=24)
        verified_by = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        verified_at = DateTimeField(null=True)
        review_meeting = ForeignKeyField(Meeting, null=True, on_delete='SET NULL')
        review_note = TextField(default='')
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'rectification'
            indexes = ((('branch', 'status'), False), (('owner', 'status'), False))
    db.create_tables([Rectification])

    class RectProgress(Model):
        rectification = ForeignKeyField(Rectification, on_delete='CASCADE')
        noted_at = DateTimeField()
        author = ForeignKeyField(Member, on_delete='RESTRICT')
        text = TextField()
        evidence = TextField(default='')
        class Meta:
            database = db
            table_name = 'rect_progress'
    db.create_tables([RectProgress])

    class SeriesException(Model):
        series = ForeignKeyField(Series, on_delete='CASCADE')
        original_date = DateField()
        skipped = BooleanField(default=True)
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'series_exception'
            indexes = ((('series', 'original_date'), True),)
    db.create_tables([SeriesException])

    class Speech(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        agenda_item = ForeignKeyField(AgendaItem, null=True, on_delete='SET NULL')
        speaker = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        speaker_name = CharField(max_length=100)
        text = TextField()
        spoken_at = DateTimeField()
        entered_by = ForeignKeyField(Member, on_delete='RESTRICT')
        entered_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'speech'
    db.create_tables([Speech])

    class SshKey(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        fingerprint = CharField(unique=True, max_length=128)
        public_key = TextField()
        comment = CharField(max_length=200, default='')
        added_at = DateTimeField()
        removed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'ssh_key'
    db.create_tables([SshKey])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('ssh_key'))
    migrator.migrate(migrator.drop_table('speech'))
    migrator.migrate(migrator.drop_table('series_exception'))
    migrator.migrate(migrator.drop_table('rect_progress'))
    migrator.migrate(migrator.drop_table('rectification'))
    migrator.migrate(migrator.drop_table('problem'))
    migrator.migrate(migrator.drop_table('position'))
    migrator.migrate(migrator.drop_table('membership'))
    migrator.migrate(migrator.drop_table('meeting_obligation'))
    migrator.migrate(migrator.drop_table('leave_request'))
    migrator.migrate(migrator.drop_table('guest'))
    migrator.migrate(migrator.drop_table('exemption'))
    migrator.migrate(migrator.drop_table('discipline'))
    migrator.migrate(migrator.drop_table('decision'))
    migrator.migrate(migrator.drop_table('criticism'))
    migrator.migrate(migrator.drop_table('committee_term'))
    migrator.migrate(migrator.drop_table('change_log'))
    migrator.migrate(migrator.drop_table('attendance'))
    migrator.migrate(migrator.drop_table('appraisal_grade'))
    migrator.migrate(migrator.drop_table('agenda_item'))
    migrator.migrate(migrator.drop_table('meeting'))
    migrator.migrate(migrator.drop_table('series'))
    migrator.migrate(migrator.drop_table('member'))
    migrator.migrate(migrator.drop_table('org'))
