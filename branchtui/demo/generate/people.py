"""People: members with their histories (joiners, leavers, transfers, exemptions, 留党察看),
the personas, the upper-level viewers, their ids and logins, and their rows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from branchtui.demo import words as W
from branchtui.demo.generate.dates import weekday_on_or_after, years_before
from branchtui.demo.generate.plan import Branch, Person, Stint
from branchtui.demo.generate.world import World
from branchtui.demo.personas import PERSONA_LOGINS
from branchtui.store.models import Discipline, Exemption, Member, Membership

# -- one person -------------------------------------------------------------------------------


def birth_for_age(w: World, age: int) -> date:
    return years_before(w.today, age) - timedelta(days=w.rng.randint(1, 360))


def full_after(w: World, admitted: date) -> date | None:
    """正式 a year (and up to 40 days) after admission, if that day has come."""
    full = admitted + timedelta(days=365 + w.rng.randint(0, 40))
    return full if full <= w.today else None


def new_person(w: World, origin: str, p_old: float, joined: date | None = None) -> Person:
    """A member: ``pre`` joined before the history, ``new`` is admitted on ``joined``,
    ``in`` transferred in from outside the tree on ``joined``."""
    rng = w.rng
    gender = "女" if rng.random() < 0.5 else "男"
    if origin == "new":
        assert joined is not None
        age_then = rng.randint(22, 45)
        birth = years_before(joined, age_then) - timedelta(days=rng.randint(1, 360))
        admitted = joined
    else:
        birth, admitted = _earlier_member(w, p_old, joined)
    full_since = full_after(w, admitted)
    person = Person(
        name=w.name(gender, birth.year),
        gender=gender,
        birth=birth,
        admitted=admitted,
        full_since=full_since,
        origin=origin,
        joined=joined if joined is not None else admitted,
    )
    person.phone = w.phone()
    _set_propensity(w, person)
    return person


def _earlier_member(w: World, p_old: float, joined: date | None) -> tuple[date, date]:
    """Birth and admission of someone admitted before the history (or before ``joined``)."""
    rng = w.rng
    age = 60 + int(rng.triangular(0, 33, 4)) if rng.random() < p_old else rng.randint(25, 59)
    birth = birth_for_age(w, age)
    anchor = joined if joined is not None else w.history_start
    latest = anchor - timedelta(days=30)
    adm_age = rng.randint(19, 42)
    admitted = min(years_before(birth, -adm_age) + timedelta(days=rng.randint(0, 300)), latest)
    if admitted <= birth + timedelta(days=18 * 365):
        admitted = latest
    return birth, admitted


def _set_propensity(w: World, person: Person) -> None:
    """How often this person is absent, on leave or late."""
    rng = w.rng
    age = (w.today - person.birth).days // 365
    r = rng.random()
    if r < 0.06:  # chronically absent
        absent, leave, late = rng.uniform(0.18, 0.35), rng.uniform(0.1, 0.2), 0.08
    elif age >= 70:
        absent, leave, late = 0.02, rng.uniform(0.08, 0.18), 0.02
    elif r < 0.25:  # model members
        absent, leave, late = 0.004, 0.03, 0.02
    else:
        absent, leave, late = rng.uniform(0.01, 0.04), rng.uniform(0.04, 0.1), 0.05
    person.t_absent = absent
    person.t_leave = absent + leave
    person.t_late = absent + leave + late


# -- the members of each branch -------------------------------------------------------------


def plan_people(w: World) -> None:
    """Every branch's home members (some joining during the history), the personas, and
    each member's first membership, in a group."""
    p = w.profile
    rng = w.rng
    n_branch_members = sum(b.size for b in w.branches)
    join_share = min(0.15, p.years * 0.025)
    n_joiners = {
        b.index: (0 if b.special == "small" else round(b.size * join_share)) for b in w.branches
    }
    # 28% of all members over 60: joiners are young, so the others carry the share.
    n_pre = n_branch_members - sum(n_joiners.values())
    p_old = min(0.7, 0.26 * (n_branch_members + p.communities + 1) / max(1, n_pre))
    hs = w.history_start
    for branch in w.branches:
        people: list[Person] = []
        n_new = n_joiners[branch.index]
        for _ in range(branch.size - n_new):
            people.append(new_person(w, "pre", p_old))
        for _ in range(n_new):
            joined = weekday_on_or_after(
                w.random_day(hs + timedelta(days=20), w.today - timedelta(days=10))
            )
            origin = "new" if rng.random() < 0.6 else "in"
            people.append(new_person(w, origin, p_old, joined))
        branch.people = people
    _plan_personas(w)
    for branch in w.branches:
        _first_stints(w, branch)


