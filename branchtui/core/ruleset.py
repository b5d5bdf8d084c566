"""Rule sets: every threshold and frequency of DOMAIN.md is data with a version.

Local committees add or tighten rules, so an organisation may override any field of the
default set; the override is stored as JSON on the organisation and inherited down the tree
(``RuleSet.merged``). Rules are frozen: a decision records the version it was judged by.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import field
from fractions import Fraction
from typing import Any

from branchtui.core.enums import Obligation, PeriodKind
from branchtui.core.errors import ValidationError
from branchtui.core.frozen import frozen

DEFAULT_FREQUENCIES: dict[Obligation, PeriodKind | None] = {
    Obligation.GENERAL_MEETING: PeriodKind.QUARTER,  # art. 11
    Obligation.COMMITTEE_MEETING: PeriodKind.MONTH,  # art. 12, only with a committee
    Obligation.GROUP_MEETING: PeriodKind.MONTH,  # art. 13, per group
    Obligation.PARTY_LECTURE: PeriodKind.QUARTER,  # local rule
    Obligation.THEME_DAY: PeriodKind.MONTH,
    Obligation.ORG_LIFE: PeriodKind.YEAR,  # per report year
    Obligation.APPRAISAL: PeriodKind.YEAR,
}


@frozen
class RuleSet:
    """The rules one organisation works by. All fields have the DOMAIN.md defaults."""

    version: str = "zbgztl-2018.1"
    frequencies: dict[Obligation, PeriodKind | None] = field(
        default_factory=lambda: dict(DEFAULT_FREQUENCIES)
    )
    # A branch has a committee from this many full members on (unless set explicitly).
    committee_min_full_members: int = 7
    # Quorum: strictly more than this share of those entitled to vote must be present.
    general_quorum: Fraction = Fraction(1, 2)
    election_quorum: Fraction = Fraction(4, 5)
    committee_quorum: Fraction = Fraction(1, 2)
    # Pass: yes votes strictly more than this share of the base.
    pass_share: Fraction = Fraction(1, 2)
    # Election base: "expected" (应到 with a vote) or "present" (实到); sources differ.
    election_base: str = "expected"
    # 接收预备党员/转正: written opinions handed in before the meeting count.
    written_opinions_count: bool = True
    # Warning lines.
    unexcused_absence_threshold: int = 3
    lapse_months: int = 6
    silent_days: int = 30
    # 组织生活会 for report year Y may be held up to this many months into Y+1.
    org_life_grace_months: int = 3
    # 民主评议: at most this share of graded members may be 优秀.
    excellent_cap: Fraction = Fraction(1, 3)

    def frequency(self, obligation: Obligation) -> PeriodKind | None:
        return self.frequencies.get(obligation)

    # -- (de)serialisation: overrides are stored as JSON on the organisation -------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Fraction):
                out[f.name] = f"{value.numerator}/{value.denominator}"
            elif f.name == "frequencies":
                out[f.name] = {k.value: (v.value if v else None) for k, v in value.items()}
            else:
                out[f.name] = value
        return out

    def merged(self, overrides: dict[str, Any] | str | None) -> RuleSet:
        """A new rule set with ``overrides`` (a dict or its JSON) applied; unknown keys and
        bad values raise ValidationError, so a typo in a local rule never passes silently."""
        if not overrides:
            return self
        if isinstance(overrides, str):
            try:
                overrides = json.loads(overrides)
            except json.JSONDecodeError as exc:
                raise ValidationError("rules.bad_json", detail=str(exc)) from exc
        assert isinstance(overrides, dict)
        known = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in overrides.items():
            if name not in known:
                raise ValidationError("rules.unknown_field", name=name)
            current = getattr(self, name)
            try:
                if name == "frequencies":
                    freq = dict(self.frequencies)
                    for k, v in dict(raw).items():
                        freq[Obligation(k)] = PeriodKind(v) if v else None
                    changes[name] = freq
                elif isinstance(current, Fraction):
                    value = Fraction(str(raw))
                    if not 0 <= value < 1:
                        raise ValueError(raw)
                    changes[name] = value
                elif isinstance(current, bool):
                    if not isinstance(raw, bool):
                        raise ValueError(raw)
                    changes[name] = raw
                elif isinstance(current, int):
                    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
                        raise ValueError(raw)
                    changes[name] = raw
                elif name == "election_base":
                    if raw not in ("expected", "present"):
                        raise ValueError(raw)
                    changes[name] = raw
                elif name == "version":
                    # Stored with every decision judged by it (at most 64 characters,
                    # with the labels of local rules: core/rulebook.py).
                    if not isinstance(raw, str) or not raw.strip() or len(raw) > 32:
                        raise ValueError(raw)
                    changes[name] = raw.strip()
                else:
                    changes[name] = str(raw)
            except (ValueError, TypeError, ZeroDivisionError) as exc:
                raise ValidationError("rules.bad_value", name=name, value=str(raw)) from exc
        return dataclasses.replace(self, **changes)


DEFAULT_RULES = RuleSet()
