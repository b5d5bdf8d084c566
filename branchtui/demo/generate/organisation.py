"""The organisation: the 街道党工委, its 社区党委, the branches and their 党小组; who holds
which post (支部委员会 terms, 书记, 党小组长, the upper level's viewers); their rows."""

from __future__ import annotations

import math
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from branchtui.core.enums import OrgKind, PositionRole
from branchtui.demo import words as W
from branchtui.demo.generate.dates import month_start
from branchtui.demo.generate.plan import Branch, Person, Posts
from branchtui.demo.generate.world import World
from branchtui.store.models import CommitteeTerm, Org, Position

COMMITTEE_TERM_YEARS = 5  # 村/社区 branches
_SILENT_BRANCH_SMALL_PROFILE = 4  # the branch with no activity lately (profiles of ≤ 10)
_ROLES = {
    "secretary": PositionRole.SECRETARY,
    "organization": PositionRole.ORGANIZATION,
    "propaganda": PositionRole.PROPAGANDA,
    "discipline": PositionRole.DISCIPLINE,
    "deputy": PositionRole.DEPUTY_SECRETARY,
}

# -- the tree ---------------------------------------------------------------------------------


def plan_orgs(w: World) -> None:
    """Communities, branches (with their sizes, habits and the special ones), groups."""
    p = w.profile
    rng = w.rng
    w.root_id = 1
    chosen = list(W.COMMUNITY_PREFIX)
    extra = [prefix + s for s in W.COMMUNITY_SUFFIX if s for prefix in W.COMMUNITY_PREFIX]
    rng.shuffle(extra)
    chosen = (chosen + extra)[: p.communities]
    if len(chosen) < p.communities:
        raise ValueError("too many communities for the name lists")
    oid = w.root_id
    for name in chosen:
        oid += 1
        w.community_ids.append(oid)
        w.community_names.append(name)
    sizes, groups = _branch_sizes(w)
    per_comm = -(-p.branches // p.communities)
    small_index = min(per_comm - 1, p.branches - 1)
    for i in range(p.branches):
        oid += 1
        w.branches.append(_branch(w, i, oid, per_comm, small_index, sizes[i], groups[i]))
    silent = _SILENT_BRANCH_SMALL_PROFILE if p.branches <= 10 else p.branches // 2 + 1
    w.branches[silent].silent = True
    for branch in w.branches:
        for g in range(branch.n_groups):
            oid += 1
            branch.group_ids.append(oid)
            branch.group_names.append(f"第{W.ORDINALS[g]}党小组")
            branch.group_weekday[oid] = rng.randint(0, 3)
            branch.group_place[oid] = f"{branch.community_name}{rng.choice(W.GROUP_PLACES)}"
    w.org_count = oid
    w.small_branch = w.branches[small_index]


def _branch(
    w: World, i: int, oid: int, per_comm: int, small_index: int, size: int, n_groups: int
) -> Branch:
    """Branch ``i`` (0-based) of the street, its name, code and habits."""
    rng = w.rng
    c = min(i // per_comm, w.profile.communities - 1)
    k = i - c * per_comm  # the branch's place in its community
    cname = w.community_names[c]
    if i == small_index:
        bname = f"{cname}社区{W.SMALL_BRANCH_NAMES[0]}"
    else:
        bname = f"{cname}社区第{W.ORDINALS[k % len(W.ORDINALS)]}党支部"
        if k >= len(W.ORDINALS):
            bname = f"{cname}社区第{k + 1}党支部"
    branch = Branch(
        index=i,
        org_id=oid,
        code=f"BJ-SQ{c + 1:02d}-ZB{k + 1:02d}",
        name=bname,
        community_id=w.community_ids[c],
        community_name=cname,
        size=size,
        n_groups=n_groups,
    )
    fixed_sizes = w.profile.branch_sizes is not None
    branch.special = "first" if i == 0 else ("big" if (i == 1 and not fixed_sizes) else "")
    if i == small_index:
        branch.special = "small"
    branch.evening = rng.random() < 0.4
    branch.place = cname + "社区" + rng.choice(W.PLACES)
    branch.diligence = 1.0 if i == 0 else rng.uniform(0.86, 1.0)
    return branch


def _branch_sizes(w: World) -> tuple[list[int], list[int]]:
    """Members and groups per branch: the profile's, or drawn (one of 45, one of 200 with
    10 groups, one of 3 without; the others log-normal around 26, about 13 a group)."""
    p = w.profile
    total = p.members - (p.communities + 1)  # the viewers are no branch's members
    if p.branch_sizes is not None and p.group_counts is not None:
        if sum(p.branch_sizes) != total or len(p.branch_sizes) != p.branches:
            raise ValueError("profile branch_sizes do not add up to the members")
        return list(p.branch_sizes), list(p.group_counts)
    n = p.branches
    per_comm = -(-n // p.communities)
    small = min(per_comm - 1, n - 1)
    sizes = _drawn_sizes(w, total, {0: 45, 1: 200, small: 3})
    groups = [0] * n
    for i, size in enumerate(sizes):
        if i == 1:
            groups[i] = 10
        elif i == small or size < 9:
            groups[i] = 0
        else:
            groups[i] = max(1, min(8, round(size / 13)))
    adjustable = [i for i in range(n) if i not in (1, small) and sizes[i] >= 9]
    while sum(groups) < p.groups:
        i = max(adjustable, key=lambda j: (sizes[j] / (groups[j] + 1), -j))
        if sizes[i] < 4 * (groups[i] + 1):
            break
        groups[i] += 1
    while sum(groups) > p.groups:
        i = min((j for j in adjustable if groups[j] > 1), key=lambda j: (sizes[j] / groups[j], j))
        groups[i] -= 1
    return sizes, groups


def _drawn_sizes(w: World, total: int, fixed: dict[int, int]) -> list[int]:
    """Branch sizes adding up to ``total``: ``fixed`` ones, the others drawn and scaled."""
    n = w.profile.branches
    raw = {
        i: min(120.0, max(5.0, w.rng.lognormvariate(math.log(26), 0.55)))
        for i in range(n)
        if i not in fixed
    }
    rest = total - sum(fixed.values())
    scale = rest / sum(raw.values())
    sizes = [fixed[i] if i in fixed else max(5, round(raw[i] * scale)) for i in range(n)]
    free = [i for i in range(n) if i not in fixed]
    diff = total - sum(sizes)
    k = 0
    while diff != 0:
        i = free[k % len(free)]
        step = 1 if diff > 0 else -1
        if sizes[i] + step >= 5:
            sizes[i] += step
            diff -= step
        k += 1
    return sizes


# -- posts --------------------------------------------------------------------------------------


class _Candidates:
    """Who may still take a post in one branch: the stable members in a shuffled order, then
    (small branches may run out of them) any member full by the start of the history."""

    def __init__(self, w: World, branch: Branch) -> None:
        hs = w.history_start
        stable = [x for x in branch.people if _stable(w, x) and not x.protected]
        w.rng.shuffle(stable)
        backup = [
            x
            for x in branch.people
            if not x.protected
            and not x.mode
            and x not in stable
            and x.origin == "pre"
            and x.is_full_on(hs)
        ]
        self.pools = (stable, backup)
        self.where = branch.name

    def take(self, group: int | None = None) -> Person:
        """The first candidate (in ``group``, if given), protected from churn from now on."""
        for pool in self.pools:
            for k, cand in enumerate(pool):
                if group is None or cand.stints[0].group == group:
                    pool.pop(k)
                    cand.protected = True
                    return cand
        raise LookupError(f"no candidate for a post in {self.where}")


def _stable(w: World, person: Person) -> bool:
    """A member before the history starts, full by then, not too old for a post (posts
    are planned before churn, and their holders are protected from it)."""
    return (
        person.origin == "pre"
        and person.full_since is not None
        and person.full_since <= w.history_start
        and (w.today - person.birth).days < 365 * 75
        and not person.mode
    )


def plan_posts(w: World) -> None:
    """Each branch's officers (a 支部委员会 where there are enough full members), its
    recorder, and each group's leader and recorder."""
    for branch in w.branches:
        candidates = _Candidates(w, branch)
        officers, recorder = _officers(w, branch, candidates)
        leaders, recorders = _group_posts(branch, candidates, officers, recorder)
        branch.posts = Posts(officers, recorder, leaders, recorders)
        for person in (*officers.values(), recorder):
            person.t_absent, person.t_leave = 0.003, 0.03
            person.t_late = 0.05
    # The two forced members of branch 1 stay in group 1 (not disturbed by gaps).
    first = w.branches[0]
    if first.group_ids:
        for person in (w.lapsing, w.absentee, w.personas["dangyuan"]):
            person.stints[0].group = first.group_ids[0]


def _officers(
    w: World, branch: Branch, candidates: _Candidates
) -> tuple[dict[str, Person], Person]:
    """The officers (key -> person, the 书记 first) and the branch's recorder."""
    take = candidates.take
    hs = w.history_start
    full_at_start = sum(1 for x in branch.people if x.origin == "pre" and x.is_full_on(hs))
    organization: Person | None = None
    if branch.special == "first":
        secretary = w.personas["shuji"]
        organization = w.personas["jilu"]
    elif branch.special == "small":
        secretary = w.personas["xiaozhibu"]
    else:
        secretary = take()
    branch.has_committee = branch.special == "first" or (
        branch.special != "small" and full_at_start >= 7
    )
    if branch.special == "small":
        branch.explicit_committee = False
    officers: dict[str, Person] = {"secretary": secretary}
    if branch.has_committee:
        officers["organization"] = organization or take()
        officers["propaganda"] = take()
        officers["discipline"] = take()
        if branch.size >= 40:
            officers["deputy"] = take()
        return officers, officers["organization"]
    if branch.special == "small":
        return officers, branch.people[1]
    try:
        return officers, take()
    except LookupError:
        return officers, secretary  # a tiny branch: the 书记 keeps the record


def _group_posts(
    branch: Branch, candidates: _Candidates, officers: dict[str, Person], recorder: Person
) -> tuple[dict[int, Person], dict[int, Person]]:
    """Each group's leader and recorder (group org id -> person)."""
    take = candidates.take
    leaders: dict[int, Person] = {}
    recorders: dict[int, Person] = {}
    spare = [x for x in officers.values() if x is not recorder]
    for gid in branch.group_ids:
        try:
            leaders[gid] = take(gid)
        except LookupError:
            # Nobody suitable in the group: move someone in from the pool, or let
            # an officer lead it (书记兼组长 is common in small branches).
            try:
                cand = take()
            except LookupError:
                if not spare:
                    raise
                cand = spare.pop()
            cand.stints[0].group = gid
            leaders[gid] = cand
        try:
            recorders[gid] = take(gid)
        except LookupError:
            recorders[gid] = leaders[gid]
    return leaders, recorders


def resolve_posts(w: World) -> None:
    """The posts as member ids on each branch (once ids are assigned)."""
    for branch in w.branches:
        assert branch.posts is not None
        officers = branch.posts.officers
        branch.secretary = officers["secretary"].id
        branch.organization = _held(officers, "organization")
        branch.propaganda = _held(officers, "propaganda")
        branch.discipline = _held(officers, "discipline")
        branch.deputy = _held(officers, "deputy")
        branch.recorder = branch.posts.recorder.id
        branch.committee = [x.id for x in officers.values()] if branch.has_committee else []
        branch.group_leader = {g: x.id for g, x in branch.posts.leaders.items()}
        branch.group_recorder = {g: x.id for g, x in branch.posts.recorders.items()}


def _held(officers: dict[str, Person], key: str) -> int | None:
    return officers[key].id if key in officers else None


# -- rows ---------------------------------------------------------------------------------------


def write_orgs(w: World) -> None:
    """The Org rows: the street, its communities, the branches, the groups."""
    orgs = w.sink.table(Org)
    created = w.setup_at
    orgs.add(
        id=w.root_id,
        kind=OrgKind.WORK_COMMITTEE.value,
        name=f"{W.STREET}党工委",
        code="BJ",
        created_at=created,
    )
    for c, oid in enumerate(w.community_ids):
        orgs.add(
            id=oid,
            parent=w.root_id,
            kind=OrgKind.PARTY_COMMITTEE.value,
            name=f"{w.community_names[c]}社区党委",
            code=f"BJ-SQ{c + 1:02d}",
            created_at=created,
        )
    for branch in w.branches:
        orgs.add(
            id=branch.org_id,
            parent=branch.community_id,
            kind=OrgKind.BRANCH.value,
            name=branch.name,
            code=branch.code,
            has_committee=branch.explicit_committee,
            created_at=created,
        )
    for branch in w.branches:
        for k, gid in enumerate(branch.group_ids):
            orgs.add(
                id=gid,
                parent=branch.org_id,
                kind=OrgKind.GROUP.value,
                name=branch.group_names[k],
                code=f"{branch.code}-XZ{k + 1:02d}",
                created_at=created,
            )
    orgs.ids_from(w.org_count + 1)


def write_posts(w: World) -> None:
    """Committee terms and their officers for branches with a committee, a 书记 for the
    others, the group leaders and the upper level's viewers."""
    positions = w.sink.table(Position)
    hs = w.history_start
    for branch in w.branches:
        assert branch.posts is not None
        if branch.has_committee:
            _write_terms(w, branch)
        else:
            sec = branch.posts.officers["secretary"]
            positions.add(
                id=positions.next_id(),
                member=sec.id,
                org=branch.org_id,
                role=PositionRole.SECRETARY.value,
                starts=max(sec.stints[0].starts, hs - timedelta(days=400)),
            )
        for gid, leader in branch.posts.leaders.items():
            positions.add(
                id=positions.next_id(),
                member=leader.id,
                org=gid,
                role=PositionRole.GROUP_LEADER.value,
                starts=max(leader.stints[0].starts, hs - timedelta(days=200)),
            )
    for viewer, oid in w.viewers:
        positions.add(
            id=positions.next_id(),
            member=viewer.id,
            org=oid,
            role=PositionRole.VIEWER.value,
            starts=hs - timedelta(days=365),
        )


def _write_terms(w: World, branch: Branch) -> None:
    """Five-year committee terms from before the history to today, each with its officers."""
    assert branch.posts is not None
    terms = w.sink.table(CommitteeTerm)
    positions = w.sink.table(Position)
    term_len = relativedelta(years=COMMITTEE_TERM_YEARS)
    starts = month_start(w.history_start) - relativedelta(months=w.rng.randint(1, 58))
    n = 0
    while True:
        n += 1
        planned_end = starts + term_len
        ends = planned_end if planned_end <= w.today else None
        term_id = terms.next_id()
        note = f"第{W.ORDINALS[min(n + 2, 19)]}届支部委员会（{starts:%Y.%m}—{planned_end:%Y.%m}）"
        terms.add(id=term_id, org=branch.org_id, starts=starts, ends=ends, note=note)
        branch.terms.append((term_id, starts, ends))
        for key, person in branch.posts.officers.items():
            positions.add(
                id=positions.next_id(),
                member=person.id,
                org=branch.org_id,
                role=_ROLES[key].value,
                term=term_id,
                starts=starts,
                ends=ends,
            )
        if ends is None:
            break
        starts = ends
