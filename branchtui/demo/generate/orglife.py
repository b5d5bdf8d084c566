"""组织生活会 and 民主评议党员: the grades of each round; for the detailed rounds, criticism
and self-criticism, the problem list, the rectification list (整改) with its progress, and
the review of the previous round's items (回头看) at the next."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from branchtui.core.appraisal import excellent_cap
from branchtui.core.enums import Grade, RectStatus
from branchtui.demo import words as W
from branchtui.demo.generate.plan import Branch, Person, Roll, Sitting
from branchtui.demo.generate.world import World
from branchtui.store.models import AppraisalGrade, Criticism, Problem, Rectification, RectProgress

# (problem id, text, member or None for the branch's own, owner)
_Problem = tuple[int, str, int | None, int]
_NOTES = {RectStatus.OPEN: 0, RectStatus.IN_PROGRESS: 1, RectStatus.DONE: 2, RectStatus.VERIFIED: 2}


def write_grades(
    w: World, branch: Branch, mtg: Sitting, roll: Roll, rng: random.Random
) -> None:
    """民主评议: full members on the roll (not exempt) get a grade; 优秀 at most 1/3."""
    assert mtg.report_year is not None and mtg.closed_at is not None
    graded = [p for p, s, _ in roll if s != "exempt" and p.is_full_on(mtg.day)]
    cap = excellent_cap(len(graded))
    n_excellent = rng.randint(cap // 2, cap) if cap else 0
    order = sorted(graded, key=lambda p: (p.t_absent, p.id))
    excellent = {p.id for p in order[: n_excellent * 2]}
    chosen = set(rng.sample(sorted(excellent), min(n_excellent, len(excellent))))
    at = mtg.closed_at + timedelta(hours=rng.randint(2, 48))
    grades = w.sink.table(AppraisalGrade)
    for person in graded:
        if person.id in chosen:
            grade = Grade.EXCELLENT
        elif person.t_absent > 0.15 and rng.random() < 0.5:
            grade = Grade.BASIC if rng.random() < 0.8 else Grade.UNQUALIFIED
        else:
            grade = Grade.QUALIFIED if rng.random() < 0.97 else Grade.BASIC
        grades.add(
            id=grades.next_id(),
            branch=branch.org_id,
            year=mtg.report_year,
            member=person.id,
            grade=grade.value,
            meeting=mtg.id,
            entered_by=mtg.recorder,
            entered_at=at,
        )


def write_org_life(
    w: World,
    branch: Branch,
    mtg: Sitting,
    roll: Roll,
    rng: random.Random,
    next_round: Sitting | None,
    latest: bool,
) -> None:
    """Criticism and self-criticism, the problem list, the rectification list, progress.

    ``next_round``: the following 组织生活会 (it reviews these items); ``latest``: the
    most recent round held, whose items are still being worked on."""
    present = [p for p, s, _ in roll if s in ("present", "late")]
    _criticism(w, branch, mtg, present, rng)
    for k, problem in enumerate(_problems(w, branch, mtg, present, rng, latest)):
        _rectification(w, branch, mtg, k, problem, rng, next_round, latest)


def _criticism(
    w: World, branch: Branch, mtg: Sitting, present: list[Person], rng: random.Random
) -> None:
    """The 书记 first, then every member in turn: self-criticism, and sometimes another
    member's criticism of them."""
    assert mtg.opened_at is not None
    criticisms = w.sink.table(Criticism)
    clock = mtg.opened_at + timedelta(minutes=20)
    ordered = sorted(present, key=lambda p: (p.id != branch.secretary, p.id))
    for person in ordered:
        clock += timedelta(seconds=rng.randint(60, 240))
        criticisms.add(
            id=criticisms.next_id(),
            meeting=mtg.id,
            from_member=person.id,
            to_member=person.id,
            text=rng.choice(W.SELF_CRITICISMS),
            created_at=clock,
            entered_by=mtg.recorder,
        )
        if len(present) > 1 and rng.random() < 0.5:
            other = rng.choice(present)
            if other is not person:
                clock += timedelta(seconds=rng.randint(30, 120))
                criticisms.add(
                    id=criticisms.next_id(),
                    meeting=mtg.id,
                    from_member=other.id,
                    to_member=person.id,
                    text=rng.choice(W.CRITICISMS).format(name=person.name),
                    created_at=clock,
                    entered_by=mtg.recorder,
                )


def _problems(
    w: World,
    branch: Branch,
    mtg: Sitting,
    present: list[Person],
    rng: random.Random,
    latest: bool,
) -> list[_Problem]:
    """Problems of the branch (owner: the 书记 or a 委员) and of some members (their own;
    the persona 党员 has two in the latest round)."""
    assert mtg.closed_at is not None
    problems = w.sink.table(Problem)
    out: list[_Problem] = []
    created = mtg.closed_at - timedelta(minutes=15)
    secretary = branch.secretary
    owners = branch.committee or [secretary]
    for text in rng.sample(W.PROBLEMS_BRANCH, 3):
        pid = problems.next_id()
        problems.add(id=pid, meeting=mtg.id, text=text, created_at=created, created_by=secretary)
        out.append((pid, text, None, rng.choice(owners)))
    dangyuan = w.personas["dangyuan"].id
    for person in present:
        forced = person.id == dangyuan and latest
        if forced or rng.random() < 0.3:
            for text in rng.sample(W.PROBLEMS_MEMBER, 2 if forced else 1):
                pid = problems.next_id()
                problems.add(
                    id=pid,
                    meeting=mtg.id,
                    member=person.id,
                    text=text,
                    created_at=created,
                    created_by=secretary,
                )
                out.append((pid, text, person.id, person.id))
    return out


