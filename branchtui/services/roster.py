"""The organisation tree and the roster: members, membership history (transfers),
exemptions, 留党察看, 转正, posts and committee terms, SSH keys; and the first-run set-up."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from peewee import JOIN, fn

from branchtui.core import model as c
from branchtui.core import sshkeys
from branchtui.core.enums import OrgKind, PositionRole
from branchtui.core.errors import NotAMember, NotFound, PermissionDenied, ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.ruleset import RuleSet
from branchtui.core.text import NAME_MAX, TEXT_MAX, TITLE_MAX, clean
from branchtui.core.zones import check_zone
from branchtui.services import rules
from branchtui.services.base import (
    Actor,
    Context,
    Service,
    bump,
    canonical,
    check_version,
    get_or_404,
    record_change,
)
from branchtui.services.permissions import (
    ANYWHERE,
    NOWHERE,
    Grants,
    Target,
    branch_target,
    member_target,
    org_target,
)
from branchtui.services.rolls import resync_member
from branchtui.store import convert
from branchtui.store import models as m

PARENT_KINDS: dict[OrgKind, tuple[OrgKind, ...]] = {
    OrgKind.WORK_COMMITTEE: (),
    OrgKind.PARTY_COMMITTEE: (OrgKind.WORK_COMMITTEE,),
    OrgKind.GENERAL_BRANCH: (OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE),
    OrgKind.BRANCH: (OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH),
    OrgKind.GROUP: (OrgKind.BRANCH,),
}
LOGIN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
KEY_TYPES = sshkeys.ACCEPTED_TYPES


@frozen
class MemberDraft:
    name: str
    login: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    admitted: date | None = None
    full_since: date | None = None


@frozen
class SshKeyInfo:
    id: int
    member_id: int
    fingerprint: str
    comment: str
    removed: bool


@frozen
class KeyRow:
    """One line of a branch's login keys: a key, or a member without any (``fingerprint``
    None), so that the secretary sees who cannot log in yet."""

    member_id: int
    name: str
    login: str | None
    key_id: int | None
    fingerprint: str | None
    comment: str
    added_at: datetime | None


def _login(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    login = value.strip().lower()
    if len(login) > 64 or not set(login) <= LOGIN_CHARS:
        raise ValidationError("member.bad_login", login=value[:64])
    return login


def _check_dates(d: MemberDraft) -> None:
    if d.admitted and d.full_since and d.full_since < d.admitted:
        raise ValidationError("member.full_before_admitted")
    for value in (d.birth_date, d.admitted, d.full_since):
        if value is not None and not (1900 <= value.year <= 2100):
            raise ValidationError("meeting.bad_date", value=value.isoformat())


def parse_public_key(text: str) -> tuple[str, str, str]:
    """(normalised key line, SHA256 fingerprint as OpenSSH prints it, comment). The rule
    (one key; Ed25519, ECDSA or RSA of 2048 bits or more) is core.sshkeys', which the
    gateway applies at every login too."""
    key = sshkeys.parse_key_text(text or "")
    comment = clean(key.comment, field="field.comment", max_len=200)
    return key.line, key.fingerprint, comment


class RosterService(Service):

    # -- identity ---------------------------------------------------------------------------

    def actor_for_login(self, login: str, via: str = "local") -> Actor:
        """The member bound to a login name (OS user or authenticated SSH identity)."""
        with self.read():
            row = m.Member.get_or_none(m.Member.login == (login or "").lower())
            if row is None:
                raise NotAMember(login=login)
            return Actor(member_id=row.id, name=row.name, login=row.login,
                         is_admin=row.is_admin, via=via)

    def actor_for_member(self, member_id: int, via: str = "local") -> Actor:
        with self.read():
            row = get_or_404(m.Member, member_id)
            return Actor(member_id=row.id, name=row.name, login=row.login,
                         is_admin=row.is_admin, via=via)

    def is_empty(self) -> bool:
        with self.read():
            return not m.Org.select().exists()

    def bootstrap(self, org_name: str, branch_name: str, secretary: MemberDraft,
                  parent_kind: OrgKind = OrgKind.PARTY_COMMITTEE) -> Actor:
        """First run on an empty database: the upper organisation, the branch, and its
        first secretary (who is also system admin). Refused once any org exists."""
        with self.write():
            if m.Org.select().exists():
                raise PermissionDenied("perm.bootstrap_done")
            now = self.now()
            top = m.Org.create(kind=parent_kind.value, name=clean(
                org_name, field="field.org_name", max_len=TITLE_MAX, required=True),
                created_at=now)
            branch = m.Org.create(kind=OrgKind.BRANCH.value, parent=top.id, name=clean(
                branch_name, field="field.org_name", max_len=TITLE_MAX, required=True),
                created_at=now)
            _check_dates(secretary)
            sec = m.Member.create(
                name=clean(secretary.name, field="field.name", max_len=NAME_MAX, required=True),
                login=_login(secretary.login), gender=secretary.gender,
                birth_date=secretary.birth_date, phone=secretary.phone,
                admitted=secretary.admitted, full_since=secretary.full_since or
                secretary.admitted, is_admin=True, created_at=now,
            )
            today = self.ctx.today()
            m.Membership.create(member=sec.id, branch=branch.id, starts=today, note="初始化")
            m.Position.create(member=sec.id, org=branch.id,
                              role=PositionRole.SECRETARY.value, starts=today)
            actor = Actor(member_id=sec.id, name=sec.name, login=sec.login, is_admin=True)
            record_change(self.ctx, actor, "bootstrap", "org", top.id,
                          {"org": top.name, "branch": branch.name, "secretary": sec.name})
            audit_rights(self.ctx, actor, "bootstrap", sec.id, branch.id, None,
                         {"is_admin": True, "login": sec.login, "branch": branch.id,
                          "role": PositionRole.SECRETARY})
            return actor

    # -- organisations ----------------------------------------------------------------------

    def create_org(self, actor: Actor, parent_id: int | None, kind: OrgKind, name: str,
                   has_committee: bool | None = None) -> c.Org:
        with self.write():
            # A group is a place in its branch; anything else is checked against no place,
            # where only the administrator's grant reaches.
            self.grants(actor).check("roster.create_org", branch_target(parent_id)
                                     if kind == OrgKind.GROUP and parent_id is not None
                                     else NOWHERE)
            if parent_id is None:
                if PARENT_KINDS[kind]:
                    raise ValidationError("org.parent_required")
            else:
                parent = get_or_404(m.Org, parent_id)
                if OrgKind(parent.kind) not in PARENT_KINDS[kind]:
                    raise ValidationError("org.bad_parent")
            row = m.Org.create(parent=parent_id, kind=kind.value, has_committee=has_committee,
                               name=clean(name, field="field.org_name", max_len=TITLE_MAX,
                                          required=True), created_at=self.now(parent_id))
            record_change(self.ctx, actor, "org.create", "org", row.id,
                          {"parent": parent_id, "kind": kind, "name": row.name})
            self.ctx.zones_changed()  # the new org inherits its parent's zone
            return convert.org(row)

    def set_committee(self, actor: Actor, branch_id: int, has_committee: bool | None,
                      expected_version: int) -> c.Org:
        """Set explicitly whether the branch has a committee (None: by member count)."""
        with self.write():
            row = get_or_404(m.Org, branch_id)
            self.grants(actor).check("roster.set_committee", org_target(branch_id))
            check_version(row, expected_version, convert.org)
            before = row.has_committee
            bump(m.Org, row, expected_version, has_committee=has_committee)
            record_change(self.ctx, actor, "org.committee", "org", row.id,
                          {"has_committee": has_committee})
            audit_rights(self.ctx, actor, "org.committee", None, row.id,
                         {"has_committee": before}, {"has_committee": has_committee})
            return convert.org(row)

    def set_rules(self, actor: Actor, org_id: int, overrides_json: str | None,
                  expected_version: int | None, starts: date | None = None) -> c.Org:
        """Local rules: the organisation's own overrides (JSON; None: none of its own) in
        force from ``starts`` (default today in its zone), kept as history
        (services/rules.py)."""
        return rules.set_org_rules(self, actor, org_id, overrides_json, expected_version,
                                   starts)

    def set_time_zone(self, actor: Actor, org_id: int, time_zone: str | None,
                      expected_version: int | None = None) -> c.Org:
        """The organisation's time zone (an IANA name such as ``Europe/Berlin``; None or
        blank: inherit the parent's). "Today", overdue states and late arrival in the
        organisation and below are reckoned in it from the next call on; times already
        stored keep the wall time they were written in. By the administrator, or a lead
        of an organisation above; not for a 党小组 (its meetings are its branch's)."""
        with self.write():
            row = get_or_404(m.Org, org_id)
            self.grants(actor).check("roster.set_time_zone", org_target(org_id))
            check_version(row, expected_version, convert.org)
            if row.kind == OrgKind.GROUP.value:
                raise ValidationError("org.time_zone_group")
            name = check_zone(time_zone)
            before = row.time_zone
            if name != before:
                bump(m.Org, row, expected_version, time_zone=name)
                record_change(self.ctx, actor, "org.time_zone", "org", row.id,
                              {"before": before, "time_zone": name})
                self.ctx.zones_changed()
            return convert.org(row)

    def rules_for(self, org_id: int | None, day: date | None = None) -> RuleSet:
        """The rule set in force for an org on ``day`` (default: today in its zone):
        defaults, then each ancestor's overrides and its own, as in force that day."""
        with self.read():
            return super().rules_for(org_id, day)

    def rule_history(self, actor: Actor, org_id: int) -> rules.RuleHistory:
        """The rule rows of the organisation and of those above it, and what is in force
        today: for those who read the organisation."""
        with self.read():
            self.grants(actor).check("roster.rule_history", org_target(org_id))
            get_or_404(m.Org, org_id)
            return rules.rule_history(self, org_id, self.ctx.today(org_id))

    def orgs(self, actor: Actor) -> list[c.Org]:
        """Every org the actor may see: their branch(es), and subtrees they watch."""
        with self.read():
            g = self.grants(actor)
            g.check("roster.orgs")
            rows = list(m.Org.select().order_by(m.Org.id))
            if g.admin:
                return [convert.org(r) for r in rows]
            # The table's answers: a branch (and its groups) where the actor reads the
            # roster; an organisation above whose subtree the actor watches. The tree is
            # read once here, not an ancestor query per org.
            g.know_tree({r.id: r.parent_id for r in rows})
            visible = []
            for r in rows:
                if r.kind == OrgKind.BRANCH.value:
                    seen = g.allows("roster.roster", branch_target(r.id))
                elif r.kind == OrgKind.GROUP.value:
                    seen = g.allows("roster.roster", branch_target(r.parent_id))
                else:
                    seen = g.allows("roster.subtree_branches", org_target(r.id))
                if seen:
                    visible.append(convert.org(r))
            return visible

    def my_branches(self, actor: Actor) -> list[c.Org]:
        """Branches where the actor holds a post, else the one they belong to today."""
        with self.read():
            g = self.grants(actor)
            g.check("roster.my_branches")
            ids = set()
            for org_id, roles in g.roles.items():
                if not roles:
                    continue
                row = m.Org.get_by_id(org_id)
                if row.kind == OrgKind.BRANCH.value:
                    ids.add(row.id)
                elif row.kind == OrgKind.GROUP.value:
                    ids.add(row.parent_id)
            branch, _group = convert.current_membership(actor.member_id, self.ctx.today())
            if branch is not None:
                ids.add(branch)
            return [convert.org(r) for r in m.Org.select().where(m.Org.id.in_(list(ids) or [0]))
                    .order_by(m.Org.id)]

    def subtree_branches(self, actor: Actor, org_id: int) -> list[c.Org]:
        """Branches under ``org_id`` (for upper-level viewers)."""
        with self.read():
            self.grants(actor).check("roster.subtree_branches", org_target(org_id))
            ids = [bid for bid, _name, _hc in convert.branches_under(org_id)[0]]
            return [convert.org(r) for r in
                    m.Org.select().where(m.Org.id.in_(ids or [0])).order_by(m.Org.id)]

    def groups(self, actor: Actor, branch_id: int) -> list[c.Org]:
        with self.read():
            self.grants(actor).check("roster.groups", branch_target(branch_id))
            return [convert.org(r) for r in m.Org.select().where(
                (m.Org.parent == branch_id) & (m.Org.kind == OrgKind.GROUP.value))
                .order_by(m.Org.id)]

    # -- members ----------------------------------------------------------------------------

    def add_member(self, actor: Actor, branch_id: int, d: MemberDraft,
                   group_id: int | None = None, starts: date | None = None,
                   note: str = "") -> c.Member:
        """A new member joining the branch (admission, or a transfer in from outside)."""
        with self.write():
            g = self.grants(actor)
            g.check("roster.add_member", branch_target(branch_id, group_id))
            _check_dates(d)
            login = _login(d.login)
            if login:  # the new member's login name is given as any other (set_login)
                g.check("roster.set_login", branch_target(branch_id, group_id))
            if login and m.Member.select().where(m.Member.login == login).exists():
                raise ValidationError("member.login_taken", login=login)
            self._check_group(branch_id, group_id)
            row = m.Member.create(
                name=clean(d.name, field="field.name", max_len=NAME_MAX, required=True),
                login=login, gender=clean(d.gender, field="field.gender", max_len=8) or None,
                birth_date=d.birth_date,
                phone=clean(d.phone, field="field.phone", max_len=40) or None,
                admitted=d.admitted, full_since=d.full_since, created_at=self.now(branch_id),
            )
            start = starts or self.ctx.today(branch_id)
            m.Membership.create(member=row.id, branch=branch_id, group=group_id, starts=start,
                                note=clean(note, field="field.note", max_len=TEXT_MAX))
            resync_member(self, actor, row.id, start, "member.add")
            record_change(self.ctx, actor, "member.add", "member", row.id,
                          {"name": row.name, "branch": branch_id, "group": group_id,
                           "starts": start})
            audit_rights(self.ctx, actor, "member.add", row.id, branch_id, None,
                         {"branch": branch_id, "group": group_id, "starts": start,
                          "login": login})
            return convert.member(row, branch_id, group_id)

    @staticmethod
    def _check_group(branch_id: int, group_id: int | None) -> None:
        if group_id is not None and not m.Org.select().where(
            (m.Org.id == group_id) & (m.Org.parent == branch_id)
            & (m.Org.kind == OrgKind.GROUP.value)
        ).exists():
            raise ValidationError("meeting.group_not_in_branch")

    def update_member(self, actor: Actor, member_id: int, expected_version: int,
                      d: MemberDraft) -> c.Member:
        with self.write():
            row = get_or_404(m.Member, member_id)
            branch, group = convert.current_membership(member_id, self.ctx.today())
            g = self.grants(actor)
            target = member_target(member_id, self.ctx.today())
            g.check("roster.update_member", target)
            check_version(row, expected_version, convert.member)
            _check_dates(d)
            login = _login(d.login)
            if login != row.login:
                # A login name decides who an OS account is: a right of its own.
                g.check("roster.set_login", target)
            if (d.admitted, d.full_since) != (row.admitted, row.full_since):
                # The admission and 转正 dates decide who votes: within the actor's rights.
                g.check("roster.set_status", target)
            if login and m.Member.select().where(
                    (m.Member.login == login) & (m.Member.id != member_id)).exists():
                raise ValidationError("member.login_taken", login=login)
            changes = dict(
                name=clean(d.name, field="field.name", max_len=NAME_MAX, required=True),
                login=login, gender=clean(d.gender, field="field.gender", max_len=8) or None,
                birth_date=d.birth_date,
                phone=clean(d.phone, field="field.phone", max_len=40) or None,
                admitted=d.admitted, full_since=d.full_since,
            )
            before_login = row.login
            moved = [day for before, after in ((row.admitted, d.admitted),
                                             (row.full_since, d.full_since))
                     if before != after for day in (before, after) if day is not None]
            bump(m.Member, row, expected_version, **changes)
            if moved:  # admission or 转正 dates decide the roll from the earlier one on
                resync_member(self, actor, row.id, min(moved), "member.edit")
            record_change(self.ctx, actor, "member.edit", "member", row.id, changes)
            if login != before_login:
                audit_rights(self.ctx, actor, "member.login", row.id, branch,
                             {"login": before_login}, {"login": login})
            return convert.member(row, branch, group)

    def get_member(self, actor: Actor, member_id: int) -> c.Member:
        with self.read():
            self.grants(actor).check("roster.get_member", member_target(member_id))
            row = get_or_404(m.Member, member_id)
            branch, group = convert.current_membership(member_id, self.ctx.today())
            return convert.member(row, branch, group)

    def roster(self, actor: Actor, branch_id: int, day: date | None = None) -> list[c.Member]:
        """Members of the branch on ``day`` (default today), by name."""
        day = day or self.ctx.today(branch_id)
        with self.read():
            self.grants(actor).check("roster.roster", branch_target(branch_id))
            q = (m.Member.select(m.Member, m.Membership.group.alias("grp"))
                 .join(m.Membership, on=(m.Membership.member == m.Member.id))
                 .where((m.Membership.branch == branch_id) & (m.Membership.starts <= day)
                        & (m.Membership.ends.is_null() | (m.Membership.ends > day)))
                 .order_by(m.Member.name, m.Member.id)
                 .objects())
            return [convert.member(r, branch_id, r.grp) for r in q]

    def transfer(self, actor: Actor, member_id: int, on: date, *, to_branch_id: int | None,
                 to_group_id: int | None = None, note: str = "") -> None:
        """Transfer out (to another branch, or out of the tree when ``to_branch_id`` is
        None) or move between groups. The old row ends on ``on``; old meetings keep their
        rolls because rolls are read for the meeting's date."""
        with self.write():
            cur = (m.Membership.select().where(
                (m.Membership.member == member_id) & (m.Membership.starts <= on)
                & (m.Membership.ends.is_null() | (m.Membership.ends > on))).first())
            if cur is None:
                # In no branch on that day: only a right that reaches everywhere may ask.
                self.grants(actor).check("roster.transfer", Target(member=member_id))
                raise ValidationError("member.not_in_branch")
            # Out of the branch (its leads, and only people whose posts they may end, since
            # the move ends them), or between its groups (the roster officers).
            within_branch = to_branch_id == cur.branch_id
            self.grants(actor).check(
                "roster.move_group" if within_branch else "roster.transfer",
                Target(places=((cur.branch_id, cur.group_id),), member=member_id))
            if to_branch_id is not None:
                target = get_or_404(m.Org, to_branch_id)
                if target.kind != OrgKind.BRANCH.value:
                    raise ValidationError("org.not_branch")
                self._check_group(to_branch_id, to_group_id)
            if on < cur.starts:
                raise ValidationError("member.transfer_before_start")
            note = clean(note, field="field.note", max_len=TEXT_MAX)
            if on == cur.starts:
                m.Membership.delete().where(m.Membership.id == cur.id).execute()
            else:
                m.Membership.update(ends=on, note=(cur.note + " 转出：" + note).strip()).where(
                    m.Membership.id == cur.id).execute()
            # Later rows (a transfer already planned) are superseded.
            m.Membership.delete().where((m.Membership.member == member_id)
                                        & (m.Membership.starts > on)).execute()
            if to_branch_id is not None:
                m.Membership.create(member=member_id, branch=to_branch_id, group=to_group_id,
                                    starts=on, note=("转入：" + note).strip("："))
            # Positions in the old branch end with the membership.
            ended: list[tuple[int, int, str]] = []
            if not within_branch:
                held = m.Position.select(m.Position.id, m.Position.org, m.Position.role).where(
                    (m.Position.member == member_id)
                    & (m.Position.ends.is_null() | (m.Position.ends > on))
                    & m.Position.org.in_([cur.branch_id] + [
                        o for (o,) in m.Org.select(m.Org.id).where(
                            m.Org.parent == cur.branch_id).tuples()]))
                ended = list(held.tuples())
                if ended:
                    m.Position.update(ends=on).where(
                        m.Position.id.in_([pid for pid, _o, _r in ended])).execute()
            resync_member(self, actor, member_id, on, "member.transfer",
                          branches=(cur.branch_id,))
            record_change(self.ctx, actor, "member.transfer", "member", member_id,
                          {"from": [cur.branch_id, cur.group_id], "to": [to_branch_id,
                           to_group_id], "on": on, "note": note})
            audit_rights(self.ctx, actor, "member.transfer", member_id, cur.branch_id,
                         {"branch": cur.branch_id, "group": cur.group_id},
                         {"branch": to_branch_id, "group": to_group_id, "on": on,
                          "posts_ended": [[o, r] for _p, o, r in ended]})

    def membership_history(self, actor: Actor, member_id: int) -> list[c.MembershipPeriod]:
        with self.read():
            self.grants(actor).check("roster.membership_history", member_target(member_id))
            return [
                c.MembershipPeriod(branch_id=b, group_id=gr, starts=s, ends=e)
                for b, gr, s, e in m.Membership.select(
                    m.Membership.branch, m.Membership.group, m.Membership.starts,
                    m.Membership.ends).where(m.Membership.member == member_id)
                .order_by(m.Membership.starts).tuples()
            ]

    def _check_member(self, actor: Actor, right: str, member_id: int) -> None:
        """The table's answer for ``right`` on the member where they are today."""
        self.grants(actor).check(right, member_target(member_id, self.ctx.today()))

    def add_exemption(self, actor: Actor, member_id: int, starts: date, ends: date | None,
                      reason: str) -> int:
        """Exempt from 组织生活 for a period (hospital, maternity, elderly and immobile)."""
        with self.write():
            self._check_member(actor, "roster.add_exemption", member_id)
            if ends is not None and ends <= starts:
                raise ValidationError("period.end_before_start")
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX, required=True)
            row = m.Exemption.create(member=member_id, starts=starts, ends=ends, reason=reason)
            resync_member(self, actor, member_id, starts, "exemption.add")
            record_change(self.ctx, actor, "exemption.add", "member", member_id,
                          {"starts": starts, "ends": ends, "reason": reason})
            return row.id

    def end_exemption(self, actor: Actor, exemption_id: int, ends: date) -> None:
        with self.write():
            row = get_or_404(m.Exemption, exemption_id)
            self._check_member(actor, "roster.end_exemption", row.member_id)
            if ends <= row.starts:
                raise ValidationError("period.end_before_start")
            m.Exemption.update(ends=ends).where(m.Exemption.id == row.id).execute()
            resync_member(self, actor, row.member_id, min(ends, row.ends or ends),
                          "exemption.end", on=ends)
            record_change(self.ctx, actor, "exemption.end", "member", row.member_id,
                          {"exemption": row.id, "ends": ends})

    def add_discipline(self, actor: Actor, member_id: int, starts: date, ends: date | None,
                       reason: str) -> int:
        """留党察看: the member attends but has no vote for the period."""
        with self.write():
            self._check_member(actor, "roster.add_discipline", member_id)
            if ends is not None and ends <= starts:
                raise ValidationError("period.end_before_start")
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX, required=True)
            row = m.Discipline.create(member=member_id, starts=starts, ends=ends, reason=reason)
            resync_member(self, actor, member_id, starts, "discipline.add")
            record_change(self.ctx, actor, "discipline.add", "member", member_id,
                          {"starts": starts, "ends": ends, "reason": reason})
            return row.id

    def confirm_full(self, actor: Actor, member_id: int, on: date, expected_version: int) -> c.Member:
        """转正: the probationary member becomes a full member on ``on``."""
        with self.write():
            row = get_or_404(m.Member, member_id)
            self._check_member(actor, "roster.confirm_full", member_id)
            check_version(row, expected_version, convert.member)
            if row.admitted and on < row.admitted:
                raise ValidationError("member.full_before_admitted")
            before = row.full_since
            bump(m.Member, row, expected_version, full_since=on)
            resync_member(self, actor, row.id, min(on, before or on), "member.confirm", on=on)
            record_change(self.ctx, actor, "member.confirm", "member", row.id, {"on": on})
            return convert.member(row)

    # -- posts ------------------------------------------------------------------------------

    def appoint(self, actor: Actor, member_id: int, org_id: int, role: PositionRole,
                starts: date, ends: date | None = None, term_id: int | None = None) -> c.Position:
        with self.write():
            org = get_or_404(m.Org, org_id)
            get_or_404(m.Member, member_id)
            # The post granted must weigh less than the actor's own there, and the member
            # must not already hold rights above the actor's.
            self.grants(actor).check("roster.appoint",
                                     member_target(member_id, role=role, org_id=org_id))
            if role == PositionRole.GROUP_LEADER and org.kind != OrgKind.GROUP.value:
                raise ValidationError("position.group_leader_needs_group")
            if role == PositionRole.VIEWER and org.kind not in (
                    OrgKind.WORK_COMMITTEE.value, OrgKind.PARTY_COMMITTEE.value,
                    OrgKind.GENERAL_BRANCH.value):
                raise ValidationError("position.viewer_needs_upper")
            if ends is not None and ends <= starts:
                raise ValidationError("period.end_before_start")
            row = m.Position.create(member=member_id, org=org_id, role=role.value,
                                    starts=starts, ends=ends, term=term_id)
            record_change(self.ctx, actor, "position.appoint", "position", row.id,
                          {"member": member_id, "org": org_id, "role": role,
                           "starts": starts, "ends": ends})
            audit_rights(self.ctx, actor, "position.appoint", member_id, org_id, None,
                         {"role": role, "org": org_id, "starts": starts, "ends": ends})
            return convert.position(row)

    def end_position(self, actor: Actor, position_id: int, ends: date) -> None:
        with self.write():
            row = get_or_404(m.Position, position_id)
            self.grants(actor).check("roster.end_position", member_target(
                row.member_id, role=PositionRole(row.role), org_id=row.org_id))
            if ends < row.starts:
                raise ValidationError("period.end_before_start")
            m.Position.update(ends=ends).where(m.Position.id == row.id).execute()
            record_change(self.ctx, actor, "position.end", "position", row.id, {"ends": ends})
            audit_rights(self.ctx, actor, "position.end", row.member_id, row.org_id,
                         {"role": row.role, "org": row.org_id, "starts": row.starts,
                          "ends": row.ends}, {"ends": ends})

    def positions(self, actor: Actor, member_id: int) -> list[c.Position]:
        with self.read():
            self.grants(actor).check("roster.positions", member_target(member_id))
            return [convert.position(r) for r in m.Position.select()
                    .where(m.Position.member == member_id).order_by(m.Position.starts)]

    def start_term(self, actor: Actor, branch_id: int, starts: date, years: int = 3,
                   note: str = "") -> int:
        """A committee term (3 years; 5 for 村/社区 branches)."""
        with self.write():
            self.grants(actor).check("roster.start_term", org_target(branch_id))
            if years not in (3, 5):
                raise ValidationError("term.bad_years")
            ends = date(starts.year + years, starts.month, min(starts.day, 28))
            row = m.CommitteeTerm.create(org=branch_id, starts=starts, ends=ends,
                                         note=clean(note, field="field.note", max_len=TEXT_MAX))
            record_change(self.ctx, actor, "term.start", "org", branch_id,
                          {"starts": starts, "ends": ends})
            return row.id

    # -- SSH keys ---------------------------------------------------------------------------

    def add_key(self, actor: Actor, member_id: int, public_key: str) -> SshKeyInfo:
        """A login key for the member: one's own, or a member whose rights are within the
        actor's (a key opens the app as its member, with all their rights)."""
        with self.write():
            get_or_404(m.Member, member_id)
            self._check_member(actor, "roster.add_key", member_id)
            line, fp, comment = parse_public_key(public_key)
            existing = m.SshKey.get_or_none(m.SshKey.fingerprint == fp)
            if existing is not None and existing.removed_at is None:
                raise ValidationError("keys.duplicate", fingerprint=fp)
            if existing is not None:
                m.SshKey.update(member=member_id, removed_at=None, added_at=self.now(),
                                comment=comment).where(m.SshKey.id == existing.id).execute()
                key_id = existing.id
            else:
                key_id = m.SshKey.create(member=member_id, fingerprint=fp, public_key=line,
                                         comment=comment, added_at=self.now()).id
            record_change(self.ctx, actor, "keys.add", "member", member_id,
                          {"fingerprint": fp, "comment": comment})
            audit_rights(self.ctx, actor, "keys.add", member_id, self._branch_of(member_id),
                         None, {"fingerprint": fp, "comment": comment})
            return SshKeyInfo(key_id, member_id, fp, comment, False)

    def remove_key(self, actor: Actor, fingerprint: str) -> None:
        with self.write():
            row = m.SshKey.get_or_none((m.SshKey.fingerprint == fingerprint)
                                       & m.SshKey.removed_at.is_null())
            if row is None:
                raise NotFound(what="ssh_key", id=fingerprint)
            self._check_member(actor, "roster.remove_key", row.member_id)
            m.SshKey.update(removed_at=self.now()).where(m.SshKey.id == row.id).execute()
            record_change(self.ctx, actor, "keys.remove", "member", row.member_id,
                          {"fingerprint": fingerprint})
            audit_rights(self.ctx, actor, "keys.remove", row.member_id,
                         self._branch_of(row.member_id),
                         {"fingerprint": fingerprint, "comment": row.comment}, None)

    def _branch_of(self, member_id: int) -> int | None:
        return convert.current_membership(member_id, self.ctx.today())[0]

    def list_keys(self, actor: Actor, member_id: int | None = None) -> list[SshKeyInfo]:
        with self.read():
            # Without a member: every key, which no place but the administrator's reaches.
            self.grants(actor).check("roster.list_keys", member_target(member_id)
                                     if member_id is not None else NOWHERE)
            q = m.SshKey.select().where(m.SshKey.removed_at.is_null())
            if member_id is not None:
                q = q.where(m.SshKey.member == member_id)
            return [SshKeyInfo(r.id, r.member_id, r.fingerprint, r.comment, False)
                    for r in q.order_by(m.SshKey.id)]

    def branch_keys(self, actor: Actor, branch_id: int) -> list[KeyRow]:
        """The login keys of the branch's current members, with a line for each member who
        has none; for those who lead the branch (they may add and remove keys)."""
        today = self.ctx.today(branch_id)
        with self.read():
            self.grants(actor).check("roster.branch_keys", branch_target(branch_id))
            members = list(
                m.Member.select(m.Member.id, m.Member.name, m.Member.login)
                .join(m.Membership, on=(m.Membership.member == m.Member.id))
                .where((m.Membership.branch == branch_id) & (m.Membership.starts <= today)
                       & (m.Membership.ends.is_null() | (m.Membership.ends > today)))
                .order_by(m.Member.name, m.Member.id).tuples())
            keys: dict[int, list[tuple[int, str, str, datetime]]] = {}
            for kid, mid, fp, comment, added in (
                    m.SshKey.select(m.SshKey.id, m.SshKey.member, m.SshKey.fingerprint,
                                    m.SshKey.comment, m.SshKey.added_at)
                    .where(m.SshKey.member.in_([mid for mid, _, _ in members])
                           & m.SshKey.removed_at.is_null())
                    .order_by(m.SshKey.id).tuples()):
                keys.setdefault(mid, []).append((kid, fp, comment, added))
            rows: list[KeyRow] = []
            for mid, name, login in members:
                for kid, fp, comment, added in keys.get(mid, []):
                    rows.append(KeyRow(mid, name, login, kid, fp, comment, added))
                if mid not in keys:
                    rows.append(KeyRow(mid, name, login, None, None, "", None))
            return rows

    def member_for_key(self, fingerprint: str) -> Actor | None:
        """The gateway's question: whose (not removed) key is this? No actor needed: the
        gateway authenticates before anyone acts."""
        with self.read():
            row = (m.Member.select().join(m.SshKey)
                   .where((m.SshKey.fingerprint == fingerprint) & m.SshKey.removed_at.is_null())
                   .first())
            if row is None:
                return None
            return Actor(member_id=row.id, name=row.name, login=row.login,
                         is_admin=row.is_admin, via="ssh")

    def set_admin(self, actor: Actor, member_id: int, is_admin: bool) -> c.Member:
        """Give or take the administrator flag: by the administrator only, never to or
        from oneself (someone must stay able to undo it)."""
        with self.write():
            row = get_or_404(m.Member, member_id)
            self.grants(actor).check("roster.set_admin", Target(member=member_id))
            if member_id == actor.member_id:
                raise ValidationError("member.admin_self")
            before = bool(row.is_admin)
            if before != bool(is_admin):
                m.Member.update(is_admin=bool(is_admin), version=m.Member.version + 1).where(
                    m.Member.id == row.id).execute()
                record_change(self.ctx, actor, "member.admin", "member", row.id,
                              {"is_admin": bool(is_admin)})
                audit_rights(self.ctx, actor, "member.admin", row.id,
                             self._branch_of(row.id), {"is_admin": before},
                             {"is_admin": bool(is_admin)})
            branch, group = convert.current_membership(member_id, self.ctx.today())
            return convert.member(m.Member.get_by_id(row.id), branch, group)

    def rights_audit(self, actor: Actor, org_id: int | None = None, *,
                     member_id: int | None = None, limit: int = 1000) -> list[AuditEntry]:
        """The trail of changes to rights, newest first: everything for the
        administrator; for the upper level, what happened in the subtree of ``org_id``."""
        with self.read():
            self.grants(actor).check("roster.rights_audit", org_target(org_id)
                                     if org_id is not None else NOWHERE)
            q = m.RightsAudit.select()
            if org_id is not None:
                q = q.where(m.RightsAudit.org_id.in_(subtree_ids(org_id)))
            if member_id is not None:
                q = q.where(m.RightsAudit.member_id == member_id)
            rows = list(q.order_by(m.RightsAudit.id.desc()).limit(max(1, min(limit, 10000))))
            people = {i for r in rows for i in (r.actor_id, r.member_id) if i is not None}
            names = dict(m.Member.select(m.Member.id, m.Member.name)
                         .where(m.Member.id.in_(list(people) or [0])).tuples())
            orgs = dict(m.Org.select(m.Org.id, m.Org.name).where(
                m.Org.id.in_([r.org_id for r in rows if r.org_id] or [0])).tuples())
            return [AuditEntry(
                id=r.id, at=r.at, actor_id=r.actor_id, actor_name=names.get(r.actor_id, ""),
                action=r.action, member_id=r.member_id,
                member_name=names.get(r.member_id, ""), org_id=r.org_id,
                org_name=orgs.get(r.org_id, ""), before=r.before, after=r.after)
                for r in rows]

    def audit_scope(self, actor: Actor) -> AuditScope | None:
        """Where the actor reads the rights audit from: the whole tree for the administrator
        (``org_id`` None), the widest organisation above the branches where they hold a
        post for the upper level; None for anyone the table refuses (screens and reports
        then ask ``rights_audit`` anyway, which says why)."""
        with self.read():
            g = self.grants(actor)
            g.check("roster.audit_scope")
            if g.admin:
                return AuditScope(org_id=None, org_name="")
            readable = [o for o in g.upper
                        if g.allows("roster.rights_audit", org_target(o))]
            if not readable:
                return None
            # The widest: fewest organisations above it, then the oldest.
            org_id = min(readable, key=lambda o: (len(g.ancestors(o)), o))
            return AuditScope(org_id=org_id,
                              org_name=m.Org.select(m.Org.name)
                              .where(m.Org.id == org_id).scalar() or "")

    def count_members(self) -> int:
        with self.read():
            return int(m.Member.select(fn.COUNT(m.Member.id)).scalar() or 0)

    # -- what the member screens read (issue 3) ---------------------------------------------

    def rights(self, actor: Actor, member_id: int) -> MemberRights:
        """Read-only: which edits the actor may make to this member, so that screens hide
        what is not allowed. The writes still check for themselves."""
        with self.read():
            get_or_404(m.Member, member_id)
            g = self.grants(actor)
            g.check("roster.rights", member_target(member_id))
            return member_rights(g, member_id, self.ctx.today())

    def exemptions(self, actor: Actor, member_id: int) -> list[PeriodEntry]:
        """The member's periods exempt from 组织生活, newest first."""
        with self.read():
            self.grants(actor).check("roster.exemptions", member_target(member_id))
            return period_entries(m.Exemption, member_id)

    def disciplines(self, actor: Actor, member_id: int) -> list[PeriodEntry]:
        """The member's 留党察看 periods, newest first."""
        with self.read():
            self.grants(actor).check("roster.disciplines", member_target(member_id))
            return period_entries(m.Discipline, member_id)

    def end_discipline(self, actor: Actor, discipline_id: int, ends: date) -> None:
        """留党察看 ends (restored rights, or the period set at the start is shortened)."""
        with self.write():
            row = get_or_404(m.Discipline, discipline_id)
            self._check_member(actor, "roster.end_discipline", row.member_id)
            if ends <= row.starts:
                raise ValidationError("period.end_before_start")
            m.Discipline.update(ends=ends).where(m.Discipline.id == row.id).execute()
            resync_member(self, actor, row.member_id, min(ends, row.ends or ends),
                          "discipline.end", on=ends)
            record_change(self.ctx, actor, "discipline.end", "member", row.member_id,
                          {"discipline": row.id, "ends": ends})

    def membership_entries(self, actor: Actor, member_id: int) -> list[MembershipEntry]:
        """Membership history with the names of branch and group and the transfer notes,
        newest first."""
        with self.read():
            self.grants(actor).check("roster.membership_entries", member_target(member_id))
            return membership_entries(member_id)

    def position_entries(self, actor: Actor, member_id: int) -> list[PositionEntry]:
        """Posts the member held or holds, with the organisation's name, newest first."""
        with self.read():
            self.grants(actor).check("roster.position_entries", member_target(member_id))
            return position_entries(member_id)

    def transfer_targets(self, actor: Actor) -> list[c.Org]:
        """Every branch of the tree a member may be transferred to (the receiving branch
        need not be one the actor can read). Officers with roster rights only."""
        with self.read():
            self.grants(actor).check("roster.transfer_targets", ANYWHERE)
            return [convert.org(r) for r in m.Org.select()
                    .where(m.Org.kind == OrgKind.BRANCH.value).order_by(m.Org.name, m.Org.id)]


