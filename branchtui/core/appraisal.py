"""民主评议党员 (democratic appraisal) rules, DOMAIN.md §6.

Grades are 优秀/合格/基本合格/不合格; at most a share (one third by default) of the members
who can be graded that year may be 优秀, rounded down; 预备党员 take part but are not graded.
The base is everyone who can be graded, not only those graded so far, so the order in which
grades are entered does not matter (issue 11, item 6).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from branchtui.core.enums import Grade
from branchtui.core.errors import ValidationError
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet


def excellent_cap(graded: int, rules: RuleSet = DEFAULT_RULES) -> int:
    """The most members who may be graded 优秀 out of ``graded``:
    ``floor(graded * rules.excellent_cap)`` (10 graded -> 3, 2 graded -> 0)."""
    if graded < 0:
        raise ValueError(f"negative number of graded members: {graded}")
    return math.floor(graded * rules.excellent_cap)


def check_grades(
    grades: Mapping[int, Grade],
    probationary: Collection[int],
    rules: RuleSet = DEFAULT_RULES,
    eligible: Collection[int] = (),
) -> None:
    """Check the grades of one appraisal round (member id -> grade).

    Raises ``ValidationError``:

    * ``appraisal.bad_grade`` when a value is not a grade;
    * ``appraisal.probationary_graded`` when a 预备党员 has a grade (they take part but are
      not graded); ``member_ids`` lists them;
    * ``appraisal.excellent_over_cap`` when more members are 优秀 than the cap of the base
      allows. The base is ``eligible`` (everyone who can be graded that year: full members
      of the branch) together with those graded, so that saving one 优秀 first is judged
      against the whole year, as the screen counts it."""
    checked: dict[int, Grade] = {}
    for member_id, value in grades.items():
        try:
            checked[member_id] = Grade(value)
        except ValueError as exc:
            raise ValidationError(
                "appraisal.bad_grade", member_id=member_id, value=str(value)[:40]
            ) from exc

    probationary_set = set(probationary)
    wrongly_graded = tuple(sorted(m for m in checked if m in probationary_set))
    if wrongly_graded:
        raise ValidationError(
            "appraisal.probationary_graded",
            count=len(wrongly_graded),
            member_ids=wrongly_graded,
        )

    excellent = sum(1 for g in checked.values() if g is Grade.EXCELLENT)
    base = len((set(eligible) - probationary_set) | set(checked))
    cap = excellent_cap(base, rules)
    if excellent > cap:
        raise ValidationError(
            "appraisal.excellent_over_cap",
            excellent=excellent,
            cap=cap,
            graded=base,
        )
