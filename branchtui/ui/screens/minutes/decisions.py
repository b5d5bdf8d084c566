"""The live minutes' decisions: the act, the tally judged by the rule set while it is
typed, the candidate, the follow-up owner and date, and saving the decision."""

from __future__ import annotations

from textual import on
from textual.widgets import Input, Select, Static, TabbedContent, TextArea

from branchtui.core import model as c
from branchtui.core.entry import counts_written, needs_candidate, parse_day, unique_match
from branchtui.core.enums import Act
from branchtui.core.errors import ValidationError
from branchtui.core.ruleset import RuleSet
from branchtui.core.votes import Tally, VoteBase, VoteOutcome, evaluate
from branchtui.i18n import t, t_params
from branchtui.services import VoteDraft
from branchtui.ui.screens.minutes.drafts import MinutesDrafts
from branchtui.ui.text import content
from branchtui.ui.widgets.member_picker import MemberPicker


class MinutesDecisions(MinutesDrafts):
    """The decisions tab of ``MinutesScreen``."""

    @property
    def meeting_rules(self) -> RuleSet:
        """The meeting's rules (its branch's on its date); the defaults until it is read."""
        return self.record.rules if self.record is not None else self.services.ctx.rules

    @property
    def act(self) -> Act:
        value = self.query_one("#act", Select).value
        return value if isinstance(value, Act) else Act.GENERAL_DECISION

    @on(Select.Changed, "#act")
    def _act_changed(self, _event: Select.Changed) -> None:
        act = self.act
        self.query_one("#candidate-row").set_class(needs_candidate(act), "-on")
        self.query_one("#written").set_class(
            counts_written(act, self.meeting_rules), "-on")
        self._load_base()

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-decision":
            self._load_base()  # attendance may have changed since

    def _load_base(self) -> None:
        """Who may vote, as marked so far, for the chosen act (kept until the new one)."""
        if self.record is None:
            return
        svc, actor, mid, act = self.services, self.actor, self.meeting_id, self.act
        if self.base_act is not act:
            self.base = None
            self._show_verdict()
        self.call("base", lambda: (act, svc.minutes.preview_vote(actor, mid, act)))

    def _done_base(self, data: tuple[Act, VoteBase]) -> None:
        act, base = data
        if act is self.act:
            self.base, self.base_act = base, act
            self._show_verdict()

    def _number(self, selector: str) -> int:
        value = self.query_one(selector, Input).value.strip()
        try:
            return int(value) if value else 0
        except ValueError:
            return 0

    def _tally(self) -> Tally:
        written = counts_written(self.act, self.meeting_rules)
        return Tally(self._number("#yes"), self._number("#no"), self._number("#abstain"),
                     self._number("#wyes") if written else 0,
                     self._number("#wno") if written else 0,
                     self._number("#wabstain") if written else 0)

    @on(Input.Changed, "#yes, #no, #abstain, #wyes, #wno, #wabstain")
    def _votes_typed(self, _event: Input.Changed) -> None:
        self._show_verdict()

    def verdict(self) -> VoteOutcome | str | None:
        """The verdict for the numbers on screen, or why there is none."""
        if self.base is None:
            return None
        try:
            return evaluate(self.act, self.base, self._tally(), self.meeting_rules)
        except ValidationError as exc:
            return exc.message()

    def _show_verdict(self) -> None:
        base_line = self.query_one("#base", Static)
        line = self.query_one("#verdict", Static)
        line.remove_class("-passed", "-failed", "-invalid")
        if self.base is None:
            base_line.update(content(t("ui_minutes.base_loading")))
            line.update("")
            return
        empty = evaluate(self.act, self.base, Tally(0, 0, 0), self.meeting_rules)
        key = ("ui_minutes.base_committee" if self.act is Act.COMMITTEE_DECISION
               else "ui_minutes.base")
        base_line.update(content(t(key, expected=self.base.entitled_expected,
                                   present=self.base.entitled_present,
                                   needed_present=empty.needed_present,
                                   needed_yes=empty.needed_yes)))
        outcome = self.verdict()
        if isinstance(outcome, str):
            line.add_class("-invalid")
            line.update(content(outcome))
        elif outcome is not None:
            line.add_class("-passed" if outcome.passed else "-failed")
            word = t("ui_minutes.passed" if outcome.passed else "ui_minutes.failed")
            line.update(content(t("ui_minutes.verdict", word=word,
                                  reason=t_params(outcome.reason_key, outcome.params))))

    def _save_decision(self) -> None:
        if self._refuse():
            return
        text = self.query_one("#decision-text", TextArea).text
        if not text.strip():
            self.notify(t("ui_minutes.empty_decision"), severity="warning", markup=False)
            self.query_one("#decision-text", TextArea).focus()
            return
        outcome = self.verdict()
        if isinstance(outcome, str):
            self.notify(outcome, severity="error", markup=False, timeout=8)
            return
        act = self.act
        candidate_name = self.query_one("#candidate", Input).value.strip()
        candidate_id = None
        if needs_candidate(act):
            if not candidate_name:
                self.notify(t("decision.candidate_required"), severity="warning",
                            markup=False)
                self.query_one("#candidate", Input).focus()
                return
            hit = unique_match(candidate_name, [(mid, name) for mid, name, _n in
                                                self.query_one("#owner", MemberPicker).candidates
                                                if mid is not None])
            if hit is not None and hit[1] == candidate_name:
                candidate_id = hit[0]
        owner_picker = self.query_one("#owner", MemberPicker)
        owner_id = None
        if owner_picker.input.value.strip():
            owner = owner_picker.resolve()
            if owner is None or owner[0] is None:
                self.notify(t("ui_minutes.bad_owner", value=owner_picker.input.value),
                            severity="error", markup=False, timeout=8)
                owner_picker.input.focus()
                return
            owner_id = owner[0]
        due_text = self.query_one("#due", Input).value.strip()
        due = None
        if due_text:
            due = parse_day(due_text)
            if due is None:
                self.notify(t("ui_minutes.bad_due", value=due_text), severity="error",
                            markup=False, timeout=8)
                self.query_one("#due", Input).focus()
                return
            assert self.record is not None
            if due < self.record.meeting.planned_start.date():
                self.notify(t("ui_minutes.due_past", value=due.isoformat()),
                            severity="error", markup=False, timeout=8)
                self.query_one("#due", Input).focus()
                return
        tally = self._tally()
        draft = VoteDraft(act=act, text=text, yes=tally.yes, no=tally.no,
                          abstain=tally.abstain, written_yes=tally.written_yes,
                          written_no=tally.written_no, written_abstain=tally.written_abstain,
                          agenda_item_id=self._item_id(self.items[self.item_index]),
                          candidate_id=candidate_id, candidate_name=candidate_name,
                          follow_up_owner_id=owner_id, follow_up_due=due)
        key = self._decision_key()
        svc, actor, mid = self.services, self.actor, self.meeting_id
        self._forget(key)

        def record() -> c.Decision:
            with self._lock:
                out = svc.minutes.record_decision(actor, mid, draft)
                svc.drafts.clear(actor, key)
                return out

        self.call("decision", record)

    def _done_decision(self, decision: c.Decision) -> None:
        area = self.query_one("#decision-text", TextArea)
        with area.prevent(TextArea.Changed):
            area.load_text("")
        for selector in ("#yes", "#no", "#abstain", "#wyes", "#wno", "#wabstain",
                         "#candidate", "#due"):
            self.query_one(selector, Input).value = ""
        self.query_one("#owner", MemberPicker).clear()
        word = t("ui_minutes.passed" if decision.passed else "ui_minutes.failed")
        self.notify(t("ui_minutes.decision_saved", word=word), markup=False)
        self.action_refresh()