@dataclass(slots=True)
class _State:
    """Where a rectification item stands."""

    status: RectStatus
    deadline: date
    notes: int = 0  # progress notes written
    verified_by: int | None = None
    verified_at: datetime | None = None
    review_meeting: int | None = None
    review_note: str = ""


def _rectification(
    w: World,
    branch: Branch,
    mtg: Sitting,
    k: int,
    problem: _Problem,
    rng: random.Random,
    next_round: Sitting | None,
    latest: bool,
) -> None:
    """The item of problem ``k``, its state, and its progress notes."""
    assert mtg.closed_at is not None
    pid, text, member, owner = problem
    deadline = mtg.day + timedelta(days=rng.choice((60, 90, 120, 180, 240)))
    measure = rng.choice(W.MEASURES)
    if not latest and next_round is not None:
        state = _reviewed(w, branch, mtg, deadline, next_round, rng)
    else:
        state = _in_progress(w, branch, mtg, k, member, deadline, rng)
    items = w.sink.table(Rectification)
    rid = items.next_id()
    items.add(
        id=rid,
        branch=branch.org_id,
        meeting=mtg.id,
        problem=pid,
        problem_text=text,
        measure=measure,
        owner=owner,
        deadline=state.deadline,
        status=state.status.value,
        verified_by=state.verified_by,
        verified_at=state.verified_at,
        review_meeting=state.review_meeting,
        review_note=state.review_note,
        created_at=mtg.closed_at - timedelta(minutes=15),
    )
    _progress(w, mtg, rid, owner or branch.secretary, state, rng)


def _reviewed(
    w: World,
    branch: Branch,
    mtg: Sitting,
    deadline: date,
    next_round: Sitting,
    rng: random.Random,
) -> _State:
    """An item of an earlier round: verified before the next round (回头看), a few carried
    over to it."""
    if rng.random() < 0.06:
        state = _State(RectStatus.IN_PROGRESS, deadline, notes=1, review_note=W.REVIEW_CARRIED)
    else:
        assert next_round.opened_at is not None
        hi = min(deadline, next_round.day - timedelta(days=3))
        verified_at = datetime.combine(
            w.random_day(mtg.day + timedelta(days=20), hi), time(16, rng.randint(0, 59))
        )
        state = _State(
            RectStatus.VERIFIED,
            deadline,
            verified_by=branch.secretary,
            verified_at=verified_at,
            review_note=W.REVIEW_DONE,
            notes=rng.randint(1, 2),
        )
    state.review_meeting = next_round.id if next_round.past else None
    if state.review_meeting is None:
        state.review_note = ""
    return state


def _in_progress(
    w: World,
    branch: Branch,
    mtg: Sitting,
    k: int,
    member: int | None,
    deadline: date,
    rng: random.Random,
) -> _State:
    """An item of the latest round: the persona 党员's open (one overdue), the branch's
    first overdue, the others anywhere from open to verified."""
    if member == w.personas["dangyuan"].id:
        status = RectStatus.OPEN if k % 2 == 0 else RectStatus.IN_PROGRESS
        if status is RectStatus.OPEN and mtg.day + timedelta(days=60) < w.today:
            deadline = mtg.day + timedelta(days=60)
    elif k == 0 and mtg.day + timedelta(days=45) < w.today:
        status = RectStatus.OPEN  # a branch item past its deadline
        deadline = mtg.day + timedelta(days=45)
    else:
        status = rng.choices(
            (RectStatus.OPEN, RectStatus.IN_PROGRESS, RectStatus.DONE, RectStatus.VERIFIED),
            weights=(3, 4, 2, 1),
        )[0]
    state = _State(status, deadline, notes=_NOTES[status])
    if status is RectStatus.VERIFIED:
        state.verified_by = branch.secretary
        state.verified_at = min(
            w.now - timedelta(days=1),
            datetime.combine(mtg.day + timedelta(days=rng.randint(30, 120)), time(15, 0)),
        )
    return state


def _progress(
    w: World, mtg: Sitting, rid: int, author: int, state: _State, rng: random.Random
) -> None:
    """Progress notes spread from a week after the round to the verification (or the
    deadline, or now); the last of a finished item says so."""
    assert mtg.closed_at is not None
    notes = state.notes
    upper = state.verified_at or min(
        w.now - timedelta(hours=3), datetime.combine(state.deadline, time(18, 0))
    )
    progress = w.sink.table(RectProgress)
    done = state.status in (RectStatus.DONE, RectStatus.VERIFIED)
    for n in range(notes):
        lo = mtg.closed_at + timedelta(days=7)
        span = max(1, int((upper - lo).total_seconds()) - 3600)
        noted = lo + timedelta(seconds=span * (n + 1) // (notes + 1))
        evidence = rng.choice(W.EVIDENCE).format(page=rng.randint(2, 40))
        text = "已完成整改，提交证明材料" if n == notes - 1 and done else "正在按计划推进"
        progress.add(
            id=progress.next_id(),
            rectification=rid,
            noted_at=noted,
            author=author,
            text=text,
            evidence=evidence,
        )
