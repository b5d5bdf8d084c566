"""Live minutes: speech entries and decisions with votes judged by the rules; and the
组织生活会: problem list, criticism, rectification (整改) with 回头看, and 民主评议."""

from __future__ import annotations

import json
from datetime import date, datetime

from branchtui.core import model as c
from branchtui.core.appraisal import check_grades, excellent_cap
from branchtui.core.enums import (
    Act,
    AttendanceStatus,
    Grade,
    MeetingStatus,
    Obligation,
    RectStatus,
)
from branchtui.core.errors import Conflict, NotFound, ValidationError
from branchtui.core.frozen import frozen
from branchtui.core.ruleset import RuleSet
from branchtui.core.text import NAME_MAX, TEXT_MAX, TITLE_MAX, clean
from branchtui.core.votes import Tally, VoteBase, evaluate
from branchtui.services.base import (
    Actor,
    Service,
    bump,
    check_version,
    get_or_404,
    record_change,
)
from branchtui.services.permissions import (
    COMMITTEE,
    Target,
    branch_target,
    meeting_target,
    member_target,
)
from branchtui.store import convert
from branchtui.store import models as m

PRESENT = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value)


@frozen
class VoteDraft:
    act: Act
    text: str
    yes: int
    no: int
    abstain: int
    written_yes: int = 0
    written_no: int = 0
    written_abstain: int = 0
    agenda_item_id: int | None = None
    candidate_id: int | None = None
    candidate_name: str = ""
    follow_up_owner_id: int | None = None
    follow_up_due: date | None = None
    approval_ref: str = ""
    # Election only: members excluded from 应到 with upper-level approval (DOMAIN §4 allows
    # five categories); needs ``approval_ref``.
    excluded_ids: tuple[int, ...] = ()


@frozen
class MeetingPeople:
    """Names the record refers to by id (召集人, 主持人, 记录人, follow-up owners,
    candidates), and what the actor may do at this meeting."""

    names: dict[int, str]
    may_write: bool  # speeches and decisions
    may_run: bool  # open and close


