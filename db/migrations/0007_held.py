"""When a meeting was entered: a sitting entered (or first recorded) after its date is a
补录. ``late_at`` says when that was (NULL: entered in time), ``late_reason`` why."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('meeting', 'late_reason', TextField(default='')),
        migrator.add_column('meeting', 'late_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('meeting', 'late_at'),
        migrator.drop_column('meeting', 'late_reason'))
