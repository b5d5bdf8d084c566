"""Quorum, passing and voting rights (DOMAIN.md §4)."""

from __future__ import annotations

import dataclasses
import string
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from branchtui.core.enums import Act
from branchtui.core.errors import ValidationError
from branchtui.core.model import MemberFacts, Period
from branchtui.core.ruleset import DEFAULT_RULES, RuleSet
from branchtui.core.votes import (
    ERROR_KEYS,
    REASON_KEYS,
    Tally,
    VoteBase,
    VoteOutcome,
    evaluate,
    may_vote,
    needed_more_than,
)
from branchtui.i18n import CATALOGUE

ALL_ACTS = list(Act)
NO_WRITTEN_ACTS = [Act.GENERAL_DECISION, Act.COMMITTEE_DECISION, Act.ELECTION]
WRITTEN_ACTS = [Act.ADMISSION, Act.CONFIRMATION]


def vote(
    act: Act,
    expected: int,
    present: int,
    yes: int,
    no: int = 0,
    abstain: int = 0,
    rules: RuleSet = DEFAULT_RULES,
    **written: int,
) -> VoteOutcome:
    return evaluate(act, VoteBase(expected, present), Tally(yes, no, abstain, **written), rules)


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# -- needed_more_than ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "of", "needed"),
    [
        (Fraction(4, 5), 200, 161),
        (Fraction(1, 2), 30, 16),
        (Fraction(1, 2), 31, 16),
        (Fraction(1, 2), 0, 1),
        (Fraction(1, 2), 1, 1),
        (Fraction(1, 2), 2, 2),
        (Fraction(2, 3), 3, 3),
        (Fraction(0), 5, 1),
    ],
)
def test_needed_more_than_examples(share: Fraction, of: int, needed: int) -> None:
    assert needed_more_than(share, of) == needed, f"more than {share} of {of} should be {needed}"


@given(
    st.fractions(min_value=0, max_value=Fraction(99, 100)),
    st.integers(min_value=0, max_value=100_000),
)
def test_needed_more_than_is_the_least_integer_above(share: Fraction, of: int) -> None:
    needed = needed_more_than(share, of)
    assert needed > share * of, f"{needed} is not more than {share} x {of}"
    assert needed - 1 <= share * of, f"{needed - 1} already exceeds {share} x {of}"


# -- worked examples of DOMAIN.md ------------------------------------------------------------


def test_general_decision_counts_yes_against_expected_not_present() -> None:
    out = vote(Act.GENERAL_DECISION, expected=30, present=16, yes=15, no=1)
    assert out.quorum_met, "16 of 30 is more than half: quorum"
    assert not out.passed, (
        "15 yes of 30 expected is not more than half: fails even though 15/16 present"
    )
    assert out.needed_present == 16 and out.needed_yes == 16 and out.base == 30, out
    assert out.reason_key == "rules.vote.failed", out.reason_key
    text = CATALOGUE["zh"][out.reason_key].format(**out.params)
    assert text == "赞成 15 票，未超过应到有表决权党员 30 人的半数（需 16 票），未通过", text


def test_general_decision_passes_with_more_than_half_of_expected() -> None:
    out = vote(Act.GENERAL_DECISION, expected=30, present=16, yes=16)
    assert out.quorum_met and out.passed, out
    assert out.reason_key == "rules.vote.passed", out.reason_key


def test_general_decision_without_quorum() -> None:
    out = vote(Act.GENERAL_DECISION, expected=30, present=15, yes=15)
    assert not out.quorum_met, "15 of 30 is exactly half: no quorum"
    assert not out.passed, "no quorum, nothing passes"
    assert out.reason_key == "rules.vote.no_quorum", out.reason_key


@pytest.mark.parametrize(("present", "quorum"), [(160, False), (161, True)])
def test_election_quorum_is_more_than_four_fifths(present: int, quorum: bool) -> None:
    out = vote(Act.ELECTION, expected=200, present=present, yes=present)
    assert out.quorum_met is quorum, f"{present} of 200 present: quorum should be {quorum}"
    assert out.passed is quorum, "unanimous yes passes exactly when there is a quorum"
    assert out.needed_present == 161, out.needed_present
    if not quorum:
        assert out.reason_key == "rules.vote.election_no_quorum_share", out.reason_key
        text = CATALOGUE["zh"][out.reason_key].format(**out.params)
        assert "160" in text and "4/5" in text and "161" in text, text