class MinutesService(Service):
    def _writable(self, actor: Actor, meeting_id: int, right: str) -> m.Meeting:
        row = self.lock_meeting(meeting_id)
        self.grants(actor).check(right, meeting_target(row))
        if row.status == MeetingStatus.SEALED.value:
            raise ValidationError("meeting.sealed")
        if row.status in (MeetingStatus.PLANNED.value, MeetingStatus.CANCELLED.value):
            raise ValidationError("minutes.not_open")
        return row

    def _check_item(self, meeting_id: int, item_id: int | None) -> None:
        if item_id is not None and not m.AgendaItem.select().where(
            (m.AgendaItem.id == item_id) & (m.AgendaItem.meeting == meeting_id)
        ).exists():
            raise NotFound(what="agenda_item", id=item_id)

    def _speaker_name(self, speaker_id: int | None, speaker_name: str) -> str:
        """A member's name as stored, or a guest's as typed (required)."""
        if speaker_id is not None:
            name = m.Member.select(m.Member.name).where(m.Member.id == speaker_id).scalar()
            if name is None:
                raise NotFound(what="member", id=speaker_id)
            return str(name)
        return clean(speaker_name, field="field.speaker", max_len=NAME_MAX, required=True)

    # -- speeches ---------------------------------------------------------------------------

    def add_speech(self, actor: Actor, meeting_id: int, text: str, *,
                   speaker_id: int | None = None, speaker_name: str = "",
                   agenda_item_id: int | None = None,
                   spoken_at: datetime | None = None) -> c.Speech:
        """One speaker's remarks (言必录). The entry time is the server's; ``spoken_at``
        may be set a little earlier by the recorder, never later than now."""
        with self.write():
            row = self._writable(actor, meeting_id, "minutes.add_speech")
            self._check_item(row.id, agenda_item_id)
            text = clean(text, field="field.speech", max_len=TEXT_MAX, multiline=True,
                         required=True)
            name = self._speaker_name(speaker_id, speaker_name)
            now = self.now(row.branch_id)  # the branch's wall time, as the meeting's times
            when = min(spoken_at or now, now)
            sp = m.Speech.create(
                meeting=row.id, agenda_item=agenda_item_id, speaker=speaker_id,
                speaker_name=name, text=text, spoken_at=when, entered_by=actor.member_id,
                entered_at=now,
            )
            record_change(self.ctx, actor, "speech.add", "speech", sp.id,
                          {"speaker": speaker_id, "speaker_name": name, "text": text,
                           "item": agenda_item_id, "spoken_at": when}, meeting_id=row.id)
            return convert.speech(sp)

    def edit_speech(self, actor: Actor, speech_id: int, text: str,
                    expected_version: int) -> c.Speech:
        """A stale edit raises Conflict carrying the newer speech; the caller keeps the
        user's text and lets them choose."""
        with self.write():
            sp = get_or_404(m.Speech, speech_id)
            row = self._writable(actor, sp.meeting_id, "minutes.edit_speech")
            check_version(sp, expected_version, convert.speech)
            text = clean(text, field="field.speech", max_len=TEXT_MAX, multiline=True,
                         required=True)
            bump(m.Speech, sp, expected_version, text=text)
            record_change(self.ctx, actor, "speech.edit", "speech", sp.id,
                          {"text": text, "version": sp.version}, meeting_id=row.id)
            return convert.speech(sp)

    def move_speech(self, actor: Actor, speech_id: int, expected_version: int, *,
                    speaker_id: int | None = None, speaker_name: str = "") -> c.Speech:
        """Attribute a remark to another speaker: a member (``speaker_id``) or a guest by
        name. Allowed where editing the remark is; the chain keeps the speaker before and
        after. A stale move raises Conflict carrying the newer remark."""
        with self.write():
            sp = get_or_404(m.Speech, speech_id)
            row = self._writable(actor, sp.meeting_id, "minutes.move_speech")
            check_version(sp, expected_version, convert.speech)
            name = self._speaker_name(speaker_id, speaker_name)
            if (speaker_id, name) == (sp.speaker_id, sp.speaker_name):
                return convert.speech(sp)  # already theirs: nothing to record
            before = {"speaker": sp.speaker_id, "speaker_name": sp.speaker_name}
            bump(m.Speech, sp, expected_version, speaker=speaker_id, speaker_name=name)
            record_change(self.ctx, actor, "speech.move", "speech", sp.id,
                          {"before": before,
                           "after": {"speaker": speaker_id, "speaker_name": name},
                           "version": sp.version}, meeting_id=row.id)
            return convert.speech(sp)

    def delete_speech(self, actor: Actor, speech_id: int, expected_version: int) -> c.Speech:
        """Take a remark out of the record (entered twice, or in the wrong meeting). Allowed
        where editing it is. Never silent: the chain keeps the remark as it was, with who
        took it out and when. A stale delete raises Conflict carrying the newer remark.
        Returns the remark as it was."""
        with self.write():
            sp = get_or_404(m.Speech, speech_id)
            row = self._writable(actor, sp.meeting_id, "minutes.delete_speech")
            check_version(sp, expected_version, convert.speech)
            gone = convert.speech(sp)
            n = m.Speech.delete().where((m.Speech.id == sp.id)
                                        & (m.Speech.version == sp.version)).execute()
            if n != 1:
                raise Conflict(yours=expected_version, current_version=sp.version + 1)
            record_change(self.ctx, actor, "speech.delete", "speech", sp.id,
                          {"before": {"speaker": gone.speaker_id,
                                      "speaker_name": gone.speaker_name, "text": gone.text,
                                      "item": gone.agenda_item_id,
                                      "spoken_at": gone.spoken_at,
                                      "entered_by": gone.entered_by,
                                      "version": gone.version}}, meeting_id=row.id)
            return gone

    # -- decisions --------------------------------------------------------------------------

    def _vote_base(self, meeting: m.Meeting, act: Act,
                  excluded: tuple[int, ...] = ()) -> tuple[VoteBase, list[int]]:
        """Who may vote, frozen from the attendance rows (预备 and 留党察看 have no vote),
        or the committee for a 支委会 decision. ``excluded`` (elections, approved by the
        upper level) leave the base."""
        if act is Act.COMMITTEE_DECISION:
            day = meeting.planned_start.date()
            committee = [
                mid for (mid,) in m.Position.select(m.Position.member).where(
                    (m.Position.org == meeting.branch_id)
                    & m.Position.role.in_([r.value for r in COMMITTEE])
                    & (m.Position.starts <= day)
                    & (m.Position.ends.is_null() | (m.Position.ends > day))
                ).distinct().tuples()
            ]
            present = [
                mid for (mid,) in m.Attendance.select(m.Attendance.member).where(
                    (m.Attendance.meeting == meeting.id)
                    & m.Attendance.member.in_(committee or [0])
                    & m.Attendance.status.in_(PRESENT)
                ).tuples()
            ]
            return VoteBase(len(committee), len(present)), sorted(committee)
        rows = m.Attendance.select(m.Attendance.member, m.Attendance.status).where(
            (m.Attendance.meeting == meeting.id)
            & (m.Attendance.can_vote == True)  # noqa: E712
            & ((m.Attendance.status.is_null())
               | (m.Attendance.status != AttendanceStatus.EXEMPT.value))
        ).tuples()
        voters = [(mid, st) for mid, st in rows if mid not in excluded]
        present = sum(1 for _mid, st in voters if st in PRESENT)
        return VoteBase(len(voters), present), sorted(mid for mid, _ in voters)

    def record_decision(self, actor: Actor, meeting_id: int, v: VoteDraft) -> c.Decision:
        """A decision with its tally; pass or fail is computed by the rule set in force
        and stored with its reason and the rule version."""
        with self.write():
            row = self._writable(actor, meeting_id, "minutes.record_decision")
            self._check_item(row.id, v.agenda_item_id)
            text = clean(v.text, field="field.decision", max_len=TEXT_MAX, multiline=True,
                         required=True)
            if v.excluded_ids and v.act is not Act.ELECTION:
                raise ValidationError("decision.exclusion_election_only")
            if v.excluded_ids and not v.approval_ref.strip():
                raise ValidationError("text.required", field="field.approval_ref")
            base, snapshot = self._vote_base(row, v.act, tuple(v.excluded_ids))
            tally = Tally(v.yes, v.no, v.abstain, v.written_yes, v.written_no,
                          v.written_abstain)
            outcome = evaluate(v.act, base, tally, self.meeting_rules(row))
            cand_name = clean(v.candidate_name, field="field.candidate", max_len=NAME_MAX)
            if v.candidate_id is not None:
                cand_name = m.Member.select(m.Member.name).where(
                    m.Member.id == v.candidate_id).scalar() or cand_name
            if v.act in (Act.ADMISSION, Act.CONFIRMATION, Act.ELECTION) and not cand_name:
                raise ValidationError("decision.candidate_required")
            d = m.Decision.create(
                meeting=row.id, agenda_item=v.agenda_item_id, act=v.act.value, text=text,
                candidate=v.candidate_id, candidate_name=cand_name,
                yes=v.yes, no=v.no, abstain=v.abstain, written_yes=v.written_yes,
                written_no=v.written_no, written_abstain=v.written_abstain,
                voters_expected=base.entitled_expected, voters_present=base.entitled_present,
                voters_snapshot=json.dumps(snapshot), quorum_met=outcome.quorum_met,
                passed=outcome.passed, reason_key=outcome.reason_key,
                reason_params=json.dumps(outcome.params, ensure_ascii=False, default=str),
                rule_version=self.meeting_rules(row).version,
                approval_ref=clean(v.approval_ref, field="field.approval_ref", max_len=TITLE_MAX),
                follow_up_owner=v.follow_up_owner_id, follow_up_due=v.follow_up_due,
                decided_at=self.now(row.branch_id), entered_by=actor.member_id,
            )
            record_change(self.ctx, actor, "decision.record", "decision", d.id,
                          {"act": v.act, "text": text, "candidate": cand_name,
                           "tally": tally.__dict__, "base": base.__dict__,
                           "voters": snapshot, "excluded": v.excluded_ids,
                           "approval_ref": v.approval_ref, "passed": outcome.passed,
                           "reason": outcome.reason_key, "rules": self.meeting_rules(row).version,
                           "follow_up": [v.follow_up_owner_id, v.follow_up_due]},
                          meeting_id=row.id)
            return convert.decision(d)

    # -- 组织生活会 ------------------------------------------------------------------------

    def _org_life(self, actor: Actor, meeting_id: int, right: str) -> m.Meeting:
        row = self._writable(actor, meeting_id, right)
        if not m.MeetingObligation.select().where(
            (m.MeetingObligation.meeting == row.id)
            & (m.MeetingObligation.obligation == Obligation.ORG_LIFE.value)
        ).exists():
            raise ValidationError("orglife.not_org_life")
        return row

    def add_problem(self, actor: Actor, meeting_id: int, text: str,
                    member_id: int | None = None) -> int:
        """An entry of the problem list: the branch's (member None) or one member's."""
        with self.write():
            row = self._org_life(actor, meeting_id, "minutes.add_problem")
            text = clean(text, field="field.problem", max_len=TEXT_MAX, multiline=True,
                         required=True)
            p = m.Problem.create(meeting=row.id, member=member_id, text=text,
                                 created_at=self.now(row.branch_id),
                                 created_by=actor.member_id)
            record_change(self.ctx, actor, "problem.add", "problem", p.id,
                          {"member": member_id, "text": text}, meeting_id=row.id)
            return p.id

    def add_criticism(self, actor: Actor, meeting_id: int, from_id: int, to_id: int,
                      text: str) -> int:
        """批评 (from → to) or 自我批评 (from == to). Criticism names a specific person and
        matter, so both ends must be expected at this meeting."""
        with self.write():
            row = self._org_life(actor, meeting_id, "minutes.add_criticism")
            text = clean(text, field="field.criticism", max_len=TEXT_MAX, multiline=True,
                         required=True)
            expected = {
                mid for (mid,) in m.Attendance.select(m.Attendance.member)
                .where(m.Attendance.meeting == row.id).tuples()
            }
            if from_id not in expected or to_id not in expected:
                raise ValidationError("attendance.not_expected")
            cr = m.Criticism.create(meeting=row.id, from_member=from_id, to_member=to_id,
                                    text=text, created_at=self.now(row.branch_id),
                                    entered_by=actor.member_id)
            record_change(self.ctx, actor, "criticism.add", "criticism", cr.id,
                          {"from": from_id, "to": to_id, "text": text}, meeting_id=row.id)
            return cr.id

    def create_rectification(self, actor: Actor, meeting_id: int, problem: str, measure: str,
                             owner_id: int | None, deadline: date | None,
                             problem_id: int | None = None) -> c.Rectification:
        """整改清单 entry: problem, measure, 责任人, 时限."""
        with self.write():
            row = self._org_life(actor, meeting_id, "minutes.create_rectification")
            if deadline is not None and deadline < row.planned_start.date():
                raise ValidationError("rect.deadline_past")
            r = m.Rectification.create(
                branch=row.branch_id, meeting=row.id, problem=problem_id,
                problem_text=clean(problem, field="field.problem", max_len=TEXT_MAX,
                                   multiline=True, required=True),
                measure=clean(measure, field="field.measure", max_len=TEXT_MAX,
                              multiline=True, required=True),
                owner=owner_id, deadline=deadline, status=RectStatus.OPEN.value,
                created_at=self.now(row.branch_id),
            )
            record_change(self.ctx, actor, "rect.create", "rectification", r.id,
                          {"problem": r.problem_text, "measure": r.measure,
                           "owner": owner_id, "deadline": deadline}, meeting_id=row.id)
            return convert.rectification(r)

    def add_progress(self, actor: Actor, rect_id: int, text: str, evidence: str = "",
                     done: bool = False, expected_version: int | None = None) -> c.Rectification:
        """A dated progress note with evidence, by the owner or the branch officers; the
        owner may declare the item done, only the 书记 verifies it."""
        with self.write():
            r = get_or_404(m.Rectification, rect_id)
            self.grants(actor).check("minutes.add_progress", rect_target(r))
            check_version(r, expected_version, convert.rectification)
            if r.status == RectStatus.VERIFIED.value:
                raise ValidationError("rect.verified")
            m.RectProgress.create(
                rectification=r.id, noted_at=self.now(r.branch_id), author=actor.member_id,
                text=clean(text, field="field.progress", max_len=TEXT_MAX, multiline=True,
                           required=True),
                evidence=clean(evidence, field="field.evidence", max_len=TEXT_MAX,
                               multiline=True),
            )
            status = RectStatus.DONE if done else RectStatus.IN_PROGRESS
            if r.status == RectStatus.DONE.value and not done:
                status = RectStatus.DONE
            bump(m.Rectification, r, expected_version, status=status.value)
            record_change(self.ctx, actor, "rect.progress", "rectification", r.id,
                          {"text": text, "evidence": evidence, "status": status})
            return convert.rectification(r)

    def progress(self, actor: Actor, rect_id: int) -> list[ProgressNote]:
        """The dated progress notes of one rectification item, oldest first: for its
        owner, or whoever may read the branch."""
        with self.read():
            r = get_or_404(m.Rectification, rect_id)
            self.grants(actor).check("minutes.progress", rect_target(r))
            q = (m.RectProgress.select(m.RectProgress, m.Member.name)
                 .join(m.Member, on=(m.RectProgress.author == m.Member.id))
                 .where(m.RectProgress.rectification == r.id)
                 .order_by(m.RectProgress.noted_at, m.RectProgress.id))
            return [ProgressNote(p.id, p.noted_at, p.author.name, p.text, p.evidence)
                    for p in q]

    def verify(self, actor: Actor, rect_id: int, expected_version: int) -> c.Rectification:
        """对单销号: the 书记 ticks off a done item."""
        with self.write():
            r = get_or_404(m.Rectification, rect_id)
            self.grants(actor).check("minutes.verify", rect_target(r))
            check_version(r, expected_version, convert.rectification)
            if r.status != RectStatus.DONE.value:
                raise ValidationError("rect.not_done")
            bump(m.Rectification, r, expected_version, status=RectStatus.VERIFIED.value,
                 verified_by=actor.member_id, verified_at=self.now(r.branch_id))
            record_change(self.ctx, actor, "rect.verify", "rectification", r.id, {})
            return convert.rectification(r)

    def review_list(self, actor: Actor, meeting_id: int) -> list[c.Rectification]:
        """回头看: every item of the branch's earlier rounds that was not verified before
        this meeting, or that this meeting reviewed. Nothing unfinished disappears."""
        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            self.grants(actor).check("minutes.review_list", meeting_target(row))
            q = m.Rectification.select().where(
                (m.Rectification.branch == row.branch_id)
                & (m.Rectification.meeting != row.id)
                & (m.Rectification.created_at < row.planned_start)
                & ((m.Rectification.status != RectStatus.VERIFIED.value)
                   | (m.Rectification.verified_at >= row.planned_start)
                   | (m.Rectification.review_meeting == row.id))
            ).order_by(m.Rectification.deadline, m.Rectification.id)
            return [convert.rectification(r) for r in q]

    def record_review(self, actor: Actor, meeting_id: int, rect_id: int, note: str) -> c.Rectification:
        """Record what 回头看 found for one earlier item: done, in progress, why not."""
        with self.write():
            row = self._org_life(actor, meeting_id, "minutes.record_review")
            r = get_or_404(m.Rectification, rect_id)
            if r.branch_id != row.branch_id or r.meeting_id == row.id:
                raise ValidationError("rect.not_reviewable")
            note = clean(note, field="field.review", max_len=TEXT_MAX, multiline=True,
                         required=True)
            bump(m.Rectification, r, None, review_meeting=row.id, review_note=note)
            record_change(self.ctx, actor, "rect.review", "rectification", r.id,
                          {"note": note}, meeting_id=row.id)
            return convert.rectification(r)

    def rectifications(self, actor: Actor, branch_id: int | None = None, *,
                       owner_id: int | None = None, status: RectStatus | None = None,
                       overdue_on: date | None = None) -> list[c.Rectification]:
        """The tracker: by branch (officers) or the actor's own items."""
        with self.read():
            g = self.grants(actor)
            q = m.Rectification.select()
            if branch_id is not None:
                g.check("minutes.rectifications", branch_target(branch_id))
                q = q.where(m.Rectification.branch == branch_id)
                if owner_id is not None:
                    q = q.where(m.Rectification.owner == owner_id)
            else:
                owner = owner_id or actor.member_id
                g.check("minutes.rectifications", member_target(owner))
                q = q.where(m.Rectification.owner == owner)
            if status is not None:
                q = q.where(m.Rectification.status == status.value)
            if overdue_on is not None:
                q = q.where((m.Rectification.deadline < overdue_on)
                            & m.Rectification.status.in_([RectStatus.OPEN.value,
                                                          RectStatus.IN_PROGRESS.value]))
            return [convert.rectification(r) for r in q.order_by(m.Rectification.deadline)]

    # -- 民主评议 ----------------------------------------------------------------------------

    def set_grades(self, actor: Actor, branch_id: int, year: int,
                   grades: dict[int, Grade], meeting_id: int | None = None,
                   reason: str = "") -> list[c.Appraisal]:
        """Grades for a year. 优秀 at most a third of all who can be graded that year (the
        screen's base: full members of the branch on 31 December, and anyone graded);
        预备党员 take part but are not graded. The check covers the year's whole set.

        Once the year's 组织生活会 (or 民主评议 sitting) is sealed, the grades are part of
        a closed record: a change needs ``reason`` and is logged as an addendum with it
        (``appraisal.addendum``); without one it is refused (``appraisal.locked``)."""
        with self.write():
            g = self.grants(actor)
            g.check("minutes.set_grades", branch_target(branch_id))
            # Read-then-insert on a unique (branch, year, member): serialise per branch.
            self.lock_branch(branch_id)
            if not (1921 <= year <= 2100):
                raise ValidationError("appraisal.bad_year", year=year)
            if meeting_id is not None:
                self.lock_meeting(meeting_id)
            day = date(year, 12, 31)
            existing = {
                mid: Grade(gr) for mid, gr in m.AppraisalGrade.select(
                    m.AppraisalGrade.member, m.AppraisalGrade.grade
                ).where((m.AppraisalGrade.branch == branch_id)
                        & (m.AppraisalGrade.year == year)).tuples()
            }
            changed = {mid: grade for mid, grade in grades.items()
                       if existing.get(mid) != grade}
            sealed = _sealed_round(branch_id, year)
            reason = clean(reason, field="field.reason", max_len=TEXT_MAX)
            if sealed is not None and changed and not reason:
                title, on = sealed
                raise ValidationError("appraisal.locked", year=year, title=title,
                                      day=on.isoformat())
            merged = {**existing, **grades}
            eligible = appraisal_members(branch_id, day)
            facts = {f.member_id: f for f in convert.member_facts(eligible | merged.keys())}
            for mid in grades:
                f = facts.get(mid)
                if f is None or not any(p.branch_id == branch_id for p in f.memberships):
                    raise ValidationError("appraisal.not_in_branch", member=mid)
            probationary = {mid for mid, f in facts.items() if not f.is_full_on(day)}
            check_grades(merged, probationary, self.rules_for(branch_id, day), eligible=eligible)
            now = self.now(branch_id)
            out = []
            for mid, grade in grades.items():
                row = m.AppraisalGrade.get_or_none(
                    (m.AppraisalGrade.branch == branch_id) & (m.AppraisalGrade.year == year)
                    & (m.AppraisalGrade.member == mid))
                if row is None:
                    row = m.AppraisalGrade.create(branch=branch_id, year=year, member=mid,
                                                  grade=grade.value, meeting=meeting_id,
                                                  entered_by=actor.member_id, entered_at=now)
                elif mid in changed:
                    bump(m.AppraisalGrade, row, None, grade=grade.value,
                         entered_by=actor.member_id, entered_at=now)
                out.append(convert.appraisal(row))
            if sealed is not None and changed:
                record_change(self.ctx, actor, "appraisal.addendum", "appraisal", None,
                              {"branch": branch_id, "year": year, "reason": reason,
                               "sealed_round": sealed[0],
                               "grades": {mid: {"from": existing.get(mid), "to": grade}
                                          for mid, grade in changed.items()}})
            else:
                record_change(self.ctx, actor, "appraisal.grade", "appraisal", None,
                              {"branch": branch_id, "year": year, "grades": grades},
                              meeting_id=meeting_id)
            return out

    def grades(self, actor: Actor, branch_id: int, year: int) -> list[c.Appraisal]:
        with self.read():
            self.grants(actor).check("minutes.grades", branch_target(branch_id))
            return [convert.appraisal(r) for r in m.AppraisalGrade.select().where(
                (m.AppraisalGrade.branch == branch_id) & (m.AppraisalGrade.year == year)
            ).order_by(m.AppraisalGrade.member)]

    # -- read models of the 组织生活会, 整改 and 民主评议 screens ----------------------------

    def org_life_sheet(self, actor: Actor, meeting_id: int) -> OrgLifeSheet:
        """One 组织生活会 as its screen shows it: the roll (for picking names), the problem
        list, criticism and self-criticism, this round's 整改清单, and whether the actor
        may write to it now; with the 回头看 list (``review_list``)."""
        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            g = self.grants(actor)
            g.check("minutes.org_life_sheet", meeting_target(row))
            review = tuple(self.review_list(actor, meeting_id))
            roll = tuple(
                m.Attendance.select(m.Attendance.member, m.Member.name)
                .join(m.Member, on=(m.Attendance.member == m.Member.id))
                .where(m.Attendance.meeting == row.id)
                .order_by(m.Member.id).tuples()
            )
            problems = tuple(
                ProblemEntry(pid, mid, text) for pid, mid, text in
                m.Problem.select(m.Problem.id, m.Problem.member, m.Problem.text)
                .where(m.Problem.meeting == row.id).order_by(m.Problem.id).tuples()
            )
            criticisms = tuple(
                CriticismEntry(cid, fr, to, text) for cid, fr, to, text in
                m.Criticism.select(m.Criticism.id, m.Criticism.from_member,
                                   m.Criticism.to_member, m.Criticism.text)
                .where(m.Criticism.meeting == row.id).order_by(m.Criticism.id).tuples()
            )
            items = tuple(convert.rectification(r) for r in m.Rectification.select().where(
                m.Rectification.meeting == row.id).order_by(m.Rectification.id))
            is_org_life = m.MeetingObligation.select().where(
                (m.MeetingObligation.meeting == row.id)
                & (m.MeetingObligation.obligation == Obligation.ORG_LIFE.value)
            ).exists()
            ids = ({p.member_id for p in problems} | {i.owner_id for i in items + review}
                   | {i.verified_by for i in items + review}
                   | {x.from_id for x in criticisms} | {x.to_id for x in criticisms})
            return OrgLifeSheet(
                meeting=convert.meeting(row, with_agenda=False),
                roll=roll,
                problems=problems,
                criticisms=criticisms,
                items=items,
                review=review,
                names=_names(ids, dict(roll)),
                is_org_life=is_org_life,
                can_write=(is_org_life and row.status == MeetingStatus.OPEN.value
                           and g.allows("minutes.add_problem", meeting_target(row))),
            )

    def tracker(self, actor: Actor, branch_id: int | None = None, *,
                owner_id: int | None = None, status: RectStatus | None = None,
                overdue_on: date | None = None) -> RectTracker:
        """The 整改 tracker: the branch's items for whoever may read the branch, otherwise
        the actor's own; with the names to show, the owners to filter by, and which items
        the actor may add progress to (owner, roster officers) or verify (书记, 副书记)."""
        with self.read():
            g = self.grants(actor)
            g.check("minutes.tracker")
            scope = branch_id if branch_id is not None and g.allows(
                "minutes.rectifications", branch_target(branch_id)) else None
        items = self.rectifications(actor, scope, owner_id=owner_id if scope else None,
                                    status=status, overdue_on=overdue_on)
        with self.read():
            g = self.grants(actor)
            owners: tuple[tuple[int, str], ...] = ()
            if scope is not None:
                ids = {mid for (mid,) in m.Rectification.select(m.Rectification.owner)
                       .where((m.Rectification.branch == scope)
                              & m.Rectification.owner.is_null(False)).distinct().tuples()}
                owners = tuple(sorted(_names(ids).items(), key=lambda kv: (kv[1], kv[0])))
            branches = {i.branch_id for i in items}
            leads = {b for b in branches if g.allows("minutes.verify", branch_target(b))}
            return RectTracker(
                branch_id=scope,
                items=tuple(items),
                names=_names({i.owner_id for i in items} | {i.verified_by for i in items}),
                meetings=dict(m.Meeting.select(m.Meeting.id, m.Meeting.title).where(
                    m.Meeting.id.in_([i.meeting_id for i in items if i.meeting_id] or [0])
                ).tuples()),
                owners=owners,
                can_note=frozenset(i.id for i in items if g.allows(
                    "minutes.add_progress",
                    Target(places=((i.branch_id, None),), member=i.owner_id))),
                can_verify=frozenset(i.id for i in items if i.branch_id in leads),
                verifier=scope is not None and g.allows("minutes.verify", branch_target(scope)),
            )

    def appraisal_roster(self, actor: Actor, branch_id: int, year: int) -> AppraisalRoster:
        """民主评议 for a year: the branch's members on 31 December of that year (and anyone
        already graded), each with the saved grade; 预备党员 on that day are listed but
        not gradable. ``can_grade`` for the 书记 and 副书记."""
        if not (1921 <= year <= 2100):
            raise ValidationError("appraisal.bad_year", year=year)
        with self.read():
            g = self.grants(actor)
            g.check("minutes.appraisal_roster", branch_target(branch_id))
            day = date(year, 12, 31)
            saved = {
                mid: (Grade(gr), ver) for mid, gr, ver in m.AppraisalGrade.select(
                    m.AppraisalGrade.member, m.AppraisalGrade.grade, m.AppraisalGrade.version
                ).where((m.AppraisalGrade.branch == branch_id)
                        & (m.AppraisalGrade.year == year)).tuples()
            }
            ids = appraisal_members(branch_id, day)
            entries = tuple(sorted((
                AppraisalEntry(
                    member_id=f.member_id, name=f.name, probationary=not f.is_full_on(day),
                    grade=saved[f.member_id][0] if f.member_id in saved else None,
                    version=saved[f.member_id][1] if f.member_id in saved else None)
                for f in convert.member_facts(ids | set(saved))
            ), key=lambda e: (e.probationary, e.name, e.member_id)))
            branch_name = m.Org.select(m.Org.name).where(m.Org.id == branch_id).scalar()
            sealed = _sealed_round(branch_id, year)
            return AppraisalRoster(branch_id=branch_id, branch_name=branch_name or "",
                                   year=year, entries=entries,
                                   can_grade=g.allows("minutes.set_grades",
                                                      branch_target(branch_id)),
                                   rules=self.rules_for(branch_id, day),
                                   sealed_round=sealed[0] if sealed else None)

    # -- reading for the live minutes ------------------------------------------------------

    def people(self, actor: Actor, meeting_id: int) -> MeetingPeople:
        """For the minutes and record pages: who is who, and what the actor may do."""
        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            g = self.grants(actor)
            target = meeting_target(row)
            g.check("minutes.people", target)
            ids = {row.convener_id, row.moderator_id, row.recorder_id}
            for owner, cand in (m.Decision.select(m.Decision.follow_up_owner,
                                                  m.Decision.candidate)
                                .where(m.Decision.meeting == row.id).tuples()):
                ids.update((owner, cand))
            wanted = [i for i in ids if i is not None]
            names = dict(m.Member.select(m.Member.id, m.Member.name)
                         .where(m.Member.id.in_(wanted or [0])).tuples())
            return MeetingPeople(names=names, may_write=g.allows("minutes.add_speech", target),
                                 may_run=g.allows("meetings.open", target))

    def preview_vote(self, actor: Actor, meeting_id: int, act: Act,
                     excluded: tuple[int, ...] = ()) -> VoteBase:
        """The vote base ``record_decision`` would use now, from the attendance marked so
        far, so the screen can show the verdict while the numbers are typed."""
        with self.read():
            row = get_or_404(m.Meeting, meeting_id)
            self.grants(actor).check("minutes.preview_vote", meeting_target(row))
            base, _voters = self._vote_base(row, act, excluded)
            return base


