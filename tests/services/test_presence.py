"""Presence on both backends: a heartbeat per member and meeting, seen for 30 s, gone on
leave; the actor is not listed to themselves."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchtui.core.enums import Obligation
from branchtui.core.errors import PermissionDenied, ValidationError
from branchtui.services.presence import WINDOW_SECONDS, Present
from tests.conftest import HOSTILE_LINK
from tests.factories import build_world, draft


def test_viewers_and_editors_come_and_go(svc, clock):
    w = build_world(svc, extra_full=0)
    mid = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 0),
                                                   Obligation.THEME_DAY)).id
    assert svc.presence.beat(w.recorder, mid, "edit") == Present((), ())
    svc.presence.beat(w.member, mid, "view")
    svc.presence.beat(w.secretary, mid, "view")
    assert svc.presence.who(w.probationary, mid) == Present(
        (w.member.name, w.secretary.name), (w.recorder.name,))
    # One row per member and meeting: a second beat switches the mode, not a new row.
    svc.presence.beat(w.secretary, mid, "edit")
    assert svc.presence.who(w.recorder, mid) == Present((w.member.name,), (w.secretary.name,))
    # Not listed to oneself, unless asked.
    assert w.recorder.name not in svc.presence.who(w.recorder, mid).editing
    assert w.recorder.name in svc.presence.who(w.recorder, mid, include_self=True).editing
    # Leaving removes the row; silence past the window hides the others.
    svc.presence.leave(w.member, mid)
    assert svc.presence.who(w.recorder, mid) == Present((), (w.secretary.name,))
    clock.advance(seconds=WINDOW_SECONDS + 1)
    assert svc.presence.who(w.recorder, mid) == Present((), ())
    assert svc.presence.beat(w.secretary, mid, "view") == Present((), ())


def test_a_bad_mode_is_refused_and_names_are_plain_text(svc, clock):
    w = build_world(svc, extra_full=0)
    mid = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 0),
                                                   Obligation.THEME_DAY)).id
    with pytest.raises(ValidationError):
        svc.presence.beat(w.member, mid, "spy")
    # The recorder's name carries markup (factories); it comes back exactly as stored.
    assert HOSTILE_LINK in w.recorder.name
    svc.presence.beat(w.recorder, mid, "view")
    assert svc.presence.who(w.member, mid).viewing == (w.recorder.name,)


def test_presence_is_for_those_who_may_read_the_meeting_and_edit_for_its_writers(svc, clock):
    w = build_world(svc, extra_full=0)
    mid = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 0),
                                                   Obligation.THEME_DAY)).id
    svc.presence.beat(w.recorder, mid, "edit")
    # Another branch's secretary may not see who is on this meeting, nor appear on it.
    for call in (lambda: svc.presence.who(w.other_secretary, mid),
                 lambda: svc.presence.beat(w.other_secretary, mid, "view")):
        with pytest.raises(PermissionDenied) as err:
            call()
        assert err.value.key == "perm.read"
    # A member expected at the meeting views it, but does not claim to be editing it.
    with pytest.raises(PermissionDenied) as err:
        svc.presence.beat(w.member, mid, "edit")
    assert err.value.key == "perm.minutes"
    assert svc.presence.beat(w.member, mid, "view") == Present((), (w.recorder.name,))
    assert svc.presence.who(w.secretary, mid) == Present((w.member.name,), (w.recorder.name,))


# -- presence changes reach the other sessions through the change feed -----------------------


def _feed_keys(feed, seconds: float) -> set[int]:
    """Everything the feed reports within ``seconds``."""
    import time

    keys: set[int] = set()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        got = feed.wait(left)
        if got:
            keys |= got
    return keys


def test_joins_leaves_and_mode_changes_reach_the_feed_but_not_the_change_log(db_url, svc, clock):
    from branchtui.store.feed import ChangeFeed, presence_key

    w = build_world(svc, extra_full=0)
    mid = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 0),
                                                   Obligation.THEME_DAY)).id
    chain = svc.meetings.record(w.secretary, mid).chain_entries
    quiet = 1.2 if db_url.startswith("sqlite") else 0.4  # SQLite polls every 0.25 s
    feed = ChangeFeed.open(db_url)
    try:
        steps = [
            ("a newcomer", lambda: svc.presence.beat(w.member, mid, "view"), True),
            ("the same beat again", lambda: svc.presence.beat(w.member, mid, "view"), False),
            ("viewing -> editing", lambda: svc.presence.beat(w.recorder, mid, "edit"), True),
            ("editing again", lambda: svc.presence.beat(w.recorder, mid, "edit"), False),
            ("editing -> viewing", lambda: svc.presence.beat(w.recorder, mid, "view"), True),
            ("a leave", lambda: svc.presence.leave(w.member, mid), True),
            ("a leave with nothing to leave", lambda: svc.presence.leave(w.member, mid), False),
        ]
        for what, step, announced in steps:
            step()
            keys = _feed_keys(feed, quiet)
            assert keys == ({presence_key(mid)} if announced else set()), what
        # Back after a silence longer than the window: a newcomer again for the others.
        clock.advance(seconds=WINDOW_SECONDS + 1)
        svc.presence.beat(w.recorder, mid, "view")
        assert _feed_keys(feed, quiet) == {presence_key(mid)}
        # A change of the record is still a change of the record, not of presence.
        assert svc.meetings.record(w.secretary, mid).chain_entries == chain, \
            "presence wrote to the meeting's change log"
        svc.meetings.open(w.recorder, mid)
        assert _feed_keys(feed, quiet) == {mid}
    finally:
        feed.close()


@pytest.fixture
def sqlite_meeting(tmp_path, clock):
    """(services, world, meeting id) on a temp-file SQLite."""
    from branchtui.services import Services
    from branchtui.store.db import open_database, upgrade

    db = open_database(f"sqlite:///{tmp_path / 'presence.sqlite3'}")
    upgrade(db)
    svc = Services.create(db, clock)
    w = build_world(svc, extra_full=0)
    mid = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 11, 27, 9, 0),
                                                   Obligation.THEME_DAY)).id
    yield svc, w, mid
    db.close()


OPS = st.lists(st.tuples(st.sampled_from(["view", "edit", "leave", "wait"]),
                         st.sampled_from([0, 1]), st.sampled_from([5, 20, 29, 30, 31, 60])),
               max_size=14)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_only_a_change_of_who_or_how_is_announced(sqlite_meeting, clock, ops):
    """The rule, against a model: a beat is announced when the member was not there (no
    row, or silent for longer than the window) or switches mode; a leave when there was a
    row to remove; nothing else (SQLite: one presence_change marker per announcement)."""
    from datetime import timedelta

    from branchtui.store import models as m

    svc, w, mid = sqlite_meeting
    who = (w.recorder, w.secretary)  # both may view and edit
    for actor in who:  # each example starts with nobody there
        svc.presence.leave(actor, mid)
    model: dict[int, tuple[str, datetime]] = {}

    def markers() -> int:
        with svc.presence.read():
            return m.PresenceChange.select().count()

    for op, k, seconds in ops:
        actor = who[k]
        before = markers()
        if op == "wait":
            clock.advance(seconds=seconds)
            continue
        if op == "leave":
            expected = actor.member_id in model
            model.pop(actor.member_id, None)
            svc.presence.leave(actor, mid)
        else:
            was = model.get(actor.member_id)
            stale = was is not None and was[1] < clock.current - timedelta(seconds=WINDOW_SECONDS)
            expected = was is None or was[0] != op or stale
            model[actor.member_id] = (op, clock.current)
            svc.presence.beat(actor, mid, op)
        assert markers() - before == (1 if expected else 0), (op, k, model)


def test_only_the_newest_presence_markers_are_kept(sqlite_meeting, monkeypatch):
    from branchtui.services import presence
    from branchtui.store import models as m

    svc, w, mid = sqlite_meeting
    monkeypatch.setattr(presence, "KEEP_CHANGES", 3)  # 1000 in real life
    for i in range(10):
        svc.presence.beat(w.recorder, mid, ("view", "edit")[i % 2])
    with svc.presence.read():
        ids = [i for (i,) in m.PresenceChange.select(m.PresenceChange.id)
               .order_by(m.PresenceChange.id).tuples()]
    assert ids == [8, 9, 10]