def test_election_base_is_a_setting() -> None:
    on_expected = vote(Act.ELECTION, expected=200, present=170, yes=95)
    assert on_expected.quorum_met and not on_expected.passed, "95 of 200 expected fails"
    assert on_expected.base == 200 and on_expected.needed_yes == 101, on_expected
    assert on_expected.reason_key == "rules.vote.election_failed", on_expected.reason_key
    present_rules = DEFAULT_RULES.merged({"election_base": "present"})
    on_present = vote(Act.ELECTION, expected=200, present=170, yes=95, rules=present_rules)
    assert on_present.passed, "95 of 170 present passes when the base is 实到"
    assert on_present.base == 170 and on_present.needed_yes == 86, on_present
    assert on_present.reason_key == "rules.vote.election_passed_present", on_present.reason_key


def test_committee_decision() -> None:
    out = vote(Act.COMMITTEE_DECISION, expected=5, present=3, yes=3)
    assert out.quorum_met and out.passed, "3 of 5 委员: quorum, and 3 yes is a majority of 5"
    assert out.reason_key == "rules.vote.committee_passed", out.reason_key
    fail = vote(Act.COMMITTEE_DECISION, expected=5, present=4, yes=2, no=2)
    assert fail.quorum_met and not fail.passed, "2 yes is not a majority of a committee of 5"
    assert fail.reason_key == "rules.vote.committee_failed", fail.reason_key
    none = vote(Act.COMMITTEE_DECISION, expected=4, present=2, yes=2)
    assert not none.quorum_met and not none.passed, "2 of 4 委员 is not more than half"
    assert none.reason_key == "rules.vote.committee_no_quorum", none.reason_key


@pytest.mark.parametrize("act", WRITTEN_ACTS)
def test_written_opinions_count_for_admission(act: Act) -> None:
    with_written = vote(act, expected=20, present=12, yes=9, no=3, written_yes=2)
    assert with_written.quorum_met, "12 of 20 is a quorum"
    assert with_written.passed, "9 yes + 2 written yes = 11 > 10 passes"
    assert with_written.params["yes_total"] == 11, with_written.params
    assert with_written.reason_key == "rules.vote.written_passed", with_written.reason_key
    text = CATALOGUE["zh"][with_written.reason_key].format(**with_written.params)
    assert "11" in text and "书面意见 2" in text, text
    alone = vote(act, expected=20, present=12, yes=9, no=3)
    assert not alone.passed, "9 yes alone is not more than half of 20"
    assert alone.reason_key == "rules.vote.written_failed", alone.reason_key


def test_written_opinions_ignored_when_rules_say_so() -> None:
    rules = DEFAULT_RULES.merged({"written_opinions_count": False})
    with pytest.raises(ValidationError) as err:
        vote(Act.ADMISSION, 20, 12, 9, rules=rules, written_yes=2)
    assert err.value.key == "rules.vote.written_not_counted", err.value.key
    out = vote(Act.ADMISSION, 20, 12, 9, rules=rules)
    assert not out.passed and out.reason_key == "rules.vote.failed", out


def test_other_shares_use_the_numeric_message() -> None:
    rules = DEFAULT_RULES.merged({"pass_share": "2/3", "general_quorum": "2/3"})
    out = vote(Act.GENERAL_DECISION, expected=30, present=21, yes=21, rules=rules)
    assert out.quorum_met and out.passed, "21 > 2/3 of 30 = 20"
    assert out.reason_key == "rules.vote.passed_share", out.reason_key
    assert out.params["pass_share"] == "2/3", out.params
    text = CATALOGUE["en"][out.reason_key].format(**out.params)
    assert "2/3" in text, text


