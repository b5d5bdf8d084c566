"""Issue 11, item 11: a remark attributed to a member marked 缺席 is flagged by the record
check, and can be moved to its real speaker or taken out of the record; both are changes
to the record, chained with who, when, before and after. On both backends."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from branchtui.core.enums import AttendanceStatus, Obligation
from branchtui.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from branchtui.core.record_check import check_record
from branchtui.store import models as m
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK
from tests.factories import GAPS_REASON, build_world, draft

START = datetime(2026, 11, 27, 14, 0)
TEXT = "我同意这个方案" + HOSTILE_LINK + FULLWIDTH


@pytest.fixture
def world(svc, clock):
    w = build_world(svc)
    clock.current = START - timedelta(days=2)
    mtg = svc.meetings.schedule(w.secretary, draft(w, START, Obligation.THEME_DAY))
    clock.current = START
    svc.meetings.open(w.recorder, mtg.id)
    svc.meetings.mark(w.recorder, mtg.id, w.member.member_id, AttendanceStatus.ABSENT,
                      reason="未请假")
    svc.meetings.mark(w.recorder, mtg.id, w.leader.member_id, AttendanceStatus.PRESENT)
    w.mid = mtg.id  # type: ignore[attr-defined]
    w.item = mtg.agenda[0].id  # type: ignore[attr-defined]
    return w


def entries(mid: int, action: str) -> list[tuple[int | None, datetime, dict]]:
    return [(actor, at, json.loads(data)["data"]) for actor, at, data in
            m.ChangeLog.select(m.ChangeLog.actor, m.ChangeLog.at, m.ChangeLog.data)
            .where((m.ChangeLog.meeting == mid) & (m.ChangeLog.action == action))
            .order_by(m.ChangeLog.id).tuples()]


def test_a_remark_by_an_absent_member_is_flagged_and_moved(world, clock):
    svc, w = world.svc, world
    sp = svc.minutes.add_speech(w.recorder, w.mid, TEXT, speaker_id=w.member.member_id,
                                agenda_item_id=w.item)
    found = {f.code: f for f in check_record(svc.meetings.record(w.recorder, w.mid))}
    assert found["speaker_absent"].subjects == ("孙党员（老）",)

    clock.advance(minutes=3)
    moved = svc.minutes.move_speech(w.recorder, sp.id, sp.version,
                                    speaker_id=w.leader.member_id)
    assert (moved.speaker_id, moved.speaker_name, moved.text) == (
        w.leader.member_id, "钱组长", TEXT)
    assert moved.version == sp.version + 1 and moved.spoken_at == sp.spoken_at
    rec = svc.meetings.record(w.recorder, w.mid)
    assert "speaker_absent" not in {f.code for f in check_record(rec)}
    assert rec.chain_ok
    [(actor, at, data)] = entries(w.mid, "speech.move")
    assert actor == w.recorder.member_id and at == START + timedelta(minutes=3)
    assert data == {"before": {"speaker": w.member.member_id, "speaker_name": "孙党员（老）"},
                    "after": {"speaker": w.leader.member_id, "speaker_name": "钱组长"},
                    "version": 2}

    # To a guest, by name; the same speaker again records nothing.
    guest = svc.minutes.move_speech(w.secretary, sp.id, moved.version,
                                    speaker_name=" 王主任" + HOSTILE + " ")
    assert (guest.speaker_id, guest.speaker_name) == (None, "王主任" + HOSTILE)
    same = svc.minutes.move_speech(w.recorder, sp.id, guest.version,
                                   speaker_name="王主任" + HOSTILE)
    assert same == guest and len(entries(w.mid, "speech.move")) == 2

    # A stale move is a conflict that carries the newer remark.
    with pytest.raises(Conflict) as err:
        svc.minutes.move_speech(w.recorder, sp.id, moved.version,
                                speaker_id=w.member.member_id)
    assert err.value.params["current"] == guest
    with pytest.raises(ValidationError) as verr:
        svc.minutes.move_speech(w.recorder, sp.id, guest.version, speaker_name="  ")
    assert verr.value.params["field"] == "field.speaker"
    with pytest.raises(NotFound):
        svc.minutes.move_speech(w.recorder, sp.id, guest.version, speaker_id=999_999)
    with pytest.raises(PermissionDenied):
        svc.minutes.move_speech(w.member, sp.id, guest.version,
                                speaker_id=w.member.member_id)
    assert svc.meetings.record(w.recorder, w.mid).speeches == (guest,)


def test_a_remark_is_deleted_never_silently(world, clock):
    svc, w = world.svc, world
    keep = svc.minutes.add_speech(w.recorder, w.mid, "留下的发言", speaker_id=w.leader.member_id,
                                  agenda_item_id=w.item)
    sp = svc.minutes.add_speech(w.recorder, w.mid, TEXT, speaker_id=w.member.member_id,
                                agenda_item_id=w.item)
    edited = svc.minutes.edit_speech(w.recorder, sp.id, TEXT + "（改）", sp.version)
    with pytest.raises(Conflict) as err:
        svc.minutes.delete_speech(w.recorder, sp.id, sp.version)
    assert err.value.params["current"].text == TEXT + "（改）"
    with pytest.raises(PermissionDenied):
        svc.minutes.delete_speech(w.member, sp.id, edited.version)
    assert len(svc.meetings.record(w.recorder, w.mid).speeches) == 2

    clock.advance(minutes=5)
    gone = svc.minutes.delete_speech(w.secretary, sp.id, edited.version)
    assert gone == edited
    rec = svc.meetings.record(w.recorder, w.mid)
    assert rec.speeches == (keep,)
    assert "speaker_absent" not in {f.code for f in check_record(rec)}
    assert rec.chain_ok
    [(actor, at, data)] = entries(w.mid, "speech.delete")
    assert actor == w.secretary.member_id and at == START + timedelta(minutes=5)
    assert data["before"] == {
        "speaker": w.member.member_id, "speaker_name": "孙党员（老）", "text": TEXT + "（改）",
        "item": w.item, "spoken_at": START.isoformat(), "entered_by": w.recorder.member_id,
        "version": 2}
    with pytest.raises(NotFound):
        svc.minutes.delete_speech(w.secretary, sp.id, edited.version)


def test_after_the_seal_a_remark_stays(world, clock):
    svc, w = world.svc, world
    sp = svc.minutes.add_speech(w.recorder, w.mid, TEXT, speaker_id=w.leader.member_id,
                                agenda_item_id=w.item)
    svc.meetings.close(w.recorder, w.mid, gaps_reason=GAPS_REASON)
    # Closed, not sealed: corrected as an edit would be, and chained.
    moved = svc.minutes.move_speech(w.recorder, sp.id, sp.version,
                                    speaker_id=w.secretary.member_id)
    sealed = svc.meetings.seal(w.secretary, w.mid)
    assert sealed.seal_digest
    for call in (lambda: svc.minutes.delete_speech(w.secretary, sp.id, moved.version),
                 lambda: svc.minutes.move_speech(w.secretary, sp.id, moved.version,
                                                 speaker_id=w.leader.member_id)):
        with pytest.raises(ValidationError) as err:
            call()
        assert err.value.key == "meeting.sealed"
    rec = svc.meetings.record(w.secretary, w.mid)
    assert rec.speeches == (moved,) and rec.chain_ok
