"""The audit of rights: every change to keys, login names, posts, branch membership, the
committee flag and the administrator flag, with who, when, what, before and after."""
from peewee import *


def up(migrator, db):
    class RightsAudit(Model):
        at = DateTimeField()
        actor_id = IntegerField(null=True)
        action = CharField(max_length=64)
        member_id = IntegerField(null=True)
        org_id = IntegerField(null=True)
        before = TextField(default='')
        after = TextField(default='')

        class Meta:
            database = db
            table_name = 'rights_audit'
            indexes = ((('org_id', 'id'), False), (('member_id', 'id'), False))

    db.create_tables([RightsAudit])


def down(migrator, db):
    db.execute_sql('DROP TABLE rights_audit')