def _first_stints(w: World, branch: Branch) -> None:
    """Group assignment: balanced, in a shuffled order."""
    order = list(range(len(branch.people)))
    w.rng.shuffle(order)
    groups: list[int | None] = list(branch.group_ids) or [None]
    for k, idx in enumerate(order):
        person = branch.people[idx]
        person.stints.append(
            Stint(
                0,
                branch.org_id,
                groups[k % len(groups)],
                person.joined if person.origin != "pre" else _pre_start(w, person),
                None,
                "转入" if person.origin == "in" else "",
            )
        )


def _pre_start(w: World, person: Person) -> date:
    """When a member who belonged before the history joined this branch."""
    hs = w.history_start
    lo = max(person.admitted, hs - timedelta(days=365 * 12))
    return w.random_day(lo, hs - timedelta(days=20))


def _fixed(
    w: World, branch: Branch, slot: int, name: str, gender: str, age: int, admitted_years: int
) -> Person:
    """Member ``slot`` of ``branch`` made into a persona (or a fixed officer)."""
    person = branch.people[slot]
    person.name, person.gender, person.origin = name, gender, "pre"
    person.birth = birth_for_age(w, age)
    person.admitted = years_before(w.history_start, admitted_years) - timedelta(days=40)
    person.full_since = full_after(w, person.admitted)
    person.joined = person.admitted
    person.protected = True
    person.t_absent, person.t_leave, person.t_late = 0.004, 0.03, 0.05
    return person


def _plan_personas(w: World) -> None:
    first = w.branches[0]
    admin = _fixed(w, first, 0, "周文涛", "男", 41, 12)
    admin.is_admin = True
    shuji = _fixed(w, first, 1, "李秀兰", "女", 52, 20)
    jilu = _fixed(w, first, 2, "王敏", "女", 34, 6)
    dangyuan = _fixed(w, first, 3, "张建国", "男", 63, 30)
    dangyuan.t_absent, dangyuan.t_leave, dangyuan.t_late = 0.02, 0.08, 0.12
    # 预备党员: admitted about five months ago, after a branch vote.
    yubei = first.people[4]
    yubei.name, yubei.gender, yubei.origin = "陈思远", "男", "new"
    yubei.admitted = weekday_on_or_after(w.today - timedelta(days=150))
    yubei.joined = yubei.admitted
    yubei.full_since = None
    yubei.birth = years_before(yubei.admitted, 27) - timedelta(days=77)
    yubei.protected = True
    lapsing = _fixed(w, first, 5, "孙国庆", "男", 58, 25)
    lapsing.mode = "lapsing"
    absentee = _fixed(w, first, 6, "刘凤英", "女", 66, 28)
    absentee.mode = "absentee"
    for slot in (5, 6):
        first.people[slot].t_absent = 0.05
        first.people[slot].t_leave = 0.1
        first.people[slot].t_late = 0.12
    w.personas.update(admin=admin, shuji=shuji, jilu=jilu, dangyuan=dangyuan, yubei=yubei)
    w.lapsing, w.absentee = lapsing, absentee
    small = w.small_branch
    w.personas["xiaozhibu"] = _fixed(w, small, 0, "刘桂芳", "女", 48, 15)
    _fixed(w, small, 1, small.people[1].name, small.people[1].gender, 39, 8)
    _fixed(w, small, 2, small.people[2].name, small.people[2].gender, 45, 10)


