"""Presence changes: a marker per join, leave or change of mode on a meeting, so that the
SQLite change feed tells other sessions at once (PostgreSQL sends a NOTIFY instead). Not
record: only the newest rows are kept."""
from peewee import *


def up(migrator, db):
    class PresenceChange(Model):
        meeting_id = IntegerField()

        class Meta:
            database = db
            table_name = 'presence_change'

    db.create_tables([PresenceChange])


def down(migrator, db):
    db.execute_sql('DROP TABLE presence_change')
