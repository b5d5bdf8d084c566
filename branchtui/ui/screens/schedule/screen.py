"""The schedule form: scheduling a sitting (once, or as a series), and editing or
cancelling a planned one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    Static,
)

from branchtui.core import model as c
from branchtui.core import recurrence, series
from branchtui.core.enums import Act, MeetingStatus, Obligation
from branchtui.core.errors import BranchError, Conflict, ValidationError
from branchtui.i18n import enum_label, language, t
from branchtui.services import MeetingDraft
from branchtui.ui.dialogs.cancel_meeting import CancelDialog, cancel_call
from branchtui.ui.footer import KeyFooter
from branchtui.ui.screens.base import Failed, Loaded
from branchtui.ui.screens.schedule.dialogs import ConflictDialog
from branchtui.ui.screens.schedule.fields import ScheduleFields, show_note
from branchtui.ui.screens.schedule.form import (
    END_KINDS,
    END_NEVER,
    GROUP_SERIES,
    NO_REPEAT,
    REPEAT_KINDS,
    holiday_warning,
)
from branchtui.ui.text import cell, content

# -- the form ----------------------------------------------------------------------------------


class Saved(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class SaveFailed(Message):
    def __init__(self, error: BranchError | None, text: str) -> None:
        super().__init__()
        self.error = error
        self.text = text


class ScheduleScreen(ScheduleFields):
    """Schedule a sitting of ``branch_id``, or edit the planned sitting ``meeting_id``.
    Dismissed with True when something was saved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "ui.key_back", id="schedule.back"),
        Binding("ctrl+s", "save", "ui_meetings.key_save", id="schedule.save", priority=True),
        Binding("f8", "cancel_meeting", "ui_meetings.key_cancel", id="schedule.cancel"),
        Binding("delete", "remove_agenda", "ui_meetings.key_remove_agenda",
                id="schedule.remove_agenda", show=False),
    ]
    DEFAULT_CSS = """
    ScheduleScreen #form { padding: 0 1; }
    ScheduleScreen .row { height: auto; margin: 0 0 0 0; }
    ScheduleScreen .row > Label { width: 10; padding: 0 1 0 0; text-style: bold; }
    ScheduleScreen .row > Input, ScheduleScreen .row > Select { width: 1fr; }
    ScheduleScreen #kinds { grid-size: 4; grid-gutter: 0 0; height: auto; width: 1fr; }
    ScheduleScreen #kinds Checkbox { width: 100%; padding: 0; }
    ScheduleScreen #people > Select { width: 1fr; margin: 0 1 0 0; }
    ScheduleScreen #date, ScheduleScreen #start, ScheduleScreen #end { width: 1fr; margin: 0 1 0 0; }
    ScheduleScreen #agenda { height: auto; max-height: 8; margin: 0 0 0 10; }
    ScheduleScreen #agenda-title { width: 2fr; margin: 0 1 0 0; }
    ScheduleScreen #agenda-act { width: 1fr; }
    ScheduleScreen #rec-params > *, ScheduleScreen #rec-end-row > Select,
    ScheduleScreen #rec-end-row > Input { width: 1fr; margin: 0 1 0 0; }
    ScheduleScreen .note { height: auto; margin: 0 0 0 10; }
    ScheduleScreen .warning { color: $warning; height: auto; }
    ScheduleScreen .-empty { display: none; }
    ScheduleScreen #buttons { height: auto; margin: 1 0 0 0; }
    ScheduleScreen #buttons Button { margin: 0 1 0 0; }
    ScheduleScreen RadioSet { height: auto; }
    ScheduleScreen .-hidden { display: none; }
    """

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(id="mode", classes="who")
            with Horizontal(classes="row"):
                yield Label(t("ui_meetings.f_kinds"))
                with Grid(id="kinds"):
                    for o in Obligation:
                        yield Checkbox(enum_label(o), value=o is Obligation.THEME_DAY,
                                       id=f"ob-{o.value}", compact=True)
            yield Static(id="kinds-note", classes="warning note -empty")
            with Horizontal(classes="row"):
                yield Label(t("ui_meetings.f_group"))
                yield Select([], prompt=t("ui_meetings.whole_branch"), id="group", compact=True)
            with Horizontal(classes="row"):
                yield Label(t("field.title"))
                yield Input(id="title", compact=True)
            yield Static(id="title-note", classes="note -empty")
            with Horizontal(classes="row"):
                yield Label(t("ui_meetings.f_when"))
                yield Input(placeholder=t("ui_meetings.date_hint"), id="date", compact=True)
                yield Input(placeholder=t("ui_meetings.start_hint"), id="start", compact=True)
                yield Input(placeholder=t("ui_meetings.end_hint"), id="end", compact=True)
            yield Static(id="when-error", classes="error note -empty")
            # A start already past: the sitting is entered after the fact (补录).
            with Horizontal(classes="row -hidden", id="late-row"):
                yield Label(t("ui_meetings.f_late"))
                yield Input(placeholder=t("ui_meetings.late_hint"), id="late-reason",
                            compact=True)
            yield Static(id="overlap", classes="warning note -empty")
            with Horizontal(classes="row"):
                yield Label(t("field.place"))
                yield Input(id="place", compact=True)
            with Horizontal(classes="row", id="people"):
                yield Label(t("ui_meetings.f_people"))
                yield Select([], prompt=t("ui_meetings.convener"), id="convener", compact=True)
                yield Select([], prompt=t("ui_meetings.moderator"), id="moderator",
                             compact=True)
                yield Select([], prompt=t("ui_meetings.recorder"), id="recorder", compact=True)
            with Horizontal(classes="row"):
                yield Label("")
                yield Checkbox(t("ui_meetings.self_signin"), id="signin", compact=True)
            with Horizontal(classes="row", id="agenda-row"):
                yield Label(t("ui_meetings.f_agenda"))
                yield Input(placeholder=t("ui_meetings.agenda_hint"), id="agenda-title",
                            compact=True)
                yield Select([(content(enum_label(a)), a.value) for a in Act],
                             prompt=t("ui_meetings.no_vote"), id="agenda-act", compact=True)
            yield DataTable(id="agenda", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="row", id="repeat-row"):
                yield Label(t("ui_meetings.f_repeat"))
                yield Select([(content(self._repeat_label(k)), str(k)) for k in REPEAT_KINDS],
                             value=NO_REPEAT, allow_blank=False, id="rec-kind", compact=True)
            with Horizontal(classes="row -hidden", id="rec-params"):
                yield Label("")
                yield Select([(content(t(f"ui_meetings.nth.{n}")), n) for n in (1, 2, 3, 4, -1)],
                             value=1, allow_blank=False, id="rec-n", compact=True)
                yield Select([(content(t(f"recurrence.weekday.{d}")), d) for d in range(7)],
                             value=4, allow_blank=False, id="rec-wd", compact=True)
                yield Input(placeholder=t("ui_meetings.month_day_hint"), id="rec-day",
                            compact=True)
                yield Input(placeholder=t("ui_meetings.rrule_hint"), id="rec-rule",
                            compact=True)
            with Horizontal(classes="row -hidden", id="rec-end-row"):
                yield Label(t("ui_meetings.f_end"))
                yield Select([(content(t(f"ui_meetings.end_{k}")), k) for k in END_KINDS],
                             value=END_NEVER, allow_blank=False, id="rec-end-kind",
                             compact=True)
                yield Input(id="rec-end", compact=True, classes="-hidden")
            yield Static(id="rec-describe", classes="note -empty")
            yield Static(id="rec-preview", classes="note -empty")
            with Horizontal(classes="row -hidden", id="scope-row"):
                yield Label(t("ui_meetings.f_scope"))
                with RadioSet(id="edit-scope"):
                    yield RadioButton(t("ui_meetings.scope_one"), value=True, id="scope-one")
                    yield RadioButton(t("ui_meetings.scope_series"), id="scope-series")
            yield Static(id="form-error", classes="error -empty")
            with Horizontal(id="buttons"):
                yield Button(t("ui_meetings.save"), variant="primary", id="save",
                             action="screen.save")
                yield Button(t("ui_meetings.cancel_meeting"), variant="error", id="cancel",
                             action="screen.cancel_meeting", classes="-hidden")
                yield Button(t("ui.key_back"), id="back", action="screen.back")
        yield KeyFooter()

    @staticmethod
    def _repeat_label(kind: str) -> str:
        if kind == NO_REPEAT:
            return t("ui_meetings.repeat_none")
        if kind == GROUP_SERIES:
            return t("ui_meetings.repeat_groups")
        return recurrence.preset_label(kind, lang=language())

    def on_mount(self) -> None:
        agenda = self.query_one("#agenda", DataTable)
        agenda.add_columns(t("field.agenda"), t("ui_meetings.col_act"))
        self.query_one("#mode", Static).update(content(t("ui_meetings.loading")))
        if self.meeting_id is None:
            day = self.services.ctx.today(self.branch_id) + timedelta(days=7)
            self._set("#date", day.isoformat())
            self._set("#start", "14:30")
            self._set("#end", "16:30")
            self._sync_repeat_params(day)
        self._refresh_agenda()
        actor, branch_id, mid, services = self.actor, self.branch_id, self.meeting_id, self.services

        def call() -> dict[str, Any]:
            out: dict[str, Any] = {"scope": services.meetings.schedule_scope(actor, branch_id),
                                   "groups": [], "roster": []}
            if not out["scope"].any:
                return out  # the form says why; a member may not even read the roster
            out["groups"] = services.roster.groups(actor, branch_id)
            out["roster"] = services.roster.roster(actor, branch_id)
            if mid is not None:
                mtg = services.meetings.get(actor, mid)
                out["meeting"] = mtg
                if mtg.series_id is not None:
                    out["series"] = services.meetings.series_info(actor, mtg.series_id)
            return out

        self.fetch("form", call)

    def on_failed(self, message: Failed) -> None:
        # DataScreen.on_failed (the notice) runs after this: Textual calls each class's
        # handler. Calling it here too showed every error twice.
        self._say_error(message.text)
        if message.tag == "form":
            self._loaded = True
            self.query_one("#mode", Static).update(content(message.text))
            self.refresh_bindings()

    # -- filling ----------------------------------------------------------------------------

    def on_loaded(self, message: Loaded) -> None:
        if message.tag == "form":
            self._fill(message.data)
        elif message.tag == "series":
            self.series = message.data
            if self._save_after_series:
                self._save_after_series = False
                self.action_save()

    def _fill(self, data: dict[str, Any]) -> None:
        self.scope = data["scope"]
        groups: list[c.Org] = data["groups"]
        scope = self.scope
        allowed = [g for g in groups if scope.allows(g.id)]
        group_select = self.query_one("#group", Select)
        group_select.set_options([(cell(g.name), g.id) for g in allowed])
        if not scope.branch and allowed:
            group_select.value = allowed[0].id
        people = [(cell(p.name), p.id) for p in data["roster"]]
        for sel in ("#convener", "#moderator", "#recorder"):
            self.query_one(sel, Select).set_options(people)
        ids = {p.id for p in data["roster"]}
        self.meeting = data.get("meeting")
        self.series = data.get("series")
        if self.meeting is None:
            if self.actor.member_id in ids:
                self.query_one("#convener", Select).value = self.actor.member_id
                self.query_one("#moderator", Select).value = self.actor.member_id
            self.query_one("#mode", Static).update(content(t("ui_meetings.mode_new")))
            self._suggest_title()
        else:
            self._fill_meeting(self.meeting)
            self._lock_for_edit()
        self._loaded = True
        if not scope.any or (self.meeting is not None and not scope.allows(self.meeting.group_id)):
            self._say_error(t("perm.schedule"))
        self.refresh_bindings()
        self._check_overlap()
        self._sync_late()
        self.query_one("#title", Input).focus()

    def _fill_meeting(self, mtg: c.Meeting) -> None:
        for o in Obligation:
            self.query_one(f"#ob-{o.value}", Checkbox).value = o in mtg.obligations
        group = self.query_one("#group", Select)
        if mtg.group_id is not None:
            try:
                group.value = mtg.group_id
            except Exception:  # a group the editor may not pick: shown blank, not changed
                group.clear()
        self._auto_title = ""
        self._set("#title", mtg.title)
        self._set("#date", mtg.planned_start.date().isoformat())
        self._set("#start", mtg.planned_start.strftime("%H:%M"))
        self._set("#end", mtg.planned_end.strftime("%H:%M") if mtg.planned_end else "")
        self._set("#place", mtg.place)
        for sel, value in (("#convener", mtg.convener_id), ("#moderator", mtg.moderator_id),
                           ("#recorder", mtg.recorder_id)):
            widget = self.query_one(sel, Select)
            try:
                if value is not None:
                    widget.value = value
            except Exception:  # no longer on the roster: keep the stored person
                widget.clear()
        self.query_one("#signin", Checkbox).value = mtg.allow_self_signin
        self._set("#late-reason", mtg.late_reason)
        self.agenda = [(a.title, a.act) for a in mtg.agenda]
        self._refresh_agenda()
        head = t("ui_meetings.mode_edit", title=mtg.title, status=enum_label(mtg.status))
        self.query_one("#mode", Static).update(content(head))

    def _lock_for_edit(self) -> None:
        """What reschedule cannot change is shown but not editable."""
        for o in Obligation:
            self.query_one(f"#ob-{o.value}", Checkbox).disabled = True
        for sel in ("#group", "#agenda-title", "#agenda-act", "#agenda", "#rec-kind"):
            self.query_one(sel).disabled = True
        self.query_one("#repeat-row").add_class("-hidden")
        self.query_one("#cancel", Button).remove_class("-hidden")
        if self.meeting is not None and self.meeting.series_id is not None:
            self.query_one("#scope-row").remove_class("-hidden")
            if self.series is not None:
                show_note(self.query_one("#rec-describe", Static), t(
                    "ui_meetings.in_series",
                    rule=recurrence.describe(self.series.rrule, lang=language())))
        if self.meeting is not None and self.meeting.status != MeetingStatus.PLANNED:
            self._say_error(t("meeting.not_planned"))

    # -- saving -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "cancel_meeting"):
            if self.scope is None or not self.scope.any:
                return False if self._loaded else None
            if action == "cancel_meeting":
                return self.meeting is not None and self.meeting.status == MeetingStatus.PLANNED
        return True

    def _say_error(self, text: str) -> None:
        show_note(self.query_one("#form-error", Static), text)

    def _mine(self) -> dict[str, str]:
        return {"title": self._value("#title"),
                "start": f"{self._value('#date')} {self._value('#start')}",
                "end": self._value("#end"), "place": self._value("#place")}

    def action_save(self) -> None:
        if self._saving:
            return
        if self.scope is None or not self.scope.any:
            self.notify(t("perm.schedule"), severity="error", markup=False)
            return
        try:
            call = self._save_call()
        except ValidationError as exc:
            self._say_error(exc.message())
            self.notify(exc.message(), severity="error", markup=False, timeout=8)
            return
        self._saving = True
        self._say_error("")
        self._save(call)

    def _save_call(self) -> Callable[[], str]:
        """Read the form into one service call (ValidationError if it cannot be read)."""
        start, end = self._when()
        services, actor = self.services, self.actor
        title, place = self._value("#title"), self._value("#place")
        convener, moderator = self._person("#convener"), self._person("#moderator")
        recorder = self._person("#recorder")
        signin = self.query_one("#signin", Checkbox).value
        late_reason = self._value("#late-reason") if self._late() else ""
        mtg = self.meeting
        if mtg is not None:
            whole = (mtg.series_id is not None
                     and self.query_one("#scope-series", RadioButton).value)
            if whole and self.series is not None:
                info = self.series
                shift = start - mtg.planned_start

                def update_series() -> str:
                    done = services.meetings.update_series(
                        actor, info.id, info.version, title=title, place=place,
                        time_shift=shift or None)
                    return t("ui_meetings.series_saved", n=len(done))
                return update_series

            def reschedule() -> str:
                services.meetings.reschedule(
                    actor, mtg.id, mtg.version, planned_start=start, planned_end=end,
                    place=place, title=title, convener_id=convener, moderator_id=moderator,
                    recorder_id=recorder, allow_self_signin=signin,
                    late_reason=late_reason or None)
                return t("ui_meetings.saved", title=title)
            return reschedule

        kind = self._repeat_kind()
        kinds = self._kinds()
        if kind == GROUP_SERIES:
            kinds = [Obligation.GROUP_MEETING]
        draft = MeetingDraft(
            branch_id=self.branch_id, title=title, obligations=tuple(kinds),
            planned_start=start, planned_end=end, place=place,
            group_id=None if kind == GROUP_SERIES else self._group_id(),
            convener_id=convener, moderator_id=moderator, recorder_id=recorder,
            agenda=tuple(self.agenda), allow_self_signin=signin, late_reason=late_reason)
        rule = self._rule()
        if rule is None:
            def schedule() -> str:
                services.meetings.schedule(actor, draft)
                return t("ui_meetings.saved", title=title)
            return schedule
        # The messages now, not after a round trip.
        until, count = self._end()
        recurrence.validate(recurrence.with_end(rule, until=until, count=count, dtstart=start),
                            start)
        series.check_pattern(title)
        if kind == GROUP_SERIES:
            def group_series() -> str:
                made = services.meetings.create_group_series(actor, draft, rule, until=until,
                                                             count=count)
                return t("ui_meetings.group_series_saved", groups=len(made),
                         n=sum(len(one.meetings) for one in made)) + holiday_warning(
                    [note for one in made for note in one.holidays])
            return group_series

        def create_series() -> str:
            made = services.meetings.create_series(actor, draft, rule, until=until, count=count)
            return t("ui_meetings.series_created", n=len(made.meetings)) + holiday_warning(
                made.holidays)
        return create_series

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(self, call: Callable[[], str]) -> None:
        try:
            self.post_message(Saved(call()))
        except BranchError as exc:
            self.post_message(SaveFailed(exc, exc.message()))
        except Exception as exc:
            self.post_message(SaveFailed(None, t("ui.unexpected", detail=type(exc).__name__)))

    def on_saved(self, message: Saved) -> None:
        self._saving = False
        self.notify(message.text, markup=False)
        self.dismiss(True)

    def on_save_failed(self, message: SaveFailed) -> None:
        self._saving = False
        error = message.error
        if isinstance(error, Conflict):
            current = error.params.get("current")
            shown = current if isinstance(current, c.Meeting) else None
            self._say_error(message.text)
            self.app.push_screen(ConflictDialog(shown, self._mine()),
                                 lambda answer: self._resolve(answer, current))
            return
        self._say_error(message.text)
        self.notify(message.text, severity="error", markup=False, timeout=8)

    def _resolve(self, answer: str | None, current: object) -> None:
        """After a conflict: save mine over the newer version, take theirs into the form,
        or keep editing (the next save meets the same conflict and asks again)."""
        if answer == "theirs" and isinstance(current, c.Meeting):
            self.meeting = current
            self._fill_meeting(current)
            self._say_error(t("ui_meetings.took_theirs"))
        elif answer == "mine":
            if isinstance(current, c.Meeting):
                self.meeting = current
                self.action_save()
            elif self.series is not None:
                # A series' conflict carries only its version: read it again, then save.
                actor, sid = self.actor, self.series.id
                self.fetch("series", lambda: self.services.meetings.series_info(actor, sid))
                self._save_after_series = True
        else:
            self._say_error(t("ui_meetings.kept_yours"))

    _save_after_series = False

    # -- cancel and leave -------------------------------------------------------------------

    def action_cancel_meeting(self) -> None:
        mtg = self.meeting
        if mtg is None or self._saving:
            return

        def done(answer: tuple[str, bool] | None) -> None:
            if answer is None:
                return
            reason, whole = answer
            self._saving = True
            self._save(cancel_call(self.services, self.actor, mtg, reason, whole))

        self.app.push_screen(CancelDialog(mtg), done)

    def action_back(self) -> None:
        self.dismiss(False)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        cmds: list[tuple[str, str, Callable[[], Any]]] = []
        if self.scope is not None and self.scope.any:
            cmds.append((t("ui_meetings.cmd_save"), t("ui_meetings.cmd_save_help"),
                         self.action_save))
            if self.meeting is not None:
                cmds.append((t("ui_meetings.cmd_cancel"), t("ui_meetings.cmd_cancel_help"),
                             self.action_cancel_meeting))
            else:
                cmds.append((t("ui_meetings.cmd_agenda"), t("ui_meetings.cmd_agenda_help"),
                             lambda: self.query_one("#agenda-title", Input).focus()))
        cmds.append((t("ui_meetings.cmd_back"), t("ui_meetings.cmd_back_help"),
                     self.action_back))
        return cmds
