"""The record check at closing: the gaps that blocked closing a meeting and the reason the
closer gave for closing all the same (one row per meeting)."""
from peewee import *


def up(migrator, db):
    class Member(Model):
        class Meta:
            database = db
            table_name = 'member'

    class Meeting(Model):
        class Meta:
            database = db
            table_name = 'meeting'

    class CloseGaps(Model):
        meeting = ForeignKeyField(Meeting, unique=True, on_delete='CASCADE')
        closed_at = DateTimeField()
        closed_by = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        findings = TextField(default='[]')
        reason = TextField(default='')

        class Meta:
            database = db
            table_name = 'close_gaps'

    db.create_tables([CloseGaps])


def down(migrator, db):
    db.execute_sql('DROP TABLE close_gaps')
