"""What a meeting record must contain (DOMAIN.md §5), checked when the meeting closes and
whenever the recorder asks.

A pure function over the record: it names each gap (a code, the things concerned) and the
UI words it. ``MUST`` gaps make the record incomplete: they block closing the meeting
unless the recorder gives a reason (``close_gaps``, ``RecordGaps``); ``SHOULD`` gaps are
what an inspector would ask about (a decision nobody follows up, "大家一致认为").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from branchtui.core.enums import AttendanceStatus, MeetingStatus
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.model import AttendanceRow, Decision, Guest, Meeting, Speech

MUST = "must"
SHOULD = "should"

# A remark by a member marked so was not spoken at this meeting (列席 guests and members
# not on the roll are not marked at all).
NOT_THERE = (AttendanceStatus.LEAVE, AttendanceStatus.ABSENT)

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
    away = {a.member_id for a in record.attendance if a.status in NOT_THERE}
    speakers_away = [s.speaker_name for s in record.speeches
                     if s.speaker_id is not None and s.speaker_id in away]
    if speakers_away:
        add("speaker_absent", MUST, list(dict.fromkeys(speakers_away)))

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


def close_gaps(record: RecordLike) -> list[Finding]:
    """The gaps that block closing the meeting: every ``MUST`` gap but "not closed yet"
    (what a record must have: place, moderator, recorder, agenda, every member of 应到
    marked, reasons for absence, speakers who were there, remarks, decisions on the acts
    on the agenda)."""
    return [f for f in check_record(record) if f.severity == MUST and f.code != "not_closed"]


def absentees(rows: Iterable[AttendanceRow]) -> list[AttendanceRow]:
    """The members of 应到 who are not counted present, in roll order: on leave, absent,
    and never marked. So 应到 = 实到 + len(absentees) (``roll.count_attendance``)."""
    return [a for a in rows
            if a.status is None or a.status in (AttendanceStatus.LEAVE, AttendanceStatus.ABSENT)]


@frozen
class CloseCheck:
    """The record check as it stood when the meeting was closed: the gaps that blocked
    closing (none for a complete record) and the reason the closer gave for closing with
    them. Kept with the record; later corrections do not change it."""

    closed_at: datetime
    closed_by: int | None
    closed_by_name: str = ""
    findings: tuple[Finding, ...] = ()
    reason: str = ""


class RecordGaps(ValidationError):
    """Closing refused: the record lacks what it must have (``findings``, from
    ``close_gaps``) and no reason was given for closing all the same."""

    key = "meeting.close_gaps"

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self.params.get("findings", ()))

    def message(self) -> str:
        from branchtui.i18n import t

        return t(self.key, list=t("ui_minutes.gap_sep").join(describe(f) for f in self.findings))


def finding_text(f: Finding) -> str:
    """The gap in words, in the current language."""
    from branchtui.i18n import t

    return t(f"ui_minutes.check.{f.code}", count=f.count)


def subjects_text(f: Finding) -> str:
    """Who or what the gap concerns, as one line."""
    from branchtui.i18n import t

    return t("ui_minutes.sep").join(f.subjects)


def describe(f: Finding) -> str:
    """The gap and what it concerns, as one line (plain text: never markup)."""
    from branchtui.i18n import t

    if not f.subjects:
        return finding_text(f)
    return t("ui_minutes.review_detail", gap=finding_text(f), concerns=subjects_text(f))


def findings_data(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Findings as plain data, for the change log and the store."""
    return [{"code": f.code, "severity": f.severity, "subjects": list(f.subjects),
             "count": f.count} for f in findings]


def findings_from(data: Iterable[dict[str, Any]]) -> tuple[Finding, ...]:
    """The inverse of ``findings_data``."""
    return tuple(Finding(d["code"], d.get("severity", MUST), tuple(d.get("subjects", ())),
                         int(d.get("count", 0))) for d in data)
