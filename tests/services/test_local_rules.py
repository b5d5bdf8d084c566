"""Local rules per organisation (issue 12), on both backends: a rule a committee sets for a
branch, or for an organisation above (inherited by its branches), changes that
organisation's compliance, quorum and votes, and lapse line, and no other's; each is
applied as in force on the day it is about, so a rule set today leaves last year alone.

The tree: the world's 党委 (top) holds the world's branch and the other branch, and a
党总支 (``upper``) with a third branch under it."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    ComplianceState,
    Grade,
    Obligation,
    OrgKind,
    PeriodKind,
)
from branchtui.core.errors import Conflict, PermissionDenied, ValidationError
from branchtui.core.periods import parse_period
from branchtui.core.ruleset import DEFAULT_RULES
from branchtui.i18n import t as translate
from branchtui.services import Actor, MemberDraft, Services, VoteDraft
from branchtui.store import models as m
from tests.conftest import HOSTILE
from tests.factories import GAPS_REASON, JOINED, World, build_world, draft

# Date cases: each runs in the machine's zone and under TZ=UTC (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("process_tz")

S = AttendanceStatus
MONTHLY_LECTURES = json.dumps({"frequencies": {"party_lecture": "month"}})
Q4 = parse_period("2026-Q4")


@dataclasses.dataclass
class Tree:
    w: World
    upper: int  # a 党总支 under the top
    third: int  # a branch under it
    third_member: Actor


def build_tree(svc: Services) -> Tree:
    w = build_world(svc)
    roster = svc.roster
    upper = roster.create_org(w.admin, w.top_id, OrgKind.GENERAL_BRANCH, "第一党总支" + HOSTILE).id
    third = roster.create_org(w.admin, upper, OrgKind.BRANCH, "第三党支部").id
    actors = []
    for name, login in (("郑书记", "zhengshuji"), ("王党员", "wangdy"), ("冯党员", "fengdy")):
        mem = roster.add_member(w.admin, third, MemberDraft(
            name=name, login=login, admitted=date(2015, 3, 1), full_since=date(2016, 3, 1)),
            starts=JOINED)
        actors.append(roster.actor_for_member(mem.id))
    return Tree(w, upper, third, actors[1])


def set_rules(svc: Services, org_id: int, overrides: str | dict | None,
              starts: date | None = None) -> None:
    text = json.dumps(overrides) if isinstance(overrides, dict) else overrides
    version = m.Org.get_by_id(org_id).version
    svc.roster.set_rules(svc.roster.actor_for_login("admin"), org_id, text, version,
                         starts=starts)


def lecture_periods(svc: Services, admin: Actor, top: int, window=Q4
                    ) -> dict[int, list[tuple[PeriodKind, date]]]:
    """Per branch under ``top``: the periods a 党课 is owed in within ``window``."""
    return {b.branch_id: [(r.period.kind, r.period.starts) for r in b.rows
                          if r.obligation is Obligation.PARTY_LECTURE]
            for b in svc.queries.compliance(admin, top, window)}


QUARTERLY = [(PeriodKind.QUARTER, date(2026, 10, 1))]
MONTHLY = [(PeriodKind.MONTH, date(2026, mo, 1)) for mo in (10, 11, 12)]


# -- compliance ---------------------------------------------------------------------------


def test_a_branch_rule_changes_its_compliance_and_no_other(svc):
    t = build_tree(svc)
    w = t.w
    before = lecture_periods(svc, w.admin, w.top_id)
    assert before == {w.branch_id: QUARTERLY, w.other_branch_id: QUARTERLY,
                      t.third: QUARTERLY}
    set_rules(svc, w.branch_id, MONTHLY_LECTURES, starts=date(2026, 1, 1))
    assert lecture_periods(svc, w.admin, w.top_id) == {
        w.branch_id: MONTHLY, w.other_branch_id: QUARTERLY, t.third: QUARTERLY}
    # October's lecture fell due and was not held; the other branch's quarter is open.
    rows = {b.branch_id: b for b in svc.queries.compliance(w.admin, w.top_id, Q4)}
    states = {b: [r.state for r in rows[b].rows if r.obligation is Obligation.PARTY_LECTURE]
              for b in (w.branch_id, w.other_branch_id)}
    assert states == {w.branch_id: [ComplianceState.OVERDUE, ComplianceState.OPEN,
                                    ComplianceState.OPEN],
                      w.other_branch_id: [ComplianceState.OPEN]}
    assert svc.roster.rules_for(w.branch_id).frequencies[Obligation.PARTY_LECTURE] == \
        PeriodKind.MONTH
    assert svc.roster.rules_for(w.other_branch_id) is svc.ctx.rules


def test_an_upper_rule_is_inherited_by_its_branches_and_no_other(svc):
    t = build_tree(svc)
    w = t.w
    set_rules(svc, t.upper, MONTHLY_LECTURES, starts=date(2026, 1, 1))
    assert lecture_periods(svc, w.admin, w.top_id) == {
        w.branch_id: QUARTERLY, w.other_branch_id: QUARTERLY, t.third: MONTHLY}
    assert lecture_periods(svc, w.admin, t.upper) == {t.third: MONTHLY}
    # The branch's own rule wins over the one it inherits.
    set_rules(svc, t.third, {"frequencies": {"party_lecture": "quarter"}},
              starts=date(2026, 1, 1))
    assert lecture_periods(svc, w.admin, t.upper) == {t.third: QUARTERLY}
    history = svc.roster.rule_history(w.admin, t.third)
    assert [c.org_id for c in history.changes] == [t.upper, t.third]
    assert history.changes[0].org_name == "第一党总支" + HOSTILE
    assert len(history.in_force) == 2


def test_a_rule_set_today_leaves_last_year_alone(svc, clock):
    """Monthly 党课 from today (27 November 2026): last year, and the months that fell due
    before today, keep the quarterly rule; November and December are owed each."""
    w = build_world(svc)
    last_year = {code: svc.queries.compliance(w.admin, w.top_id, parse_period(code))
                 for code in ("2025", "2025-Q4", "2026-Q3")}
    set_rules(svc, w.branch_id, MONTHLY_LECTURES)  # from today, in the branch's zone
    for code, rows in last_year.items():
        assert svc.queries.compliance(w.admin, w.top_id, parse_period(code)) == rows, code
    periods = lecture_periods(svc, w.admin, w.top_id)
    assert periods[w.branch_id] == MONTHLY[1:]
    assert periods[w.other_branch_id] == QUARTERLY
    (change,) = svc.roster.rule_history(w.secretary, w.branch_id).changes
    assert (change.starts, change.set_by) == (date(2026, 11, 27), "管理员")
    # The change log keeps it, with the day it is in force from.
    entry = m.ChangeLog.select().where(m.ChangeLog.action == "org.rules").get()
    data = json.loads(entry.data)["data"]
    assert data["starts"] == "2026-11-27" and data["before"] is None
    assert json.loads(data["rules"]) == json.loads(MONTHLY_LECTURES)


# -- quorum and votes -----------------------------------------------------------------------


def open_meeting(w: World, clock, start: datetime, branch: int | None = None,
                 actor: Actor | None = None) -> int:
    """A 党员大会 opened on its day, with the clock left at its start."""
    d = draft(w, start, Obligation.GENERAL_MEETING)
    if branch is not None:
        d = dataclasses.replace(d, branch_id=branch, convener_id=None, moderator_id=None,
                                recorder_id=None)
    actor = actor or w.secretary
    clock.current = start - timedelta(days=7)
    mtg = w.svc.meetings.schedule(actor, d)
    clock.current = start
    w.svc.meetings.open(actor, mtg.id)
    return mtg.id


def vote(w: World, meeting_id: int, present: int, yes: int, actor: Actor | None = None):
    """Mark ``present`` voters present (the rest absent) and record a decision."""
    svc, actor = w.svc, actor or w.secretary
    voters = [a.member_id for a in svc.meetings.record(actor, meeting_id).attendance
              if a.can_vote]
    for i, mid in enumerate(voters):
        svc.meetings.mark(actor, meeting_id, mid, S.PRESENT if i < present else S.ABSENT,
                          reason="" if i < present else "未请假")
    return len(voters), svc.minutes.record_decision(actor, meeting_id, VoteDraft(
        Act.GENERAL_DECISION, "同意" + HOSTILE, yes, present - yes, 0))


def test_quorum_and_pass_follow_the_meeting_s_branch_and_date(svc, clock):
    """Two thirds for quorum and passing in the world's branch from 1 November: a meeting
    of 12 voters with 7 present meets the default quorum (more than 6) but not two thirds
    (more than 8). The other branch's rule changes nothing here; a meeting before 1
    November is judged by the defaults."""
    w = build_world(svc)
    set_rules(svc, w.other_branch_id, {"general_quorum": "3/4"}, starts=date(2026, 1, 1))
    early = open_meeting(w, clock, datetime(2026, 10, 16, 14))
    now = open_meeting(w, clock, datetime(2026, 11, 27, 14))
    clock.current = datetime(2026, 11, 27, 15)
    expected, d = vote(w, now, 7, 7)
    assert expected == 12 and d.quorum_met and d.passed
    assert d.rule_version == DEFAULT_RULES.version
    set_rules(svc, w.branch_id, {"general_quorum": "2/3", "pass_share": "2/3"},
              starts=date(2026, 11, 1))
    row_id = svc.roster.rule_history(w.admin, w.branch_id).changes[-1].row_id
    _n, d = vote(w, now, 7, 7)
    assert not d.quorum_met and not d.passed
    assert d.rule_version == f"{DEFAULT_RULES.version}+r{row_id}"
    _n, d = vote(w, now, 9, 8)  # quorum (9 > 8) and 8 of 12 yes: not more than two thirds
    assert d.quorum_met and not d.passed
    record = svc.meetings.record(w.recorder, now)
    assert record.rules.general_quorum == Fraction(2, 3)
    sheet = svc.meetings.attendance_sheet(w.recorder, now)
    assert sheet.record.rules.pass_share == Fraction(2, 3)
    # Held on 16 October, before the rule: the defaults judge it, whenever recorded.
    _n, d = vote(w, early, 7, 7)
    assert d.quorum_met and d.passed and d.rule_version == DEFAULT_RULES.version
    assert svc.meetings.record(w.recorder, early).rules is svc.ctx.rules


def test_an_upper_quorum_rule_reaches_its_branch_s_meetings_only(svc, clock):
    t = build_tree(svc)
    w = t.w
    set_rules(svc, t.upper, {"general_quorum": "4/5"}, starts=date(2026, 1, 1))
    theirs = open_meeting(w, clock, datetime(2026, 11, 27, 14), t.third, w.admin)
    mine = open_meeting(w, clock, datetime(2026, 11, 27, 16), None, w.secretary)
    expected, d = vote(w, theirs, 3, 3, w.admin)  # 3 of 3 + 0: more than 4/5 of 3
    assert expected == 3 and d.quorum_met
    _n, d = vote(w, theirs, 2, 2, w.admin)  # 2 of 3 is not more than 4/5
    assert not d.quorum_met
    _n, d = vote(w, mine, 7, 7)
    assert d.quorum_met and d.passed
    assert svc.meetings.record(w.admin, theirs).rules.general_quorum == Fraction(4, 5)
    assert svc.meetings.record(w.admin, mine).rules is svc.ctx.rules


# -- the lapse line -------------------------------------------------------------------------


def held_in(svc: Services, clock, actor: Actor, branch: int, start: datetime,
            marks: dict[int, AttendanceStatus]) -> None:
    """A 主题党日 of ``branch`` held on ``start`` with ``marks``, by ``actor``."""
    saved = clock.current
    d = dataclasses.replace(draft_for(start), branch_id=branch)
    clock.current = start - timedelta(days=2)
    mtg = svc.meetings.schedule(actor, d)
    clock.current = start
    svc.meetings.open(actor, mtg.id)
    for mid, st in marks.items():
        svc.meetings.mark(actor, mtg.id, mid, st, reason="未请假" if st is S.ABSENT else "")
    svc.meetings.close(actor, mtg.id, gaps_reason=GAPS_REASON)
    clock.current = saved


def draft_for(start: datetime):
    from branchtui.services import MeetingDraft

    return MeetingDraft(branch_id=0, title="主题党日[/]", obligations=(Obligation.THEME_DAY,),
                        planned_start=start, planned_end=start + timedelta(hours=2),
                        place="活动室")


def test_the_lapse_line_moves_for_the_organisation_s_members_only(svc, clock):
    """Present on 5 June, absent on 3 July: on 27 November five months without
    组织生活, near the default six-month line. Four months in the 党总支 makes its branch's
    member lapsed; a four-month line for the world's branch from 1 December makes its
    member lapsed from then on, and the other branch's never."""
    t = build_tree(svc)
    w = t.w
    ours, theirs, below = w.member.member_id, w.viewer.member_id, t.third_member.member_id
    for who, branch in ((ours, w.branch_id), (theirs, w.other_branch_id), (below, t.third)):
        held_in(svc, clock, w.admin, branch, datetime(2026, 6, 5, 14), {who: S.PRESENT})
        held_in(svc, clock, w.admin, branch, datetime(2026, 7, 3, 14), {who: S.ABSENT})

    def lapse(member: int):
        return svc.queries.member_lapse(w.admin, member)

    for who in (ours, theirs, below):
        assert lapse(who).near_lapse and not lapse(who).lapsed and lapse(who).months_since == 5
    set_rules(svc, t.upper, {"lapse_months": 4}, starts=date(2026, 1, 1))
    assert lapse(below).lapsed and lapse(below).lapse_months == 4
    assert not lapse(ours).lapsed and not lapse(theirs).lapsed
    warned = {mid: st for mid, _n, st in svc.queries.warnings(w.admin, t.third)}
    assert warned[below].lapsed
    assert svc.queries.member_dossier(w.admin, below).lapse.lapsed

    set_rules(svc, w.branch_id, {"lapse_months": 4}, starts=date(2026, 12, 1))
    assert not lapse(ours).lapsed and lapse(ours).lapse_months == 6  # not yet in force
    clock.current = datetime(2026, 12, 2, 9)  # still five months since 5 June
    assert lapse(ours).lapsed and lapse(ours).months_since == 5
    assert not lapse(theirs).lapsed and lapse(theirs).near_lapse
    warned = {mid: st for mid, _n, st in svc.queries.warnings(w.secretary, w.branch_id)}
    assert warned[ours].lapsed
    assert svc.queries.member_dossier(w.secretary, ours).lapse.lapsed
    assert svc.home.load(w.member).mine.lapse.lapsed
    entry = {e.member_id: e for e in svc.queries.roster_overview(
        w.secretary, w.branch_id).entries}[ours]
    assert entry.lapsed and entry.lapse_months == 4
    assert translate("ui.warn_lapsed", months=entry.lapse_months) == "已满 4 个月"


