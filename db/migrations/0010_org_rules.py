"""Local rules over time: ``org_rules`` holds each change of an organisation's own rules
(JSON overrides of the default rule set) with the day it is in force from, who set it and
when; the rule in force on a day is the latest row starting on or before it. The rules
kept so far on ``org.rules_json`` (one set, no date) become each organisation's first
row, in force from the day the organisation was created, and the column goes: one place
for the rules, whose history says what they were on any day."""
import datetime

from peewee import *


def _rules_table(db):
    class Org(Model):
        class Meta:
            database = db
            table_name = 'org'

    class Member(Model):
        class Meta:
            database = db
            table_name = 'member'

    class OrgRules(Model):
        org = ForeignKeyField(Org, on_delete='CASCADE')
        starts = DateField()
        overrides_json = TextField(null=True)
        set_by = ForeignKeyField(Member, null=True, on_delete='SET NULL')
        set_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'org_rules'
            indexes = ((('org', 'starts'), False),)

    return OrgRules


def _day(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _when(value):
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def up(migrator, db):
    rules = _rules_table(db)
    db.create_tables([rules])
    kept = db.execute_sql(
        "SELECT id, rules_json, created_at FROM org "
        "WHERE rules_json IS NOT NULL AND rules_json <> '' ORDER BY id").fetchall()
    for org_id, overrides, created in kept:
        rules.insert(org=org_id, starts=_day(created), overrides_json=overrides,
                     set_by=None, set_at=_when(created)).execute()
    migrator.migrate(migrator.drop_column('org', 'rules_json'))


def down(migrator, db):
    migrator.migrate(migrator.add_column('org', 'rules_json', TextField(null=True)))
    # Each organisation's latest row (by start, then by when it was written) goes back to
    # the column; the days they were in force from are lost.
    latest = {}
    for org_id, overrides in db.execute_sql(
            'SELECT org_id, overrides_json FROM org_rules ORDER BY starts, id').fetchall():
        latest[org_id] = overrides
    for org_id, overrides in latest.items():
        db.execute_sql('UPDATE org SET rules_json = %s WHERE id = %s'
                       if not isinstance(db, SqliteDatabase)
                       else 'UPDATE org SET rules_json = ? WHERE id = ?', (overrides, org_id))
    db.execute_sql('DROP TABLE org_rules')
