"""The live minutes' part of the meeting's life cycle: opening it (on another day than
planned, the offer to move it to today or to record it as a 补录), closing it after the
record check, and the review and the record page that follow."""

from __future__ import annotations

from branchtui.core import model as c
from branchtui.core.record_check import Finding, close_gaps
from branchtui.i18n import t
from branchtui.services.meetings import slot_today
from branchtui.ui.screens.minutes.dialogs import CloseWithGaps, Confirm, OpenOtherDay, OtherDayOffer
from branchtui.ui.screens.minutes.drafts import MinutesDrafts

# Refusals of ``open`` that the offer (``OpenOtherDay``) answers.
OTHER_DAY = ("meeting.open_early", "meeting.open_late")


class MinutesOpening(MinutesDrafts):
    """Opening and closing the meeting from ``MinutesScreen``."""

    def action_open_meeting(self) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        m = self.record.meeting if self.record is not None else None
        if m is not None and not m.entered_late \
                and m.planned_start.date() != svc.ctx.today(m.branch_id):
            # The service would refuse (a meeting is held on its day): offer the way out.
            self._offer_other_day()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.call("opened", lambda: svc.meetings.open(actor, mid))

        self.app.push_screen(Confirm(t("ui_minutes.confirm_open")), answered)

    def _offer_other_day(self) -> None:
        """Read what the offer needs (may the actor reschedule, where today's slot is,
        what else the branch has then), then ask."""
        svc, actor, mid = self.services, self.actor, self.meeting_id

        def load() -> OtherDayOffer:
            mtg = svc.meetings.get(actor, mid)
            today = svc.ctx.today(mtg.branch_id)
            start, end = slot_today(mtg.planned_start, mtg.planned_end, today,
                                    svc.ctx.now(mtg.branch_id))
            may = svc.meetings.can_schedule(actor, mtg.branch_id, mtg.group_id)
            others = (svc.meetings.overlaps(actor, mtg.branch_id, start, end, exclude_id=mid)
                      if may else [])
            return OtherDayOffer(mtg, today, start, end, may, tuple(others))

        self.call("offer", load)

    def _done_offer(self, offer: OtherDayOffer) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id

        def answered(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            what, reason = answer
            if what == "late":
                self.call("opened", lambda: svc.meetings.open(actor, mid, late_reason=reason))
                return

            def move_and_open() -> c.Meeting:
                # The normal reschedule (roll, committee, numbers), then the opening.
                mtg = svc.meetings.get(actor, mid)
                svc.meetings.reschedule(actor, mid, mtg.version, planned_start=offer.start,
                                        planned_end=offer.end)
                return svc.meetings.open(actor, mid)

            self.call("opened", move_and_open)

        self.app.push_screen(OpenOtherDay(offer), answered)

    def _done_opened(self, _meeting: c.Meeting) -> None:
        self.notify(t("ui_minutes.opened"), markup=False)
        self.record = None  # reload as if new: drafts, vote base
        self.action_refresh()

    def action_close_meeting(self) -> None:
        """The record check first: a complete record closes after a plain yes; one with
        gaps shows them and asks for the reason to close all the same."""
        svc, actor, mid = self.services, self.actor, self.meeting_id
        self._flush()
        self.call("close_check", lambda: close_gaps(svc.meetings.record(actor, mid)))

    def _done_close_check(self, gaps: list[Finding]) -> None:
        svc, actor, mid = self.services, self.actor, self.meeting_id
        if not gaps:
            def answered(yes: bool | None) -> None:
                if yes:
                    self.call("closed", lambda: svc.meetings.close(actor, mid))

            self.app.push_screen(Confirm(t("ui_minutes.confirm_close")), answered)
            return

        def reason_given(reason: str | None) -> None:
            if reason:
                self.call("closed", lambda: svc.meetings.close(actor, mid,
                                                               gaps_reason=reason))

        self.app.push_screen(CloseWithGaps(gaps), reason_given)

    def _done_closed(self, _meeting: c.Meeting) -> None:
        from branchtui.ui.screens.record import ReviewScreen

        self.notify(t("ui_minutes.closed_note"), markup=False)
        self.action_refresh()
        self.app.push_screen(ReviewScreen(self.meeting_id))

    def action_review(self) -> None:
        from branchtui.ui.screens.record import ReviewScreen

        self._flush()
        self.app.push_screen(ReviewScreen(self.meeting_id))

    def action_record(self) -> None:
        from branchtui.ui.screens.record import RecordScreen

        self._flush()
        self.app.push_screen(RecordScreen(self.meeting_id))
