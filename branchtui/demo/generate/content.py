"""The record of a sitting: agenda, speeches (言必录), decisions with their votes (the
党员大会's resolutions, admissions of 预备党员) and guests."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from branchtui.core.enums import Act, Obligation
from branchtui.core.ruleset import DEFAULT_RULES
from branchtui.core.votes import Tally, VoteBase, evaluate
from branchtui.demo import words as W
from branchtui.demo.generate.dates import within
from branchtui.demo.generate.plan import Branch, Person, Roll, Sitting
from branchtui.demo.generate.world import World
from branchtui.store.models import AgendaItem, Decision, Guest, Speech

# (id, title, act) of an agenda item written
Item = tuple[int, str, str | None]

# -- agenda -------------------------------------------------------------------------------------


def write_agenda(w: World, mtg: Sitting, rng: random.Random, full: bool) -> list[Item]:
    """Writes the agenda items (the first two only, unless ``full``)."""
    topic = rng.choice(W.STUDY_TOPICS)
    activity = rng.choice(W.ACTIVITIES)
    doc = rng.choice(W.DOCUMENTS)
    items = _agenda_titles(w, mtg, rng)
    if not full:
        items = items[:2]
    agenda = w.sink.table(AgendaItem)
    out: list[Item] = []
    for position, (title, act) in enumerate(items, start=1):
        title = title.format(topic=topic.removeprefix("学习"), activity=activity, doc=doc)
        item_id = agenda.next_id()
        agenda.add(id=item_id, meeting=mtg.id, position=position, title=title, act=act)
        out.append((item_id, title, act))
    return out


def _agenda_titles(w: World, mtg: Sitting, rng: random.Random) -> list[tuple[str, str | None]]:
    """The agenda of a kind of sitting: (title pattern, act to vote on or None)."""
    items: list[tuple[str, str | None]]
    if mtg.kind == "theme":
        items = [(t, None) for t in W.THEME_AGENDA[: rng.randint(2, 4)]]
        if Obligation.GENERAL_MEETING.value in mtg.obligations:
            items += [
                (W.GENERAL_AGENDA[0], None),
                (W.GENERAL_AGENDA[1], Act.GENERAL_DECISION.value),
            ]
    elif mtg.kind == "committee":
        items = [(t, None) for t in rng.sample(W.COMMITTEE_AGENDA, rng.randint(2, 3))]
    elif mtg.kind == "group":
        items = [(t, None) for t in W.GROUP_AGENDA[: rng.randint(2, 3)]]
    elif mtg.kind == "study":
        lecture = "党课：" + mtg.title.split("：", 1)[-1]
        items = [(lecture, None), (rng.choice(W.STUDY_AGENDA[1:]), None)]
    elif mtg.kind == "org_life":
        items = [(t, None) for t in W.ORG_LIFE_AGENDA]
    elif mtg.kind == "general":
        items = [(W.GENERAL_AGENDA[0], None), (W.GENERAL_AGENDA[1], Act.GENERAL_DECISION.value)]
        if rng.random() < 0.5:
            items.insert(0, ("学习传达上级会议精神", None))
    else:  # the special 党员大会 of branch 1
        candidate = w.name(rng.choice(("男", "女")), 1998)
        items = [
            ("学习传达街道党工委会议精神", None),
            (f"讨论接收{candidate}同志为中共预备党员", Act.ADMISSION.value),
            ("通报本季度党费收缴情况", None),
        ]
    return items


# -- the record of a held sitting -------------------------------------------------------------


def write_content(
    w: World, branch: Branch, mtg: Sitting, roll: Roll, rng: random.Random, full: bool
) -> None:
    """Agenda, speeches (言必录), decisions and guests of a past sitting."""
    assert mtg.opened_at is not None and mtg.closed_at is not None
    agenda = write_agenda(w, mtg, rng, full)
    clock = mtg.opened_at + timedelta(minutes=rng.randint(1, 4))
    span = max(10.0, (mtg.closed_at - clock).total_seconds() - 300)
    _speeches(w, mtg, roll, rng, full, agenda, clock, span)
    # Decisions: the 党员大会 part of a sitting.
    if Obligation.GENERAL_MEETING.value in mtg.obligations and full:
        decided = mtg.opened_at + timedelta(seconds=int(span * 0.8))
        _decisions(w, branch, mtg, roll, rng, agenda, decided)
    if full and (mtg.kind == "org_life" or (mtg.kind == "theme" and rng.random() < 0.15)):
        role, why = rng.choice(W.GUEST_ROLES)
        guest = w.name(rng.choice(("男", "女")), 1975)
        affiliation = (
            f"{branch.community_name}社区党委{role.removeprefix('社区党委')}"
            if role.startswith("社区党委")
            else role
        )
        guests = w.sink.table(Guest)
        guests.add(
            id=guests.next_id(),
            meeting=mtg.id,
            name=guest,
            affiliation=affiliation,
            reason=why,
            created_at=mtg.created_at,
        )


def _speeches(
    w: World,
    mtg: Sitting,
    roll: Roll,
    rng: random.Random,
    full: bool,
    agenda: list[Item],
    clock: datetime,
    span: float,
) -> None:
    """The moderator opens, members speak over the agenda, the moderator closes."""
    assert mtg.closed_at is not None
    speeches = w.sink.table(Speech)
    present = [p for p, s, _ in roll if s in ("present", "late")]
    expected = [p for p, s, _ in roll if s != "exempt"]
    n_speeches = (rng.randint(3, 8) if full else rng.randint(1, 3)) if len(present) > 1 else 1
    if mtg.kind == "org_life":
        n_speeches += 3
    gap = span / (n_speeches + 1)
    moderator = w.person(mtg.moderator)
    for k in range(n_speeches):
        if k == 0:
            speaker = moderator
            text = W.SECRETARY_OPENING.format(
                title=mtg.title, expected=len(expected), present=len(present)
            )
        else:
            speaker = rng.choice(present) if present else moderator
            text = rng.choice(W.SPEECH_OPENERS) + rng.choice(W.SPEECH_BODIES)
            text += rng.choice(W.SPEECH_CLOSERS)
        spoken = clock + timedelta(seconds=int(gap * k) + rng.randint(0, 60))
        item = agenda[min(len(agenda) - 1, k * len(agenda) // n_speeches)][0] if agenda else None
        speeches.add(
            id=speeches.next_id(),
            meeting=mtg.id,
            agenda_item=item if k else None,
            speaker=speaker.id,
            speaker_name=speaker.name,
            text=text,
            spoken_at=spoken,
            entered_by=mtg.recorder,
            entered_at=spoken + timedelta(seconds=rng.randint(4, 90)),
        )
    if full:
        closing = mtg.closed_at - timedelta(minutes=rng.randint(1, 4))
        speeches.add(
            id=speeches.next_id(),
            meeting=mtg.id,
            speaker=moderator.id,
            speaker_name=moderator.name,
            text=W.SECRETARY_CLOSING,
            spoken_at=closing,
            entered_by=mtg.recorder,
            entered_at=closing + timedelta(seconds=rng.randint(4, 40)),
        )


def _decisions(
    w: World,
    branch: Branch,
    mtg: Sitting,
    roll: Roll,
    rng: random.Random,
    agenda: list[Item],
    decided: datetime,
) -> None:
    """The 党员大会's resolution, and the admission of each candidate admitted soon after
    (an agenda item, the vote, the candidate as a guest)."""
    voters = sorted(p.id for p, s, v in roll if v and s != "exempt")
    present = sum(1 for _, s, v in roll if v and s in ("present", "late"))
    general_item = next((a for a in agenda if a[2] == Act.GENERAL_DECISION.value), None)
    if general_item is not None:
        # One failing vote is guaranteed (branch 2's first recorded 党员大会).
        fail = rng.random() < 0.06 or (branch.index == 1 and not w.failed_vote)
        w.failed_vote = w.failed_vote or fail
        vote = _Vote(Act.GENERAL_DECISION, voters, present, decided)
        text = f"关于{general_item[1].removeprefix('审议')}的决议"
        _write_decision(w, mtg, general_item[0], text, vote, rng, fail, owner=mtg.convener)
    agenda_items = w.sink.table(AgendaItem)
    guests = w.sink.table(Guest)
    for candidate in _candidates(w, branch, mtg):
        item_id = agenda_items.next_id()
        agenda_items.add(
            id=item_id,
            meeting=mtg.id,
            position=len(agenda) + 1,
            title=f"讨论接收{candidate.name}同志为中共预备党员",
            act=Act.ADMISSION.value,
        )
        decided += timedelta(minutes=6)
        vote = _Vote(Act.ADMISSION, voters, present, decided, candidate)
        text = f"同意接收{candidate.name}同志为中共预备党员"
        _write_decision(w, mtg, item_id, text, vote, rng, False)
        guests.add(
            id=guests.next_id(),
            meeting=mtg.id,
            name=candidate.name,
            affiliation="发展对象",
            reason="列席党员大会，接受支部讨论",
            created_at=mtg.created_at,
        )


def _candidates(w: World, branch: Branch, mtg: Sitting) -> list[Person]:
    """Members admitted in this branch within the 100 days after a 党员大会: its vote."""
    out = []
    first, after = mtg.day + timedelta(days=1), mtg.day + timedelta(days=101)
    for stint in branch.stints:
        person = w.person(stint.member)
        if (
            person.origin == "new"
            and stint.starts == person.admitted
            and within(person.admitted, first, after)
            and stint.member not in w.voted
        ):
            w.voted.add(stint.member)
            out.append(person)
    return out


@dataclass(frozen=True, slots=True)
class _Vote:
    """What a decision is voted on: the act, who may vote, how many of them are present,
    when, and the candidate of an admission."""

    act: Act
    voters: Sequence[int]
    present: int
    decided: datetime
    candidate: Person | None = None


def _tally(vote: _Vote, rng: random.Random, fail: bool) -> Tally:
    """A show of hands that passes (or, with ``fail``, falls short of a majority), and for
    an admission sometimes a written vote from an absent member."""
    expected, present = len(vote.voters), vote.present
    needed = expected // 2 + 1
    if fail and present > 2:
        yes = min(present, max(0, needed - 1 - rng.randint(0, 2)))
    else:
        yes = present - rng.choice((0, 0, 0, 1))
    yes = max(0, yes)
    rest = present - yes
    no = rng.randint(0, rest)
    abstain = rng.randint(0, rest - no)
    written_yes = 0
    if vote.act is Act.ADMISSION and expected - present > 0 and rng.random() < 0.5:
        written_yes = rng.randint(0, min(2, expected - present))
    return Tally(yes, no, abstain, written_yes=written_yes)


def _write_decision(
    w: World,
    mtg: Sitting,
    item_id: int | None,
    text: str,
    vote: _Vote,
    rng: random.Random,
    fail: bool,
    owner: int | None = None,
) -> None:
    """The decision with its tally and verdict under the default rules; an admission that
    did not pass is not written (the candidate was admitted: the vote passed)."""
    tally = _tally(vote, rng, fail)
    expected = len(vote.voters)
    outcome = evaluate(vote.act, VoteBase(expected, vote.present), tally)
    if vote.act is Act.ADMISSION and not outcome.passed:
        return
    candidate = vote.candidate
    decisions = w.sink.table(Decision)
    decisions.add(
        id=decisions.next_id(),
        meeting=mtg.id,
        agenda_item=item_id,
        act=vote.act.value,
        text=text,
        candidate=candidate.id if candidate else None,
        candidate_name=candidate.name if candidate else "",
        yes=tally.yes,
        no=tally.no,
        abstain=tally.abstain,
        written_yes=tally.written_yes,
        written_no=tally.written_no,
        written_abstain=tally.written_abstain,
        voters_expected=expected,
        voters_present=vote.present,
        voters_snapshot=json.dumps(list(vote.voters)),
        quorum_met=outcome.quorum_met,
        passed=outcome.passed,
        reason_key=outcome.reason_key,
        reason_params=json.dumps(outcome.params, ensure_ascii=False, sort_keys=True),
        rule_version=DEFAULT_RULES.version,
        follow_up_owner=owner,
        follow_up_due=(mtg.day + timedelta(days=30)) if owner else None,
        decided_at=vote.decided,
        entered_by=mtg.recorder,
    )