@frozen
class AuditEntry:
    """One change to someone's rights (``RosterService.rights_audit``). ``before`` and
    ``after`` are canonical JSON ("" when there was nothing before, or is nothing after)."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    member_id: int | None
    member_name: str
    org_id: int | None
    org_name: str
    before: str
    after: str


@frozen
class AuditScope:
    """The part of the rights audit an actor reads (``RosterService.audit_scope``):
    ``org_id`` None is the whole tree."""

    org_id: int | None
    org_name: str


def audit_rights(ctx: Context, actor: Actor | None, action: str, member_id: int | None,
                 org_id: int | None, before: dict[str, Any] | None,
                 after: dict[str, Any] | None) -> None:
    """Write one entry of the rights audit, in the caller's transaction."""
    m.RightsAudit.insert(
        at=ctx.now(), actor_id=actor.member_id if actor else None, action=action,
        member_id=member_id, org_id=org_id,
        before=canonical(before) if before is not None else "",
        after=canonical(after) if after is not None else "").execute()


def subtree_ids(org_id: int) -> list[int]:
    """``org_id`` and every organisation below it."""
    children: dict[int | None, list[int]] = {}
    for oid, parent in m.Org.select(m.Org.id, m.Org.parent).tuples():
        children.setdefault(parent, []).append(oid)
    out, todo = [], [org_id]
    while todo:
        oid = todo.pop()
        if oid in out:
            continue
        out.append(oid)
        todo.extend(children.get(oid, []))
    return out