def test_empty_base_has_no_quorum() -> None:
    out = vote(Act.GENERAL_DECISION, expected=0, present=0, yes=0)
    assert not out.quorum_met and not out.passed, "nobody expected: nothing can pass"


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "tally", "key"),
    [
        (VoteBase(-1, 0), Tally(0, 0, 0), "rules.vote.negative.entitled_expected"),
        (VoteBase(10, -1), Tally(0, 0, 0), "rules.vote.negative.entitled_present"),
        (VoteBase(10, 6), Tally(-1, 0, 0), "rules.vote.negative.yes"),
        (VoteBase(10, 6), Tally(0, -1, 0), "rules.vote.negative.no"),
        (VoteBase(10, 6), Tally(0, 0, -1), "rules.vote.negative.abstain"),
        (VoteBase(10, 6), Tally(0, 0, 0, written_yes=-1), "rules.vote.negative.written_yes"),
        (VoteBase(10, 6), Tally(0, 0, 0, written_no=-1), "rules.vote.negative.written_no"),
        (
            VoteBase(10, 6),
            Tally(0, 0, 0, written_abstain=-1),
            "rules.vote.negative.written_abstain",
        ),
        (VoteBase(10, 11), Tally(0, 0, 0), "rules.vote.present_exceeds_expected"),
        (VoteBase(10, 6), Tally(4, 2, 1), "rules.vote.votes_exceed_present"),
        (
            VoteBase(10, 6),
            Tally(4, 0, 0, written_yes=3, written_no=2),
            "rules.vote.written_exceed_absent",
        ),
    ],
)
def test_impossible_numbers_are_refused(base: VoteBase, tally: Tally, key: str) -> None:
    with pytest.raises(ValidationError) as err:
        evaluate(Act.ADMISSION, base, tally)
    assert err.value.key == key, f"expected {key}, got {err.value.key}"
    assert key in ERROR_KEYS, f"{key} missing from ERROR_KEYS"
    missing = fields_of(CATALOGUE["zh"][key]) - set(err.value.params)
    assert not missing, f"{key}: message fields {missing} not in params {err.value.params}"


@pytest.mark.parametrize("act", NO_WRITTEN_ACTS)
def test_written_opinions_refused_where_they_do_not_count(act: Act) -> None:
    with pytest.raises(ValidationError) as err:
        vote(act, 10, 6, 6, written_no=1)
    assert err.value.key == "rules.vote.written_not_counted", err.value.key


def test_bad_election_base_is_refused() -> None:
    rules = dataclasses.replace(DEFAULT_RULES, election_base="everyone")
    with pytest.raises(ValidationError) as err:
        vote(Act.ELECTION, 10, 9, 9, rules=rules)
    assert err.value.key == "rules.bad_value", err.value.key


# -- properties ------------------------------------------------------------------------------

any_act = st.sampled_from(ALL_ACTS)
shares = st.fractions(min_value=0, max_value=Fraction(9, 10), max_denominator=12)


@st.composite
def cases(
    draw: st.DrawFn, acts: st.SearchStrategy[Act] = any_act
) -> tuple[Act, VoteBase, Tally, RuleSet]:
    act = draw(acts)
    rules = RuleSet(
        general_quorum=draw(shares),
        election_quorum=draw(shares),
        committee_quorum=draw(shares),
        pass_share=draw(shares),
        election_base=draw(st.sampled_from(["expected", "present"])),
        written_opinions_count=draw(st.booleans()),
    )
    expected = draw(st.integers(0, 300))
    present = draw(st.integers(0, expected))
    yes = draw(st.integers(0, present))
    no = draw(st.integers(0, present - yes))
    abstain = draw(st.integers(0, present - yes - no))
    absent = expected - present
    written = [0, 0, 0]
    if act in WRITTEN_ACTS and rules.written_opinions_count:
        written[0] = draw(st.integers(0, absent))
        written[1] = draw(st.integers(0, absent - written[0]))
        written[2] = draw(st.integers(0, absent - written[0] - written[1]))
    return act, VoteBase(expected, present), Tally(yes, no, abstain, *written), rules


@given(cases())
def test_outcome_is_consistent(case: tuple[Act, VoteBase, Tally, RuleSet]) -> None:
    act, base, tally, rules = case
    out = evaluate(act, base, tally, rules)
    assert not out.passed or out.quorum_met, f"passed without quorum: {out}"
    assert out.reason_key in REASON_KEYS, f"unlisted reason key {out.reason_key}"
    for lang in ("zh", "en"):
        template = CATALOGUE[lang][out.reason_key]
        missing = fields_of(template) - set(out.params)
        assert not missing, f"{lang} {out.reason_key} needs {missing} not in params"
    assert ("passed" in out.reason_key) == out.passed, f"{out.reason_key} vs passed={out.passed}"