# -- the appraisal cap ----------------------------------------------------------------------


def test_the_appraisal_cap_is_the_branch_s_rule_of_that_year(svc):
    w = build_world(svc)
    set_rules(svc, w.branch_id, {"excellent_cap": "1/2"}, starts=date(2026, 1, 1))
    assert svc.minutes.appraisal_roster(w.secretary, w.branch_id, 2026).rules.excellent_cap \
        == Fraction(1, 2)
    assert svc.minutes.appraisal_roster(w.secretary, w.branch_id, 2025).rules.excellent_cap \
        == Fraction(1, 3)
    assert svc.minutes.appraisal_roster(w.admin, w.other_branch_id, 2026).rules is \
        svc.ctx.rules
    # Six 优秀 among the eleven full members of 2025 and 2026 (and the administrator,
    # a member since 2026): more than a third, not more than a half.
    full = [e.member_id for e in svc.minutes.appraisal_roster(
        w.secretary, w.branch_id, 2025).entries if not e.probationary]
    grades = {mid: Grade.EXCELLENT if i < 6 else Grade.QUALIFIED for i, mid in enumerate(full)}
    svc.minutes.set_grades(w.secretary, w.branch_id, 2026, grades)
    with pytest.raises(ValidationError) as err:
        svc.minutes.set_grades(w.secretary, w.branch_id, 2025, grades)
    assert err.value.key == "appraisal.excellent_over_cap"