# -- leaving, moving, exemptions, 留党察看 ---------------------------------------------------


def plan_churn(w: World) -> None:
    """Members who leave the tree and who transfer between branches (same day)."""
    p = w.profile
    rng = w.rng
    leave_share = min(0.08, p.years * 0.012)
    move_share = min(0.08, p.years * 0.01)
    targets = [b for b in w.branches if b.special != "small"]
    for branch in w.branches:
        if branch.special == "small":
            continue
        candidates = [x for x in branch.people if not x.protected]
        rng.shuffle(candidates)
        n_leave = round(branch.size * leave_share)
        n_move = round(branch.size * move_share)
        if branch.index == 0:
            n_move = max(n_move, 1)  # branch 1 shows a transfer
        for person in candidates[:n_leave]:
            _leave_tree(w, person)
        for person in candidates[n_leave : n_leave + n_move]:
            _transfer(w, branch, person, targets)
    for branch in w.branches:
        for person in branch.people:
            for stint in person.stints:
                w.branch_by_org(stint.branch).stints.append(stint)


def _leave_tree(w: World, person: Person) -> None:
    stint = person.stints[0]
    lo = max(stint.starts, w.history_start) + timedelta(days=60)
    if lo >= w.today - timedelta(days=5):
        return
    stint.ends = weekday_on_or_after(w.random_day(lo, w.today - timedelta(days=5)))
    old = (stint.ends - person.birth).days > 365 * 78
    stint.note = "去世" if old and w.rng.random() < 0.6 else "转出"


def _transfer(w: World, branch: Branch, person: Person, targets: list[Branch]) -> None:
    """A move to another branch, mostly within the same community."""
    rng = w.rng
    stint = person.stints[0]
    lo = max(stint.starts, w.history_start) + timedelta(days=45)
    if lo >= w.today - timedelta(days=5):
        return
    same = [b for b in targets if b.community_id == branch.community_id and b is not branch]
    pool = same if same and rng.random() < 0.7 else [b for b in targets if b is not branch]
    if not pool:
        return
    target = rng.choice(pool)
    day = weekday_on_or_after(w.random_day(lo, w.today - timedelta(days=5)))
    stint.ends = day
    stint.note = (stint.note + "；转出") if stint.note else "转出"
    group = rng.choice(target.group_ids) if target.group_ids else None
    person.stints.append(Stint(0, target.org_id, group, day, None, "转入"))


def plan_exemptions(w: World) -> None:
    """Exemptions from attending (年老体弱, 孕产期, 长期外出, 住院) and a few 留党察看."""
    rng = w.rng
    pool = [x for b in w.branches for x in b.people if not x.protected and not x.mode]
    rng.shuffle(pool)
    n_exempt = round(w.profile.exempt_share * sum(b.size for b in w.branches))
    for person in pool[:n_exempt]:
        exemption = _exemption(w, person)
        if exemption is not None:
            person.exemptions.append(exemption)
    # 留党察看: a few full members, one or two years.
    n_disc = max(2, round(0.003 * len(pool)))
    candidates = [x for x in pool[n_exempt:] if x.full_since is not None]
    for person in candidates[:n_disc]:
        lo = max(person.stints[0].starts, w.history_start, person.full_since or w.history_start)
        hi = min(person.stints[-1].ends or w.today, w.today) - timedelta(days=30)
        if hi <= lo:
            continue
        starts = w.random_day(lo, hi)
        ends = years_before(starts, -rng.choice((1, 2)))
        person.disciplines.append((starts, ends, rng.choice(W.DISCIPLINE_REASONS)))


