"""Warning lines for attendance (DOMAIN.md §3).

Two lines: unexcused absences in a window (default: this calendar year; local rules call for
criticism at three), and months without 组织生活 and without good reason (six months is
自行脱党 under Party Constitution art. 9). The months since a member last attended is the
first-class figure; the flags only say which line it has reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from branchtui.core.enums import AttendanceStatus
from branchtui.core.frozen import frozen
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier`` to ``later`` (negative when ``later`` comes
    first): a month is complete when the day of the month is reached again, so
    2026-01-31 -> 2026-02-28 is 0 and -> 2026-03-01 is 1.

    Not ``relativedelta(later, earlier)``: dateutil 4 counts month-end to month-end as a
    whole month (01-31 -> 02-28 is 1), which would raise the lapse flag days too early.
    """
    if later < earlier:
        return -months_between(later, earlier)
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


@frozen
class LapseStatus:
    """Where a member stands against the warning lines on a given day."""

    member_id: int
    last_attended: date | None
    months_since: int | None  # from last attendance, else from member_since; None: unknown
    unexcused_months: int | None  # months_since less the time covered by a good reason
    unexcused_absences: int  # ABSENT rows in the window
    near_lapse: bool  # one month from the lapse line, with an unexcused absence
    lapsed: bool  # at or over the lapse line, with an unexcused absence
    over_absence_threshold: bool
    lapse_months: int = DEFAULT_RULES.lapse_months  # the line drawn (a local rule may move it)


def _month_span(day: date) -> tuple[date, date]:
    """The calendar month of ``day`` as a half-open span [first day, first day of next)."""
    first = day.replace(day=1)
    nxt = date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
    return first, nxt


def excused_days(
    anchor: date,
    today: date,
    history: Sequence[tuple[date, AttendanceStatus]],
    exemptions: Sequence[tuple[date, date | None]] = (),
) -> int:
    """Days in (``anchor``, ``today``] covered by a good reason (DOMAIN.md §3): an exemption
    period ``[starts, ends)`` (``ends`` None: still running), or the calendar month of a
    meeting the member was on leave from or exempt for (the month's 组织生活 was excused)."""
    lo, hi = anchor + timedelta(days=1), today + timedelta(days=1)  # half-open [lo, hi)
    spans = [(s, e or hi) for s, e in exemptions]
    spans += [_month_span(day) for day, status in history
              if anchor < day <= today
              and status in (AttendanceStatus.LEAVE, AttendanceStatus.EXEMPT)]
    clipped = sorted((max(s, lo), min(e, hi)) for s, e in spans)
    total, reached = 0, lo
    for s, e in clipped:
        s = max(s, reached)
        if e > s:
            total += (e - s).days
            reached = e
    return total


def lapse_status(
    member_id: int,
    history: Sequence[tuple[date, AttendanceStatus]],
    today: date,
    rules: RuleSet = DEFAULT_RULES,
    member_since: date | None = None,
    window_start: date | None = None,
    exemptions: Sequence[tuple[date, date | None]] = (),
) -> LapseStatus:
    """The warning lines of one member on ``today``.

    ``history`` holds the member's meetings as ``(date, status)``; rows after ``today``
    are ignored. ``months_since`` counts from the last present/late date, or from
    ``member_since`` when the member never attended (None if neither is known; never
    negative).

    ``unexcused_months`` is the same clock with the time covered by a good reason left out
    (``excused_days``: exemption periods from ``exemptions``, and the months of meetings
    marked on leave or exempt): the clock pauses there and goes on afterwards, so a good
    reason neither counts towards the six months nor resets them.

    ``lapsed`` needs both time and fault: ``unexcused_months >= rules.lapse_months`` and at
    least one unexcused ABSENT since the last attendance. A member whose every meeting since
    was on leave or exempt has a good reason and is never lapsed. ``near_lapse`` is the
    month before that line, also with an unexcused absence. ``unexcused_absences`` counts
    ABSENT rows from ``window_start`` (default 1 January of ``today``'s year) to ``today``.
    """
    rows = [(day, status if isinstance(status, AttendanceStatus) else AttendanceStatus(status))
            for day, status in history if day <= today]
    attended = [day for day, status in rows if status.is_present]
    last_attended = max(attended) if attended else None

    anchor = last_attended or member_since
    months_since = None if anchor is None else max(0, months_between(anchor, today))
    unexcused_months = None
    if anchor is not None:
        paused = excused_days(anchor, today, rows, exemptions) if anchor < today else 0
        unexcused_months = max(0, months_between(anchor + timedelta(days=paused), today))

    # "Since" means after the last attendance (a same-day absence does not count), or from
    # member_since on when the member never attended.
    if last_attended is not None:
        since = [status for day, status in rows if day > last_attended]
    else:
        since = [status for day, status in rows if member_since is None or day >= member_since]
    absent_since = any(status is AttendanceStatus.ABSENT for status in since)

    lapsed = (unexcused_months is not None and unexcused_months >= rules.lapse_months
              and absent_since)
    near_lapse = (
        unexcused_months is not None
        and unexcused_months >= rules.lapse_months - 1
        and absent_since
        and not lapsed
    )

    start = window_start or date(today.year, 1, 1)
    unexcused = sum(1 for day, status in rows if status is AttendanceStatus.ABSENT and day >= start)
    return LapseStatus(
        member_id=member_id,
        last_attended=last_attended,
        months_since=months_since,
        unexcused_months=unexcused_months,
        unexcused_absences=unexcused,
        near_lapse=near_lapse,
        lapsed=lapsed,
        over_absence_threshold=unexcused >= rules.unexcused_absence_threshold,
        lapse_months=rules.lapse_months,
    )