# -- writing rules ----------------------------------------------------------------------------


def test_setting_rules_is_checked_kept_and_audited(svc):
    w = build_world(svc)
    org = m.Org.get_by_id(w.branch_id)
    with pytest.raises(PermissionDenied):
        svc.roster.set_rules(w.secretary, w.branch_id, MONTHLY_LECTURES, org.version)
    with pytest.raises(ValidationError) as err:
        svc.roster.set_rules(w.admin, w.branch_id, '{"lapse_month": 4}', org.version)
    assert err.value.key == "rules.unknown_field"
    with pytest.raises(ValidationError) as err:
        svc.roster.set_rules(w.admin, w.branch_id, "[1]", org.version)
    assert err.value.key == "rules.bad_json"
    with pytest.raises(ValidationError) as err:
        svc.roster.set_rules(w.admin, w.group_ids[0], MONTHLY_LECTURES,
                             m.Org.get_by_id(w.group_ids[0]).version)
    assert err.value.key == "org.rules_group"
    with pytest.raises(ValidationError) as err:
        svc.roster.set_rules(w.admin, w.branch_id, None, org.version, starts=date(1900, 1, 1))
    assert err.value.key == "rules.bad_start"
    svc.roster.set_rules(w.admin, w.branch_id, '{ "lapse_months" : 5 }', org.version,
                         starts=date(2026, 1, 1))
    with pytest.raises(Conflict):  # someone else changed them since
        svc.roster.set_rules(w.admin, w.branch_id, None, org.version)
    svc.roster.set_rules(w.admin, w.branch_id, None, org.version + 1, starts=date(2026, 6, 1))
    history = svc.roster.rule_history(w.viewer, w.branch_id)
    assert [(c.starts, c.overrides) for c in history.changes] == [
        (date(2026, 1, 1), '{"lapse_months":5}'), (date(2026, 6, 1), "")]
    assert history.in_force == () and history.rules is svc.ctx.rules
    assert svc.roster.rules_for(w.branch_id, date(2026, 3, 1)).lapse_months == 5
    with pytest.raises(PermissionDenied):
        svc.roster.rule_history(w.member, w.branch_id)
    assert m.ChangeLog.select().where(m.ChangeLog.action == "org.rules").count() == 2


def test_rules_are_read_once_per_unit_of_work(svc, caplog):
    """The compliance roll-up and the home screen (a dozen service calls in one unit of
    work) read the rule rows once, whatever the number of branches and periods."""
    t = build_tree(svc)
    w = t.w
    set_rules(svc, t.upper, MONTHLY_LECTURES, starts=date(2026, 1, 1))
    set_rules(svc, w.branch_id, {"lapse_months": 4}, starts=date(2025, 1, 1))
    year = parse_period("2026")

    def reads(call) -> int:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            call()
        return sum(1 for r in caplog.records if "org_rules" in str(r.msg))

    assert reads(lambda: svc.queries.compliance(w.admin, w.top_id, year)) == 1
    assert reads(lambda: svc.home.load(w.viewer)) == 1
    assert reads(lambda: svc.home.load(w.secretary)) == 1