@frozen
class ProgressNote:
    """One dated progress note of a rectification item, with its evidence."""

    id: int
    noted_at: datetime
    author_name: str
    text: str
    evidence: str


# -- read models of the 组织生活会, 整改 and 民主评议 screens ---------------------------------


def _names(ids: set[int | None], known: dict[int, str] | None = None) -> dict[int, str]:
    """Member names for ``ids`` (None skipped), reusing ``known``. Caller opens the read."""
    out = {i: known[i] for i in ids if i is not None and known and i in known}
    missing = [i for i in ids if i is not None and i not in out]
    if missing:
        out.update(m.Member.select(m.Member.id, m.Member.name)
                   .where(m.Member.id.in_(missing)).tuples())
    return out


@frozen
class ProblemEntry:
    """An entry of a 组织生活会's problem list: the branch's (member None) or a member's."""

    id: int
    member_id: int | None
    text: str


@frozen
class CriticismEntry:
    """批评 from → to; 自我批评 when both are the same member."""

    id: int
    from_id: int
    to_id: int
    text: str

    @property
    def is_self(self) -> bool:
        return self.from_id == self.to_id


@frozen
class OrgLifeSheet:
    meeting: c.Meeting
    roll: tuple[tuple[int, str], ...]  # (member id, name) of those expected, roll order
    problems: tuple[ProblemEntry, ...]
    criticisms: tuple[CriticismEntry, ...]
    items: tuple[c.Rectification, ...]  # this round's 整改清单
    review: tuple[c.Rectification, ...]  # 回头看: earlier rounds' items (``review_list``)
    names: dict[int, str]
    is_org_life: bool
    can_write: bool  # the meeting is open, is a 组织生活会, and the actor writes its minutes


