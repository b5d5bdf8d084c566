"""民主评议: grades, the 优秀 cap, probationary members."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.appraisal import check_grades, excellent_cap
from branchtui.core.enums import Grade
from branchtui.core.errors import ValidationError
from branchtui.core.ruleset import DEFAULT_RULES
from branchtui.i18n import CATALOGUE, t

G = Grade


@pytest.mark.parametrize(
    ("graded", "cap"),
    [(0, 0), (1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (9, 3), (10, 3), (11, 3), (12, 4), (200, 66)],
)
def test_excellent_cap(graded: int, cap: int) -> None:
    assert excellent_cap(graded, DEFAULT_RULES) == cap


def test_excellent_cap_from_rules() -> None:
    quarter = DEFAULT_RULES.merged({"excellent_cap": "1/4"})
    assert excellent_cap(10, quarter) == 2
    assert excellent_cap(12, quarter) == 3


def test_excellent_cap_refuses_negative() -> None:
    with pytest.raises(ValueError):
        excellent_cap(-1)


def grades(excellent: int, qualified: int) -> dict[int, Grade]:
    out = {i: G.EXCELLENT for i in range(excellent)}
    out.update({100 + i: G.QUALIFIED for i in range(qualified)})
    return out


def test_ten_graded_three_excellent_is_fine() -> None:
    check_grades(grades(3, 7), probationary=())


def test_ten_graded_four_excellent_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        check_grades(grades(4, 6), probationary=())
    assert err.value.key == "appraisal.excellent_over_cap"
    assert err.value.params == {"excellent": 4, "cap": 3, "graded": 10}
    assert "3" in err.value.message()


def test_two_graded_none_may_be_excellent() -> None:
    with pytest.raises(ValidationError):
        check_grades(grades(1, 1), probationary=())
    check_grades(grades(0, 2), probationary=())


def test_all_grades_accepted() -> None:
    check_grades({1: G.EXCELLENT, 2: G.QUALIFIED, 3: G.BASIC, 4: G.UNQUALIFIED}, ())
    check_grades({}, ())


def test_probationary_members_are_not_graded() -> None:
    with pytest.raises(ValidationError) as err:
        check_grades({1: G.QUALIFIED, 2: G.QUALIFIED, 3: G.QUALIFIED}, probationary={3, 4})
    assert err.value.key == "appraisal.probationary_graded"
    assert err.value.params["member_ids"] == (3,)
    assert err.value.params["count"] == 1
    # Taking part without a grade is fine.
    check_grades({1: G.QUALIFIED, 2: G.QUALIFIED}, probationary=[3, 4])


def test_probationary_checked_before_cap() -> None:
    with pytest.raises(ValidationError) as err:
        check_grades({1: G.EXCELLENT, 2: G.EXCELLENT}, probationary=[2])
    assert err.value.key == "appraisal.probationary_graded"


def test_grade_values_as_strings_and_bad_values() -> None:
    plain: dict[int, Any] = {1: "qualified", 2: "basic", 3: "qualified"}
    check_grades(plain, ())
    with pytest.raises(ValidationError) as err:
        check_grades({1: "great"}, ())  # type: ignore[dict-item]
    assert err.value.key == "appraisal.bad_grade"


def test_message_keys_exist_in_both_languages() -> None:
    for key in (
        "appraisal.bad_grade",
        "appraisal.probationary_graded",
        "appraisal.excellent_over_cap",
    ):
        assert key in CATALOGUE["zh"] and key in CATALOGUE["en"]
    zh = t("appraisal.excellent_over_cap", lang="zh", excellent=4, cap=3, graded=10)
    assert "10" in zh and "3" in zh and "4" in zh and "{" not in zh
    en = t("appraisal.probationary_graded", lang="en", count=2, member_ids=(1, 2))
    assert "2" in en and "{" not in en


@given(
    st.lists(st.sampled_from(list(Grade)), max_size=60),
)
def test_check_agrees_with_cap(values: list[Grade]) -> None:
    graded = dict(enumerate(values))
    excellent = values.count(G.EXCELLENT)
    if excellent * 3 <= len(values):
        check_grades(graded, ())
    else:
        with pytest.raises(ValidationError):
            check_grades(graded, ())


@given(st.integers(min_value=0, max_value=10_000))
def test_cap_is_at_most_a_third(n: int) -> None:
    cap = excellent_cap(n)
    assert 3 * cap <= n < 3 * (cap + 1)


# -- one base: everyone who can be graded that year (issue 11, item 6) ----------------------


def test_one_excellent_first_is_judged_against_the_whole_year() -> None:
    """Saving a single 优秀 first: graded alone the cap is 0; of ten who can be graded, 3."""
    with pytest.raises(ValidationError):
        check_grades({1: G.EXCELLENT}, probationary=())
    check_grades({1: G.EXCELLENT}, probationary=(), eligible=range(1, 11))


def test_the_base_counts_each_member_once_and_leaves_out_probationary() -> None:
    eligible = [1, 2, 3, 4, 5, 6, 7]  # 7 is probationary: not in the base
    grades = {1: G.EXCELLENT, 2: G.EXCELLENT, 3: G.EXCELLENT, 8: G.QUALIFIED}  # 8 has left
    with pytest.raises(ValidationError) as exc:
        check_grades(grades, probationary=[7], eligible=eligible)
    assert exc.value.params == {"excellent": 3, "cap": 2, "graded": 7}, exc.value.params
    check_grades(grades, probationary=[7], eligible=[*eligible, 9, 10])  # 9 in all: cap 3


@given(st.integers(0, 40), st.integers(0, 40))
def test_the_cap_does_not_depend_on_the_order_of_saving(n: int, k: int) -> None:
    """Any prefix of a valid full set of grades is accepted against the same base."""
    eligible = list(range(n))
    cap = excellent_cap(n)
    grades = {i: (G.EXCELLENT if i < min(k, cap) else G.QUALIFIED) for i in eligible}
    for upto in range(n + 1):
        check_grades(dict(list(grades.items())[:upto]), (), eligible=eligible)
