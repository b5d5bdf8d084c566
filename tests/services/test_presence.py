"""Presence on both backends: a heartbeat per member and meeting, seen for 30 s, gone on
leave; the actor is not listed to themselves."""

from __future__ import annotations

from datetime import datetime

import pytest

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
