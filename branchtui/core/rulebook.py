"""Local rules over time and down the tree: which ``RuleSet`` an organisation works by on
a given day.

A local committee tightens or adds rules for its organisation (DOMAIN.md: every threshold
and frequency is data). Each change is a row of the organisation's rule history, *in force
from* a day (``RuleRow``): the row in force on a day is the latest one whose ``starts`` is
on or before it (of two with the same ``starts``, the one written later). A row replaces
the organisation's own overrides; one without overrides hands it back to the inherited
rules from then on.

The rules of an organisation on a day are the defaults, then the row in force that day of
each organisation above it, from the top down, then its own (``RuleSet.merged``). So a
rule a committee sets today changes nothing before today: last year is judged by last
year's rules.

Pure: callers load the rows and the tree (services/rules.py reads both once per unit of
work) and ask ``RuleBook.on`` or, for readers that walk periods (compliance), the whole
``Timeline`` of one organisation.
"""

from __future__ import annotations

import dataclasses
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from branchtui.core.enums import Obligation, PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet

# How many entries a reader may keep in a timeline's memo before starting afresh.
MEMO_MAX = 256
# The longest a chain of organisations may be followed up the tree (a corrupt parent cycle
# must not hang a reader); the real tree is four or five levels deep.
_MAX_DEPTH = 64


@frozen
class RuleRow:
    """One change of an organisation's own rules: ``overrides`` (JSON text of the fields
    it sets; None or empty: none of its own) in force from ``starts``. ``row_id`` orders
    two rows with the same ``starts``: the later one wins."""

    org_id: int
    starts: date
    overrides: str | None
    row_id: int = 0


def parse_overrides(overrides: str | dict[str, Any] | None) -> dict[str, Any]:
    """The overrides as a dict ({} for none), checked against the default rule set: an
    unknown field or a bad value raises ``ValidationError`` (``RuleSet.merged``)."""
    if not overrides:
        return {}
    if isinstance(overrides, str):
        try:
            parsed = json.loads(overrides)
        except json.JSONDecodeError as exc:
            raise ValidationError("rules.bad_json", detail=str(exc)) from exc
    else:
        parsed = overrides
    if not isinstance(parsed, dict):
        raise ValidationError("rules.bad_json", detail=type(parsed).__name__)
    DEFAULT_RULES.merged(parsed)
    return parsed


class Timeline:
    """One organisation's rules over time: ``sets[i]`` is in force from ``days[i]`` until
    the next change (``days[0]`` is ``date.min``). ``single`` is the set when it never
    changes, so that the common case costs nothing."""

    __slots__ = ("_frequencies", "days", "memo", "sets", "single")

    def __init__(self, changes: Sequence[tuple[date, RuleSet]]) -> None:
        assert changes and changes[0][0] == date.min, changes
        self.days = tuple(d for d, _r in changes)
        self.sets = tuple(r for _d, r in changes)
        self.single: RuleSet | None = self.sets[0] if len(self.sets) == 1 else None
        self._frequencies: dict[Obligation, tuple[PeriodKind, ...]] = {}
        # What readers work out from the rules alone (compliance: the periods owed in a
        # window), kept here for every organisation that shares the timeline; readers
        # keep it small (``MEMO_MAX``): the defaults' timeline lives as long as the process.
        self.memo: dict[Any, Any] = {}

    @classmethod
    def fixed(cls, rules: RuleSet) -> Timeline:
        """The same rules on every day."""
        return cls(((date.min, rules),))

    def on(self, day: date) -> RuleSet:
        """The rules in force on ``day``."""
        if self.single is not None:
            return self.single
        return self.sets[bisect_right(self.days, day) - 1]

    def frequencies(self, obligation: Obligation) -> tuple[PeriodKind, ...]:
        """Every frequency ``obligation`` has on some day (none: it is never owed)."""
        found = self._frequencies.get(obligation)
        if found is None:
            kinds = dict.fromkeys(k for r in self.sets if (k := r.frequency(obligation)))
            found = self._frequencies[obligation] = tuple(PeriodKind(k) for k in kinds)
        return found

    def __repr__(self) -> str:
        return f"Timeline({list(zip(self.days, (r.version for r in self.sets), strict=True))})"


def as_timeline(rules: RuleSet | Timeline) -> Timeline:
    """A reader that takes either: a ``RuleSet`` is in force on every day."""
    if isinstance(rules, Timeline):
        return rules
    return _DEFAULT_TIMELINE if rules is DEFAULT_RULES else Timeline.fixed(rules)


_DEFAULT_TIMELINE = Timeline.fixed(DEFAULT_RULES)


