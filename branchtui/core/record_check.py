"""What a meeting record must contain (DOMAIN.md §5), checked after the meeting closes.

A pure function over the record: it names each gap (a code, the things concerned) and the
UI words it. ``MUST`` gaps make the record incomplete; ``SHOULD`` gaps are what an
inspector would ask about (a decision nobody follows up, "大家一致认为").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from branchtui.core.enums import AttendanceStatus, MeetingStatus
from branchtui.core.frozen import frozen
from branchtui.core.model import AttendanceRow, Decision, Guest, Meeting, Speech

MUST = "must"
SHOULD = "should"

# Phrases that stand in for the speakers' own words ("言必录": avoid them).
COLLECTIVE_PHRASES = ("大家一致认为", "与会人员一致认为", "大家一致同意", "与会党员一致认为")


class RecordLike(Protocol):
    """What the check reads: a ``services.MeetingRecord`` fits."""

    @property
    def meeting(self) -> Meeting: ...
    @property
    def attendance(self) -> Sequence[AttendanceRow]: ...
    @property
    def guests(self) -> Sequence[Guest]: ...
    @property
    def speeches(self) -> Sequence[Speech]: ...
    @property
    def decisions(self) -> Sequence[Decision]: ...


@frozen
class Finding:
    """One gap. ``code`` is stable (the UI words it); ``subjects`` are the things concerned
    (names, agenda titles, decision texts), as stored."""

    code: str
    severity: str
    subjects: tuple[str, ...] = ()
    count: int = 0


def _short(text: str, width: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def check_record(record: RecordLike) -> list[Finding]:
    """Every gap of the record, most serious first, in a stable order."""
    mtg = record.meeting
    out: list[Finding] = []

    def add(code: str, severity: str, subjects: Sequence[str] = (), count: int = 0) -> None:
        out.append(Finding(code, severity, tuple(subjects), count or len(subjects)))

    if mtg.status in (MeetingStatus.PLANNED, MeetingStatus.OPEN):
        add("not_closed", MUST)
    if not mtg.place.strip():
        add("no_place", MUST)
    if mtg.moderator_id is None:
        add("no_moderator", MUST)
    if mtg.recorder_id is None:
        add("no_recorder", MUST)
    if mtg.convener_id is None:
        add("no_convener", SHOULD)
    if not mtg.agenda:
        add("no_agenda", MUST)

    unmarked = [a.member_name for a in record.attendance if a.status is None]
    if unmarked:
        add("unmarked", MUST, unmarked)
    no_reason = [
        a.member_name for a in record.attendance
        if a.status in (AttendanceStatus.LEAVE, AttendanceStatus.ABSENT) and not a.reason.strip()
    ]
    if no_reason:
        add("absent_without_reason", MUST, no_reason)
    guests = [g.name for g in record.guests if not g.reason.strip()]
    if guests:
        add("guest_without_reason", MUST, guests)

    if not record.speeches:
        add("no_speeches", MUST)
    else:
        spoken = {s.agenda_item_id for s in record.speeches}
        silent = [i.title for i in mtg.agenda if i.id not in spoken]
        if silent:
            add("item_without_speech", SHOULD, silent)

    decided_items = {d.agenda_item_id for d in record.decisions}
    loose_acts = {d.act for d in record.decisions if d.agenda_item_id is None}
    undecided = [
        i.title for i in mtg.agenda
        if i.act is not None and i.id not in decided_items and i.act not in loose_acts
    ]
    if undecided:
        add("act_without_decision", MUST, undecided)

    no_owner = [_short(d.text) for d in record.decisions if d.follow_up_owner_id is None]
    if no_owner:
        add("decision_without_owner", SHOULD, no_owner)
    no_due = [
        _short(d.text) for d in record.decisions
        if d.follow_up_owner_id is not None and d.follow_up_due is None
    ]
    if no_due:
        add("decision_without_due", SHOULD, no_due)

    collective = [
        s.speaker_name for s in record.speeches
        if any(p in s.text for p in COLLECTIVE_PHRASES)
    ]
    if collective:
        add("collective_phrase", SHOULD, list(dict.fromkeys(collective)))

    out.sort(key=lambda f: 0 if f.severity == MUST else 1)
    return out
