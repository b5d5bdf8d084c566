"""Indexes for the compliance roll-up.

- meeting_obligation(obligation, day): the yearly obligations (组织生活会, 民主评议) over two
  report years; without it, a scan of every obligation row in the range.
- meeting(planned_start): lets PostgreSQL fetch the window's meetings by range too, instead
  of a sequential scan of all meetings for the hash join (14 ms -> 3 ms at profile B).
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('meeting_obligation', ('obligation', 'day'), False),
        migrator.add_index('meeting', ('planned_start',), False))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('meeting_obligation', 'meeting_obligation_obligation_day'),
        migrator.drop_index('meeting', 'meeting_planned_start'))
