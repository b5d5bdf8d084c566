"""Quorum lights of a meeting in progress (DOMAIN.md §4)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from branchtui.core.enums import Act, AttendanceStatus
from branchtui.core.quorum import quorum_lights
from branchtui.core.ruleset import RuleSet
from branchtui.core.votes import Tally, VoteBase, evaluate

P, L, A, E = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT,
              AttendanceStatus.EXEMPT)


def rows(present: int, absent: int, *, probationary_present: int = 0, exempt: int = 0):
    out = [(i, True, P if i % 2 else L) for i in range(present)]
    out += [(100 + i, True, A) for i in range(absent)]
    out += [(200 + i, False, P) for i in range(probationary_present)]
    out += [(300 + i, True, E) for i in range(exempt)]
    return out


def test_election_needs_more_than_four_fifths_160_is_not_enough():
    (light,) = quorum_lights([Act.ELECTION], rows(160, 40))
    assert (light.expected, light.present, light.needed) == (200, 160, 161)
    assert not light.met and light.missing == 1
    (light,) = quorum_lights([Act.ELECTION], rows(161, 39))
    assert light.met and light.missing == 0


def test_general_decision_counts_voters_only_and_not_the_exempt():
    lights = quorum_lights([Act.GENERAL_DECISION, Act.ADMISSION, Act.GENERAL_DECISION],
                           rows(15, 15, probationary_present=3, exempt=4))
    assert [x.act for x in lights] == [Act.GENERAL_DECISION, Act.ADMISSION]
    general = lights[0]
    assert (general.expected, general.present, general.needed) == (30, 15, 16)
    assert not general.met


def test_committee_base_is_the_committee():
    sheet = rows(3, 5)
    (light,) = quorum_lights([Act.COMMITTEE_DECISION], sheet, committee=[0, 1, 100, 101, 102])
    assert (light.expected, light.present, light.needed) == (5, 2, 3)


def test_local_rule_changes_the_threshold():
    rules = RuleSet(general_quorum=Fraction(2, 3))
    (light,) = quorum_lights([Act.GENERAL_DECISION], rows(20, 10), rules=rules)
    assert light.needed == 21 and not light.met


@given(st.integers(0, 300), st.integers(0, 300),
       st.sampled_from([Act.GENERAL_DECISION, Act.ELECTION, Act.CONFIRMATION]))
def test_light_agrees_with_the_vote_rules(present, absent, act):
    (light,) = quorum_lights([act], rows(present, absent))
    outcome = evaluate(act, VoteBase(present + absent, present), Tally(0, 0, 0))
    assert light.met == outcome.quorum_met
