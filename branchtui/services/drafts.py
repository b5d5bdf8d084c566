"""Autosave: the text a user is typing, saved every few seconds by the UI and restored
after a crash, a closed terminal or a dropped SSH connection."""

from __future__ import annotations

from datetime import datetime

from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.text import TEXT_MAX
from branchtui.services.base import Actor, Service
from branchtui.services.permissions import self_target
from branchtui.store import models as m

KEY_MAX = 128


@frozen
class SavedDraft:
    key: str
    text: str
    updated_at: datetime


class DraftService(Service):
    """A member's own drafts; nobody else can read them, so no permission beyond 'mine'."""

    def save(self, actor: Actor, key: str, text: str) -> SavedDraft:
        """Upsert. Text is kept as typed (it is cleaned when it becomes record); only the
        size is capped, a little above the record's own limit so nothing typed is cut."""
        if not key or len(key) > KEY_MAX:
            raise ValidationError("draft.bad_key")
        if len(text) > TEXT_MAX * 2:
            raise ValidationError("text.too_long", field="field.draft", max=TEXT_MAX * 2,
                                  length=len(text))
        now = self.now()
        with self.write():
            self.grants(actor).check("drafts.save", self_target(actor))
            (m.Draft.insert(member=actor.member_id, key=key, text=text, updated_at=now)
             .on_conflict(conflict_target=[m.Draft.member, m.Draft.key],
                          update={m.Draft.text: text, m.Draft.updated_at: now})
             .execute())
        return SavedDraft(key, text, now)

    def load(self, actor: Actor, key: str) -> SavedDraft | None:
        with self.read():
            self.grants(actor).check("drafts.load", self_target(actor))
            row = m.Draft.get_or_none((m.Draft.member == actor.member_id) & (m.Draft.key == key))
            return SavedDraft(row.key, row.text, row.updated_at) if row else None

    def mine(self, actor: Actor, prefix: str = "") -> list[SavedDraft]:
        with self.read():
            self.grants(actor).check("drafts.mine", self_target(actor))
            q = m.Draft.select().where(m.Draft.member == actor.member_id)
            if prefix:
                q = q.where(m.Draft.key.startswith(prefix))
            return [SavedDraft(r.key, r.text, r.updated_at) for r in q.order_by(m.Draft.key)]

    def clear(self, actor: Actor, key: str) -> None:
        with self.write():
            self.grants(actor).check("drafts.clear", self_target(actor))
            m.Draft.delete().where((m.Draft.member == actor.member_id)
                                   & (m.Draft.key == key)).execute()
