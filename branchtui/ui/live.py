"""Messages of the change feed: the app's watcher thread posts them to the app, which hands
``Changed`` and ``PresenceChanged`` to every screen on the stack (see BranchApp and
screens/live.py)."""

from __future__ import annotations

from textual.message import Message


class Changed(Message, bubble=False):
    """Meetings changed in the database (by anyone). ``everything``: the feed was away and
    may have missed changes; every screen should reload."""

    def __init__(self, meeting_ids: frozenset[int], everything: bool = False) -> None:
        super().__init__()
        self.meeting_ids = meeting_ids
        self.everything = everything

    def concerns(self, meeting_id: int) -> bool:
        return self.everything or meeting_id in self.meeting_ids


class PresenceChanged(Message, bubble=False):
    """Who is viewing or editing these meetings changed (someone came, left or switched
    between viewing and editing)."""

    def __init__(self, meeting_ids: frozenset[int]) -> None:
        super().__init__()
        self.meeting_ids = meeting_ids


class FeedState(Message, bubble=False):
    """The change feed is "live" or "reconnecting"."""

    def __init__(self, state: str) -> None:
        super().__init__()
        self.state = state
