"""The live minutes' base: the meeting and its people as loaded, the agenda item and the
speech being edited, the drafts' bookkeeping, and the worker that runs every service call
of the screen and answers with a message (``Done``, ``Refused`` or ``Clashed``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual import work
from textual.message import Message

from branchtui.core import model as c
from branchtui.core.enums import Act, MeetingStatus
from branchtui.core.errors import BranchError, Conflict
from branchtui.core.record_check import RecordGaps
from branchtui.core.votes import VoteBase
from branchtui.i18n import t
from branchtui.services import MeetingRecord
from branchtui.services.minutes import MeetingPeople
from branchtui.ui.screens.live import LiveMeetingScreen

# -- messages from the workers -------------------------------------------------------------


class Done(Message):
    def __init__(self, tag: str, data: Any) -> None:
        super().__init__()
        self.tag = tag
        self.data = data


class Refused(Message):
    def __init__(self, tag: str, text: str, key: str = "") -> None:
        super().__init__()
        self.tag = tag
        self.text = text
        self.key = key  # the refusal's catalogue key


class Clashed(Message):
    """A stale edit: ``current`` is the newer object, ``text`` says what happened."""

    def __init__(self, tag: str, current: Any, text: str) -> None:
        super().__init__()
        self.tag = tag
        self.current = current
        self.text = text


class MinutesBase(LiveMeetingScreen):
    """What every part of ``MinutesScreen`` shares."""

    def __init__(self, meeting_id: int) -> None:
        super().__init__()
        self.meeting_id = meeting_id
        self.record: MeetingRecord | None = None
        self.people: MeetingPeople | None = None
        self.items: list[c.AgendaItem | None] = [None]
        self.item_index = 0
        self.editing: c.Speech | None = None
        self.base: VoteBase | None = None
        self.base_act: Act | None = None
        # Autosave: the latest text per draft key, the keys typed since the last save, and
        # a generation per key so a save still in flight never revives a cleared draft.
        self._texts: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._inflight: set[str] = set()  # keys an autosave worker is saving right now
        self._gen: dict[str, int] = {}
        self._lock = threading.Lock()
        self._restored_once = False
        self._pending_text = ""
        self._rendered_wide = False

    # -- workers --------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="minutes")
    def call(self, tag: str, fn: Callable[[], Any]) -> None:
        """Run a service call in a thread; post Done, Refused or Clashed."""
        try:
            self.post_message(Done(tag, fn()))
        except RecordGaps as exc:
            # The record changed since the check: show the gaps as they are now.
            self.post_message(Done("close_check", list(exc.findings)))
        except Conflict as exc:
            self.post_message(Clashed(tag, exc.params.get("current"), exc.message()))
        except BranchError as exc:
            self.post_message(Refused(tag, exc.message(), exc.key))
        except Exception as exc:
            self.post_message(Refused(tag, t("ui.unexpected", detail=type(exc).__name__)))

    def action_refresh(self) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        prefix = f"m={mid}:"

        def load() -> tuple[MeetingRecord, MeetingPeople, dict[str, str]]:
            record = svc.meetings.record(actor, mid)
            people = svc.minutes.people(actor, mid)
            drafts = {d.key: d.text for kind in ("speech:", "decision:")
                      for d in svc.drafts.mine(actor, kind + prefix)}
            return record, people, drafts

        self.call("load", load)

    def _item_id(self, item: c.AgendaItem | None) -> int | None:
        return item.id if item is not None else None

    # -- state: what may be done now ---------------------------------------------------------

    @property
    def status(self) -> MeetingStatus | None:
        return self.record.meeting.status if self.record else None

    @property
    def may_write(self) -> bool:
        return bool(self.people and self.people.may_write
                    and self.status is MeetingStatus.OPEN)

    def _refuse(self) -> bool:
        """Forced past a hidden key: say why nothing happens."""
        if self.may_write:
            return False
        if self.people is not None and not self.people.may_write:
            self.notify(t("perm.minutes"), severity="error", markup=False)
        elif self.status is MeetingStatus.PLANNED:
            self.notify(t("minutes.not_open"), severity="warning", markup=False)
        else:
            self.notify(t("ui_minutes.closed"), severity="warning", markup=False)
        return True