@given(cases())
def test_quorum_is_exactly_more_than_the_share(case: tuple[Act, VoteBase, Tally, RuleSet]) -> None:
    act, base, tally, rules = case
    share = {
        Act.COMMITTEE_DECISION: rules.committee_quorum,
        Act.ELECTION: rules.election_quorum,
    }.get(act, rules.general_quorum)
    out = evaluate(act, base, tally, rules)
    exceeds = base.entitled_present > share * base.entitled_expected
    assert out.quorum_met == exceeds, (
        f"{act}: {base.entitled_present} present of {base.entitled_expected}, share {share}: "
        f"quorum_met={out.quorum_met}"
    )


@given(cases())
def test_pass_is_exactly_more_than_the_share_of_the_base(
    case: tuple[Act, VoteBase, Tally, RuleSet],
) -> None:
    act, base, tally, rules = case
    out = evaluate(act, base, tally, rules)
    on_present = act is Act.ELECTION and rules.election_base == "present"
    vote_base = base.entitled_present if on_present else base.entitled_expected
    yes = tally.yes + tally.written_yes
    assert out.base == vote_base, f"{act} base {out.base}, wanted {vote_base}"
    assert out.passed == (out.quorum_met and yes > rules.pass_share * vote_base), (
        f"{act}: {yes} yes of base {vote_base} at {rules.pass_share}: passed={out.passed}"
    )


@given(cases())
def test_passing_is_monotone_in_yes_votes(case: tuple[Act, VoteBase, Tally, RuleSet]) -> None:
    act, base, tally, rules = case
    assume(tally.in_room < base.entitled_present)  # room for one more yes
    before = evaluate(act, base, tally, rules)
    after = evaluate(act, base, dataclasses.replace(tally, yes=tally.yes + 1), rules)
    assert not before.passed or after.passed, f"one more yes turned a pass into a fail: {tally}"
    if tally.no:
        switched = dataclasses.replace(tally, yes=tally.yes + 1, no=tally.no - 1)
        assert not before.passed or evaluate(act, base, switched, rules).passed, (
            "switching a no to a yes turned a pass into a fail"
        )


@given(cases(st.just(Act.GENERAL_DECISION)))
def test_general_pass_ignores_how_many_are_present_beyond_quorum(
    case: tuple[Act, VoteBase, Tally, RuleSet],
) -> None:
    act, base, tally, rules = case
    assume(base.entitled_present < base.entitled_expected)
    before = evaluate(act, base, tally, rules)
    more = VoteBase(base.entitled_expected, base.entitled_present + 1)
    after = evaluate(act, more, tally, rules)
    if before.quorum_met:
        assert after.passed == before.passed, (
            "one more present (not voting yes) changed the verdict"
        )


# -- who may vote ----------------------------------------------------------------------------

DAY = date(2026, 5, 1)


def test_full_member_may_vote() -> None:
    member = MemberFacts(1, "张三", admitted=date(2020, 1, 1), full_since=date(2021, 1, 1))
    assert may_vote(member, DAY), "a full member with no discipline votes"


def test_probationary_member_may_not_vote() -> None:
    member = MemberFacts(2, "李四", admitted=date(2026, 1, 1), full_since=None)
    assert not may_vote(member, DAY), "预备党员 have no vote"
    confirmed = MemberFacts(2, "李四", admitted=date(2025, 1, 1), full_since=date(2026, 6, 1))
    assert not may_vote(confirmed, DAY), "not yet 正式 on the day of the vote"
    assert may_vote(confirmed, date(2026, 6, 1)), "正式 from full_since on"


def test_member_under_probation_discipline_may_not_vote() -> None:
    member = MemberFacts(
        3,
        "王五",
        admitted=date(2010, 1, 1),
        full_since=date(2011, 1, 1),
        disciplines=(Period(date(2026, 1, 1), date(2027, 1, 1), "留党察看一年"),),
    )
    assert not may_vote(member, DAY), "留党察看 members attend but have no vote"
    assert may_vote(member, date(2027, 1, 1)), "the vote returns when the period ends"
    assert may_vote(member, date(2025, 12, 31)), "and was there before it began"


# -- catalogue -------------------------------------------------------------------------------


def test_every_vote_key_is_in_both_languages() -> None:
    for key in (*REASON_KEYS, *ERROR_KEYS, "rules.bad_json", "rules.unknown_field"):
        for lang in ("zh", "en"):
            assert key in CATALOGUE[lang], f"{key} missing from the {lang} catalogue"
        assert fields_of(CATALOGUE["zh"][key]) == fields_of(CATALOGUE["en"][key]), (
            f"{key}: zh and en use different fields"
        )
