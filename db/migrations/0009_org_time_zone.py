"""Each organisation's time zone: an IANA name, NULL to inherit the parent's (the top's
default is Asia/Shanghai). "Today", overdue states and late arrival are reckoned in it."""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('org', 'time_zone', CharField(max_length=64, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('org', 'time_zone'))