def _exemption(w: World, person: Person) -> tuple[date, date | None, str] | None:
    rng = w.rng
    first = person.stints[0].starts
    last = person.stints[-1].ends or w.today
    lo = max(first, w.history_start - timedelta(days=200))
    if last <= lo + timedelta(days=40):
        return None
    age = (w.today - person.birth).days // 365
    if age >= 75 and rng.random() < 0.7:
        reason = "年老体弱行动不便"
    elif person.gender == "女" and 24 <= age <= 42 and rng.random() < 0.6:
        reason = "孕产期"
    elif age < 65 and rng.random() < 0.5:
        reason = "长期外出"
    else:
        reason = "住院治疗"
    starts = w.random_day(lo, min(last, w.today) - timedelta(days=20))
    ends: date | None
    if reason == "年老体弱行动不便":
        ends = None if rng.random() < 0.7 else starts + timedelta(days=rng.randint(200, 700))
    elif reason == "孕产期":
        ends = starts + timedelta(days=rng.randint(240, 330))
    elif reason == "长期外出":
        ends = starts + timedelta(days=rng.randint(90, 540))
        if ends > w.today and rng.random() < 0.4:
            ends = None
    else:
        ends = starts + timedelta(days=rng.randint(30, 120))
    return starts, ends, reason


# -- viewers, ids, logins ---------------------------------------------------------------------


def plan_viewers(w: World) -> None:
    """The upper level's viewers: one per 社区党委 and one at the 街道党工委."""
    for c, oid in enumerate(w.community_ids):
        viewer = new_person(w, "pre", 0.0)
        viewer.protected = True
        if c == 0:
            viewer.name, viewer.gender = "赵卫东", "男"
            w.personas["shangji"] = viewer
        w.viewers.append((viewer, oid))
    root_viewer = new_person(w, "pre", 0.0)
    root_viewer.name, root_viewer.gender = "吴志强", "男"
    root_viewer.protected = True
    w.personas["jiedao"] = root_viewer
    w.viewers.append((root_viewer, w.root_id))


def assign_ids(w: World) -> None:
    """Member ids in branch order (personas of branch 1 first), viewers last; logins (the
    personas' fixed ones, ``m000123`` for the others) and when each was entered."""
    for branch in w.branches:
        for person in branch.people:
            w.people.append(person)
    plan_viewers(w)
    for viewer, _ in w.viewers:
        w.people.append(viewer)
    by_person = {id(person): role for role, person in w.personas.items()}
    for k, person in enumerate(w.people, start=1):
        person.id = k
        role = by_person.get(id(person))
        person.login = PERSONA_LOGINS[role] if role else f"m{k:06d}"
        for stint in person.stints:
            stint.member = k
        if person.origin == "pre":
            person.created_at = w.setup_at + timedelta(seconds=k)
        else:
            person.created_at = datetime.combine(person.joined, time(10, 0)) + timedelta(
                minutes=w.rng.randint(0, 300)
            )
    for branch in w.branches:
        branch.stints.sort(key=lambda s: (s.starts, s.member))


# -- rows ---------------------------------------------------------------------------------------


def write_members(w: World) -> None:
    """Member, Membership, Exemption and Discipline rows."""
    members = w.sink.table(Member)
    for person in w.people:
        members.add(
            id=person.id,
            name=person.name,
            gender=person.gender,
            birth_date=person.birth,
            phone=person.phone,
            login=person.login,
            admitted=person.admitted,
            full_since=person.full_since,
            is_admin=person.is_admin,
            created_at=person.created_at,
        )
    members.ids_from(len(w.people) + 1)
    memberships = w.sink.table(Membership)
    exemptions = w.sink.table(Exemption)
    disciplines = w.sink.table(Discipline)
    for person in w.people:
        for stint in person.stints:
            memberships.add(
                id=memberships.next_id(),
                member=stint.member,
                branch=stint.branch,
                group=stint.group,
                starts=stint.starts,
                ends=stint.ends,
                note=stint.note,
            )
        for starts, ends, reason in person.exemptions:
            exemptions.add(
                id=exemptions.next_id(), member=person.id, starts=starts, ends=ends, reason=reason
            )
        for starts, ends, reason in person.disciplines:
            disciplines.add(
                id=disciplines.next_id(), member=person.id, starts=starts, ends=ends, reason=reason
            )
