"""Builds a small, realistic branch through the real services (no shortcuts into the
store), with hostile text in names so every layer meets it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from branchtui.core import model as c
from branchtui.core.enums import Act, Obligation, OrgKind, PositionRole
from branchtui.services import Actor, FixedClock, MeetingDraft, MemberDraft, Services

JOINED = date(2020, 1, 1)
# The reason for closing a meeting whose record still has gaps (``meetings.close``), for
# tests about something else than a complete record.
GAPS_REASON = "记录会后补齐[/]（测试）"


@dataclass
class World:
    svc: Services
    admin: Actor
    top_id: int
    branch_id: int
    group_ids: list[int]
    secretary: Actor
    organiser: Actor  # 组织委员
    recorder: Actor  # an ordinary full member who records meetings
    leader: Actor  # 党小组组长 of group 0
    member: Actor  # ordinary full member in group 0
    probationary: Actor
    viewer: Actor  # upper-level viewer at the 党委
    other_branch_id: int
    other_secretary: Actor
    members: list[int] = field(default_factory=list)  # every member of the branch

    def actor(self, member_id: int) -> Actor:
        return self.svc.roster.actor_for_member(member_id)


def build_world(svc: Services, extra_full: int = 6) -> World:
    admin = svc.roster.bootstrap(
        "某某社区党委", "第一党支部",
        MemberDraft(name="管理员", login="admin", admitted=date(1990, 1, 1),
                    full_since=date(1991, 1, 1)),
    )
    roster = svc.roster
    orgs = roster.orgs(admin)
    top_id = next(o.id for o in orgs if o.kind == OrgKind.PARTY_COMMITTEE)
    branch_id = next(o.id for o in orgs if o.kind == OrgKind.BRANCH)
    groups = [roster.create_org(admin, branch_id, OrgKind.GROUP, f"第{i}党小组").id
              for i in (1, 2)]
    other = roster.create_org(admin, top_id, OrgKind.BRANCH, "第二党支部[/]")

    def add(name: str, login: str, group: int | None, full: bool = True,
            branch: int = branch_id) -> Actor:
        mem = roster.add_member(
            admin, branch,
            MemberDraft(name=name, login=login, admitted=date(2015, 3, 1),
                        full_since=date(2016, 3, 1) if full else None),
            group_id=group, starts=JOINED,
        )
        return roster.actor_for_member(mem.id)

    secretary = add("张书记", "shuji", groups[0])
    organiser = add("李组织", "zuzhi", groups[0])
    recorder = add("赵记录[@click=app.quit]x[/]", "jilu", groups[1])
    leader = add("钱组长", "zuzhang", groups[0])
    member = add("孙党员（老）", "dangyuan", groups[0])
    probationary = add("周预备", "yubei", groups[1], full=False)
    viewer_m = roster.add_member(admin, other.id, MemberDraft(name="上级查看", login="shangji",
                                 admitted=date(2000, 1, 1), full_since=date(2001, 1, 1)),
                                 starts=JOINED)
    viewer = roster.actor_for_member(viewer_m.id)
    other_sec = add("吴书记", "wushuji", None, branch=other.id)
    for i in range(extra_full):
        add(f"党员{i:02d}", f"m{i:02d}", groups[i % 2])
    roster.appoint(admin, secretary.member_id, branch_id, PositionRole.SECRETARY, JOINED)
    roster.appoint(admin, organiser.member_id, branch_id, PositionRole.ORGANIZATION, JOINED)
    roster.appoint(admin, leader.member_id, groups[0], PositionRole.GROUP_LEADER, JOINED)
    roster.appoint(admin, viewer.member_id, top_id, PositionRole.VIEWER, JOINED)
    roster.appoint(admin, other_sec.member_id, other.id, PositionRole.SECRETARY, JOINED)
    members = [m.id for m in roster.roster(admin, branch_id)]
    return World(svc=svc, admin=admin, top_id=top_id, branch_id=branch_id, group_ids=groups,
                 secretary=secretary, organiser=organiser, recorder=recorder, leader=leader,
                 member=member, probationary=probationary, viewer=viewer,
                 other_branch_id=other.id, other_secretary=other_sec, members=members)


def draft(w: World, start: datetime, *obligations: Obligation, title: str = "",
          group: int | None = None, agenda: tuple[tuple[str, Act | None], ...] = ()) -> MeetingDraft:
    obligations = obligations or (Obligation.THEME_DAY,)
    return MeetingDraft(
        branch_id=w.branch_id,
        title=title or "主题党日：学习“三会一课”制度（第一次）[b]",
        obligations=obligations,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        place="社区党群服务中心二楼会议室",
        group_id=group,
        convener_id=w.secretary.member_id,
        moderator_id=w.secretary.member_id,
        recorder_id=w.recorder.member_id,
        agenda=agenda or (("学习文件[/]", None), ("讨论决定事项", Act.GENERAL_DECISION)),
        allow_self_signin=True,
    )


def open_on_its_day(w: World, clock: FixedClock, d: MeetingDraft) -> c.Meeting:
    """Schedule ``d`` a week ahead and open it at its start, as a branch does (a meeting
    is held on its day); the clock is put back where it was."""
    saved = clock.current
    try:
        clock.current = min(saved, d.planned_start - timedelta(days=7))
        mtg = w.svc.meetings.schedule(w.secretary, d)
        clock.current = d.planned_start
        return w.svc.meetings.open(w.recorder, mtg.id)
    finally:
        clock.current = saved