class RuleBook:
    """Every organisation's rules on every day, from the defaults (``base``), the rule
    history (``rows``) and the tree (``parents``: org id -> parent id). Timelines are built
    when first asked for and merged rule sets are shared: a roll-up over a hundred branches
    under one committee merges that committee's rows once.

    An organisation the tree does not know (created since it was read) has only its own
    rows. Not thread-safe: one book per unit of work."""

    def __init__(self, base: RuleSet = DEFAULT_RULES, rows: Iterable[RuleRow] = (),
                 parents: Mapping[int, int | None] | None = None) -> None:
        self.base = base
        by_org: dict[int, list[RuleRow]] = {}
        for row in rows:
            by_org.setdefault(row.org_id, []).append(row)
        for own in by_org.values():
            own.sort(key=lambda r: (r.starts, r.row_id))
        self._rows = by_org
        self._parents = parents or {}
        self._fixed = as_timeline(base)
        self._timelines: dict[int, Timeline] = {}
        self._merged: dict[tuple[int, ...], RuleSet] = {}
        self._parsed: dict[int, dict[str, Any]] = {}

    @property
    def uniform(self) -> bool:
        """No organisation has rules of its own: the defaults everywhere, always."""
        return not self._rows

    @property
    def widest(self) -> RuleSet:
        """The defaults with the longest grace after a report year that any organisation
        has on any day (``org_life_grace_months``): how far past a year a reader must look
        for that year's 组织生活会, whoever's rules judge it."""
        grace = self.base.org_life_grace_months
        for rows in self._rows.values():
            for row in rows:
                value = self._overrides(row).get("org_life_grace_months")
                if isinstance(value, int) and value > grace:
                    grace = value
        if grace == self.base.org_life_grace_months:
            return self.base
        return dataclasses.replace(self.base, org_life_grace_months=grace)

    def chain(self, org_id: int) -> list[int]:
        """``org_id`` and the organisations above it, top first."""
        out = [org_id]
        parent = self._parents.get(org_id)
        while parent is not None and parent not in out and len(out) < _MAX_DEPTH:
            out.append(parent)
            parent = self._parents.get(parent)
        out.reverse()
        return out

    def on(self, org_id: int | None, day: date) -> RuleSet:
        """The rules ``org_id`` works by on ``day`` (None: the defaults)."""
        if not self._rows or org_id is None:
            return self.base
        return self.timeline(org_id).on(day)

    def timeline(self, org_id: int | None) -> Timeline:
        """``org_id``'s rules over time (None: the defaults)."""
        if not self._rows or org_id is None:
            return self._fixed
        found = self._timelines.get(org_id)
        if found is None:
            found = self._timelines[org_id] = self._build(org_id)
        return found

    def _build(self, org_id: int) -> Timeline:
        histories = [self._rows[oid] for oid in self.chain(org_id) if oid in self._rows]
        if not histories:
            return self._fixed
        changes: list[tuple[date, RuleSet]] = []
        for day in [date.min, *sorted({r.starts for rows in histories for r in rows})]:
            applied = tuple(row for rows in histories
                            if (row := in_force(rows, day)) is not None and row.overrides)
            rules = self._merge(applied)
            if not changes or changes[-1][1] != rules:
                changes.append((day, rules))
        return Timeline(changes)

    def _merge(self, applied: tuple[RuleRow, ...]) -> RuleSet:
        key = tuple(r.row_id for r in applied)
        found = self._merged.get(key)
        if found is None:
            found = self.base
            for row in applied:
                found = labelled(found, row, self._overrides(row))
            self._merged[key] = found
        return found

    def _overrides(self, row: RuleRow) -> dict[str, Any]:
        found = self._parsed.get(row.row_id)
        if found is None:
            found = self._parsed[row.row_id] = parse_overrides(row.overrides)
        return found


def in_force(rows: Sequence[RuleRow], day: date) -> RuleRow | None:
    """Of one organisation's rows sorted by (starts, row_id), the one in force on ``day``."""
    found = None
    for row in rows:
        if row.starts > day:
            break
        found = row
    return found


def labelled(rules: RuleSet, row: RuleRow, overrides: Mapping[str, Any]) -> RuleSet:
    """``rules`` with ``row``'s overrides, its version saying so: a decision records the
    version it was judged by, and a local rule is not the 条例's default. The row's own
    ``version`` (if it names one) replaces the version; otherwise ``+r<row id>`` is
    appended (the history lists the rows by id)."""
    merged = rules.merged(dict(overrides))
    if "version" in overrides:
        return merged
    return dataclasses.replace(merged, version=f"{merged.version}+r{row.row_id}")


__all__ = ["RuleBook", "RuleRow", "Timeline", "as_timeline", "in_force", "labelled",
           "parse_overrides"]