@frozen
class MemberRights:
    """What the actor may change about one member (see ``RosterService.rights``)."""

    roster: bool  # fields, exemptions, 留党察看, 转正, transfers
    posts: bool  # appoint and end posts
    keys: bool  # add and remove SSH keys
    read_keys: bool
    transfer: bool = False  # move out of the branch


@frozen
class PeriodEntry:
    """An exemption or 留党察看 period, with its id (to end it)."""

    id: int
    member_id: int
    starts: date
    ends: date | None
    reason: str

    def covers(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day < self.ends)


@frozen
class MembershipEntry:
    id: int
    branch_id: int
    branch_name: str
    group_id: int | None
    group_name: str
    starts: date
    ends: date | None
    note: str


@frozen
class PositionEntry:
    id: int
    org_id: int
    org_name: str
    role: PositionRole
    starts: date
    ends: date | None

    def current(self, day: date) -> bool:
        return self.starts <= day and (self.ends is None or day < self.ends)


# The member page's reads without the permission check, for ``QueryService.member_dossier``
# (which checks once for all of them). The caller holds a read transaction.


def member_rights(g: Grants, member_id: int, day: date) -> MemberRights:
    """The table's answers for one member, as the member page needs them."""
    now = member_target(member_id, day)
    return MemberRights(
        roster=g.allows("roster.update_member", now),
        posts=any(g.allows("roster.start_term", Target(places=((b, None),)))
                  for b in now.branches()),
        keys=g.allows("roster.add_key", now),
        read_keys=g.allows("roster.list_keys", member_target(member_id)),
        transfer=g.allows("roster.transfer", now))


