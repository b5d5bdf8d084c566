"""Time zones: each organisation's, and the wall time an instant is there.

A branch's records are in its own wall time: a secretary enters 19:30 and means 19:30 where
the branch meets, whatever the server's clock says. So the clock gives an *instant* (an
aware datetime), and every rule that asks "what time is it" or "what day is it" asks it in
an organisation's zone: today, the period today falls in, whether a meeting has started or
a member signed in late. Times are stored naive, as wall times in the zone of the
organisation they belong to (a meeting's in its branch's), so a stored time compares with
``planned_start`` directly and nothing stored changes meaning when the server moves.

An organisation's zone is an IANA name (``Asia/Shanghai``, ``Europe/Berlin``) or None:
inherited from the organisation above; the top's default is ``DEFAULT_TIME_ZONE``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen

DEFAULT_TIME_ZONE = "Asia/Shanghai"
NAME_MAX = 64


@functools.lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The zone called ``name`` (an IANA name, checked by ``check_zone`` before it is
    stored). ``ZoneInfo`` caches its own instances; this skips its lookup too."""
    return ZoneInfo(name)


def check_zone(name: str | None) -> str | None:
    """``name`` tidied, or None for "inherit"; a name the time zone database does not
    know is refused (``org.bad_time_zone``)."""
    if name is None or not name.strip():
        return None
    value = name.strip()
    # ZoneInfo also opens paths ("../x") and accepts odd spellings: only plain IANA names.
    if (len(value) > NAME_MAX or value.startswith("/") or ".." in value
            or not all(ch.isascii() and (ch.isalnum() or ch in "/_+-") for ch in value)):
        raise ValidationError("org.bad_time_zone", name=value[:NAME_MAX])
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError("org.bad_time_zone", name=value) from None
    return value


def as_instant(moment: datetime, default: str = DEFAULT_TIME_ZONE) -> datetime:
    """``moment`` as an aware instant in UTC; a naive one is a wall time in ``default``
    (never the process's local zone: the server's own zone decides nothing)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone(default))
    return moment.astimezone(UTC)


def wall_time(instant: datetime, name: str) -> datetime:
    """The naive wall time of ``instant`` in the zone ``name`` (how times are stored)."""
    return as_instant(instant).astimezone(zone(name)).replace(tzinfo=None)


def wall_date(instant: datetime, name: str) -> date:
    """The day it is at ``instant`` in the zone ``name``."""
    return wall_time(instant, name).date()


@frozen
class ZoneMap:
    """Every organisation's zone, as read from the tree at one moment.

    ``single`` is set when every organisation has the same zone (the usual case: nobody set
    one, or only the top did); then ``parents`` and ``explicit`` are empty and nothing needs
    a tree walk. Otherwise ``explicit`` holds each organisation's own setting (None:
    inherit) and ``parents`` the tree. ``default`` is the zone of the first top
    organisation: the zone of "today" when no organisation is named."""

    single: str | None
    default: str = DEFAULT_TIME_ZONE
    parents: Mapping[int, int | None] = field(default_factory=dict)
    explicit: Mapping[int, str | None] = field(default_factory=dict)

    def name(self, org_id: int | None) -> str:
        """The zone of ``org_id`` (its own, else the nearest ancestor's, else the default
        of the top); ``default`` when None or unknown (an org created since)."""
        if self.single is not None:
            return self.single
        if org_id is None:
            return self.default
        seen: set[int] = set()
        current: int | None = org_id
        while current is not None and current not in seen and current in self.explicit:
            seen.add(current)
            own = self.explicit[current]
            if own is not None:
                return own
            current = self.parents.get(current)
        return DEFAULT_TIME_ZONE if org_id in self.explicit else self.default


def uniform(names: set[str | None]) -> ZoneMap | None:
    """The map when the tree's explicit zones and its tops' (None: the default) are
    ``names`` and they all come to one zone; None when the tree must be read."""
    zones = {name or DEFAULT_TIME_ZONE for name in names} or {DEFAULT_TIME_ZONE}
    if len(zones) != 1:
        return None
    (only,) = zones
    return ZoneMap(only, only)


def zone_map(rows: list[tuple[int, int | None, str | None]]) -> ZoneMap:
    """The map from ``(id, parent id, own zone)`` rows of the whole tree."""
    roots = sorted(oid for oid, parent, _z in rows if parent is None)
    explicit = {oid: own for oid, _p, own in rows}
    parents = {oid: parent for oid, parent, _z in rows}
    full = ZoneMap(None, DEFAULT_TIME_ZONE, parents, explicit)
    default = full.name(roots[0]) if roots else DEFAULT_TIME_ZONE
    names = {full.name(oid) for oid in explicit}
    if len(names) <= 1:
        return ZoneMap(names.pop() if names else default, default)
    return ZoneMap(None, default, parents, explicit)
