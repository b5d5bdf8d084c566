"""Presence: who is viewing or editing a meeting, kept alive by a heartbeat."""
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

    class Presence(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        mode = CharField(max_length=24)
        heartbeat_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'presence'
            indexes = ((('meeting', 'member'), True),)

    db.create_tables([Presence])


def down(migrator, db):
    db.execute_sql('DROP TABLE presence')