@frozen
class RectTracker:
    branch_id: int | None  # None: the actor's own items
    items: tuple[c.Rectification, ...]
    names: dict[int, str]
    meetings: dict[int, str]  # meeting id -> title of the round an item came from
    owners: tuple[tuple[int, str], ...]  # every owner in the branch, for the filter
    can_note: frozenset[int]  # items the actor may add progress to
    can_verify: frozenset[int]  # items the actor may verify (对单销号) once done
    verifier: bool  # the actor leads the branch in scope


@frozen
class AppraisalEntry:
    member_id: int
    name: str
    probationary: bool  # 预备党员 on 31 December: takes part, not graded
    grade: Grade | None
    version: int | None


@frozen
class AppraisalRoster:
    branch_id: int
    branch_name: str
    year: int
    entries: tuple[AppraisalEntry, ...]
    can_grade: bool
    rules: RuleSet
    # The sealed 组织生活会 that closed this year's appraisal (title), if any: a change
    # then needs a reason and is kept as an addendum.
    sealed_round: str | None = None

    def cap(self, graded: int) -> int:
        """The most 优秀 allowed among ``graded`` members."""
        return excellent_cap(graded, self.rules)


def appraisal_members(branch_id: int, day: date) -> set[int]:
    """The branch's members on ``day`` (31 December of the appraisal year): with those
    already graded, the base of the 优秀 cap for the screen and for ``set_grades`` alike."""
    return {mid for (mid,) in m.Membership.select(m.Membership.member).where(
        (m.Membership.branch == branch_id) & (m.Membership.starts <= day)
        & (m.Membership.ends.is_null() | (m.Membership.ends > day))).tuples()}


def _sealed_round(branch_id: int, year: int) -> tuple[str, date] | None:
    """The branch's sealed 组织生活会 or 民主评议 sitting of report ``year``, if any:
    (title, day). Its seal closes the year's appraisal."""
    row = (m.Meeting.select(m.Meeting.title, m.Meeting.planned_start)
           .join(m.MeetingObligation, on=(m.MeetingObligation.meeting == m.Meeting.id))
           .where((m.Meeting.branch == branch_id) & (m.Meeting.report_year == year)
                  & (m.Meeting.status == MeetingStatus.SEALED.value)
                  & m.MeetingObligation.obligation.in_([Obligation.ORG_LIFE.value,
                                                        Obligation.APPRAISAL.value]))
           .order_by(m.Meeting.planned_start).tuples().first())
    if row is None:
        return None
    title, start = row
    return title, (date.fromisoformat(start[:10]) if isinstance(start, str) else start.date())


def rect_target(r: m.Rectification) -> Target:
    """A rectification item: its branch, and its owner (who may note progress)."""
    return Target(places=((r.branch_id, None),), member=r.owner_id)
