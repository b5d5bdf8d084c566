"""The demo's fixed personas, and how to tell a demo database. Kept apart from the
generator so that opening an existing demo does not import it."""

from __future__ import annotations

from peewee import Database

from branchtui.store.models import ChangeLog

# role -> login of every persona (fixed, whatever the seed).
PERSONA_LOGINS: dict[str, str] = {
    "admin": "admin",
    "shuji": "shuji",
    "jilu": "jilu",
    "dangyuan": "dangyuan",
    "yubei": "yubei",
    "shangji": "shangji",
    "jiedao": "jiedao",
    "xiaozhibu": "xiaozhibu",
}
PERSONAS = PERSONA_LOGINS


def is_demo(db: Database | None = None) -> bool:
    """Whether the database was filled by ``build`` (its import entry in the change log).
    Without ``db`` the models' current database is used."""

    def query() -> bool:
        entries = ChangeLog.select().where(
            (ChangeLog.action == "import") & (ChangeLog.entity == "demo")
        )
        return bool(entries.exists())

    if db is None:
        return query()
    with db.bind_ctx([ChangeLog], bind_refs=False, bind_backrefs=False):
        return query()
