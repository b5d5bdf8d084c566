"""The live minutes' drafts: whatever is being typed is kept per agenda item (and per speech
being edited), saved as a personal draft every couple of seconds, on leaving a text field
and on the way out, and forgotten once its entry is saved."""

from __future__ import annotations

import contextlib
from typing import Any

from textual import on
from textual.widgets import TextArea

from branchtui.core.errors import BranchError, Unavailable
from branchtui.ui.screens.minutes.base import MinutesBase

NO_ITEM = 0  # the "other remarks" entry, for speeches outside any agenda item


class MinutesDrafts(MinutesBase):
    """The autosave of ``MinutesScreen``."""

    def _speech_key(self) -> str:
        if self.editing is not None:
            return f"speech:m={self.meeting_id}:s={self.editing.id}:v={self.editing.version}"
        return f"speech:m={self.meeting_id}:i={self._item_id(self.items[self.item_index]) or NO_ITEM}"

    def _decision_key(self) -> str:
        return f"decision:m={self.meeting_id}:i={self._item_id(self.items[self.item_index]) or NO_ITEM}"

    def _load_texts(self) -> None:
        for selector, key in (("#speech-text", self._speech_key()),
                              ("#decision-text", self._decision_key())):
            area = self.query_one(selector, TextArea)
            with area.prevent(TextArea.Changed):
                area.load_text(self._texts.get(key, ""))

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        key = self._speech_key() if event.text_area.id == "speech-text" else self._decision_key()
        text = event.text_area.text
        if self._texts.get(key, "") != text:
            self._texts[key] = text
            self._dirty.add(key)

    def on_descendant_blur(self, event: Any) -> None:
        if isinstance(event.widget, TextArea):
            self._flush()

    def _autosave(self) -> None:
        self._flush()

    def on_unmount(self) -> None:
        """The app is ending (Ctrl+Q, or a hang-up: a dropped SSH connection makes it exit
        cleanly): save what was typed since the last autosave as well. ``_flush`` runs as
        an app worker, which the process waits for before it exits."""
        self._flush()

    def _flush(self) -> None:
        """Save every draft typed since the last save, off the event loop. Runs as an app
        worker so that leaving the screen does not cancel it."""
        if not self._dirty:
            return
        svc, actor = self.services, self.actor
        batch = [(key, self._texts.get(key, ""), self._gen.get(key, 0)) for key in self._dirty]
        self._dirty.clear()
        keys = [key for key, _text, _gen in batch]
        self._inflight.update(keys)

        def save() -> None:
            try:
                away = self._save_batch(svc, actor, batch)
            finally:
                self._inflight.difference_update(keys)
            if away:
                with contextlib.suppress(Exception):  # the app may be closing
                    self.app.call_from_thread(self._autosave_later, away)

        self.app.run_worker(save, thread=True, exit_on_error=False, group="autosave")

    def _save_batch(self, svc: Any, actor: Any,
                    batch: list[tuple[str, str, int]]) -> list[tuple[str, int]]:
        """Save (or clear, when blank) each (key, text, generation) on this thread; the
        keys to try again later because the database was away."""
        away: list[tuple[str, int]] = []
        for key, text, gen in batch:
            if away:  # the database is away: do not wait for it once per draft
                away.append((key, gen))
                continue
            with self._lock:
                if self._gen.get(key, 0) != gen:
                    continue  # the entry was saved meanwhile: its draft is gone
                try:
                    if text.strip():
                        svc.drafts.save(actor, key, text)
                    else:
                        svc.drafts.clear(actor, key)
                except Unavailable:
                    away.append((key, gen))
                except BranchError:
                    pass  # a draft is a convenience; the text stays on screen
        return away

    def save_before_exit(self, svc: Any, actor: Any) -> None:
        """The process is ending on a hang-up without unmounting anything
        (``BranchApp.save_before_exit``): save now, on the calling thread, every draft typed
        since the last save or whose save is still under way (that worker will not
        finish). The event loop stands still meanwhile, so nothing here changes under us."""
        keys = set(self._dirty) | set(self._inflight)
        batch = [(key, self._texts[key], self._gen.get(key, 0)) for key in keys
                 if key in self._texts]
        self._save_batch(svc, actor, batch)

    def _autosave_later(self, keys: list[tuple[str, int]]) -> None:
        """The database was away: these drafts are saved at the next tick (unless their
        entry was saved meanwhile)."""
        for key, gen in keys:
            if self._gen.get(key, 0) == gen and key in self._texts:
                self._dirty.add(key)

    def _retain(self) -> None:
        """A save was refused: what is on screen is still a draft."""
        for selector, key in (("#speech-text", self._speech_key()),
                              ("#decision-text", self._decision_key())):
            text = self.query_one(selector, TextArea).text
            if text.strip() and self._texts.get(key) != text:
                self._texts[key] = text
                self._dirty.add(key)

    def _forget(self, key: str) -> None:
        """The entry was saved: its draft must not come back."""
        self._gen[key] = self._gen.get(key, 0) + 1
        self._texts.pop(key, None)
        self._dirty.discard(key)
