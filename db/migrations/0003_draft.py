"""Autosaved drafts of what users are typing (one row per member and key)."""
from peewee import *


def up(migrator, db):
    class Member(Model):
        class Meta:
            database = db
            table_name = 'member'

    class Draft(Model):
        member = ForeignKeyField(Member, on_delete='CASCADE')
        key = CharField(max_length=128)
        text = TextField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'draft'
            indexes = ((('member', 'key'), True),)

    db.create_tables([Draft])


def down(migrator, db):
    db.execute_sql('DROP TABLE draft')
