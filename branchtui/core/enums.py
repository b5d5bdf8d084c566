"""The vocabulary of branch life. Values are stable identifiers stored in the database;
the words shown to users come from the message catalogue (``branchtui.i18n``)."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    """Levels of the organisation tree: 街道党工委 → 社区党委 → 党总支 → 党支部 → 党小组."""

    WORK_COMMITTEE = "work_committee"  # 党工委
    PARTY_COMMITTEE = "party_committee"  # 党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    GROUP = "group"  # 党小组


class Obligation(StrEnum):
    """What a sitting can fulfil. One sitting may fulfil several (主题党日 + 党员大会 + 党课)."""

    GENERAL_MEETING = "general_meeting"  # 支部党员大会
    COMMITTEE_MEETING = "committee_meeting"  # 支部委员会
    GROUP_MEETING = "group_meeting"  # 党小组会
    PARTY_LECTURE = "party_lecture"  # 党课
    THEME_DAY = "theme_day"  # 主题党日
    ORG_LIFE = "org_life"  # 组织生活会
    APPRAISAL = "appraisal"  # 民主评议党员


class MeetingStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    SEALED = "sealed"
    CANCELLED = "cancelled"


class AttendanceStatus(StrEnum):
    PRESENT = "present"  # 出席
    LATE = "late"  # 迟到 (counts as present)
    LEAVE = "leave"  # 请假
    ABSENT = "absent"  # 缺席 (unexcused)
    EXEMPT = "exempt"  # 免 (exempt from 组织生活 on that date; not in 应到)

    @property
    def is_present(self) -> bool:
        return self in (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class LeaveKind(StrEnum):
    SICK = "sick"  # 病假
    PERSONAL = "personal"  # 事假
    OFFICIAL = "official"  # 公出
    OTHER = "other"


class MarkMethod(StrEnum):
    RECORDER = "recorder"  # marked by the recorder (or another officer) at the meeting
    SELF = "self"  # the member signed in from their own session
    LEAVE = "leave"  # set by an approved leave request
    AFTER = "after"  # marked after the meeting closed: visible as such
    SYSTEM = "system"  # computed (exempt rows)


class LeaveStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Act(StrEnum):
    """Acts voted on at a meeting; each has its own quorum and pass rule (DOMAIN.md §4)."""

    GENERAL_DECISION = "general_decision"  # 党员大会决议
    COMMITTEE_DECISION = "committee_decision"  # 支委会决定
    ELECTION = "election"  # 选举
    ADMISSION = "admission"  # 接收预备党员
    CONFIRMATION = "confirmation"  # 预备党员转正


class RectStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"


class Grade(StrEnum):
    """民主评议 grades."""

    EXCELLENT = "excellent"  # 优秀
    QUALIFIED = "qualified"  # 合格
    BASIC = "basic"  # 基本合格
    UNQUALIFIED = "unqualified"  # 不合格


class PositionRole(StrEnum):
    """Posts held in an organisation, with a term."""

    SECRETARY = "secretary"  # 书记
    DEPUTY_SECRETARY = "deputy_secretary"  # 副书记
    ORGANIZATION = "organization"  # 组织委员
    PROPAGANDA = "propaganda"  # 宣传委员
    DISCIPLINE = "discipline"  # 纪检委员
    COMMITTEE_MEMBER = "committee_member"  # 委员
    GROUP_LEADER = "group_leader"  # 党小组组长
    VIEWER = "viewer"  # upper-level read-only viewer over a subtree


class ComplianceState(StrEnum):
    MET = "met"
    OPEN = "open"  # still possible within the period
    OVERDUE = "overdue"  # the period ended (or the deadline passed) without it
    NOT_APPLICABLE = "not_applicable"


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"  # report year (组织生活会 belongs to a report year, not a calendar date)