def period_entries(model: type[m.Exemption] | type[m.Discipline],
                   member_id: int) -> list[PeriodEntry]:
    return [PeriodEntry(i, mid, s, e, r) for i, mid, s, e, r in
            model.select(model.id, model.member, model.starts, model.ends, model.reason)
            .where(model.member == member_id)
            .order_by(model.starts.desc(), model.id.desc()).tuples()]


def membership_entries(member_id: int) -> list[MembershipEntry]:
    group = m.Org.alias()
    q = (m.Membership.select(m.Membership.id, m.Membership.branch, m.Org.name,
                             m.Membership.group, group.name, m.Membership.starts,
                             m.Membership.ends, m.Membership.note)
         .join(m.Org, on=(m.Membership.branch == m.Org.id))
         .join_from(m.Membership, group, join_type=JOIN.LEFT_OUTER,
                    on=(m.Membership.group == group.id))
         .where(m.Membership.member == member_id)
         .order_by(m.Membership.starts.desc(), m.Membership.id.desc()).tuples())
    return [MembershipEntry(i, b, bn, gr, gn or "", s, e, note or "")
            for i, b, bn, gr, gn, s, e, note in q]


def position_entries(member_id: int) -> list[PositionEntry]:
    q = (m.Position.select(m.Position.id, m.Position.org, m.Org.name, m.Position.role,
                           m.Position.starts, m.Position.ends)
         .join(m.Org, on=(m.Position.org == m.Org.id))
         .where(m.Position.member == member_id)
         .order_by(m.Position.starts.desc(), m.Position.id.desc()).tuples())
    return [PositionEntry(i, o, on, PositionRole(r), s, e) for i, o, on, r, s, e in q]


def key_entries(member_id: int) -> list[SshKeyInfo]:
    return [SshKeyInfo(i, mid, fp, comment, False) for i, mid, fp, comment in
            m.SshKey.select(m.SshKey.id, m.SshKey.member, m.SshKey.fingerprint,
                            m.SshKey.comment)
            .where((m.SshKey.member == member_id) & m.SshKey.removed_at.is_null())
            .order_by(m.SshKey.id).tuples()]
