"""Dialogs that change a member: the member's fields (with the stale-edit choice),
exemption and 留党察看 periods, 转正, transfers, posts and SSH keys.

One generic form (``FormDialog``) does the work: labelled inputs and selects, a ``build``
function that turns what was typed into a service call (or a message saying what is wrong,
keeping the input), and a thread worker that runs the call. The dialog closes with the
call's result only when it succeeded; a refusal or a bad date leaves every field as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from branchtui.core import model as c
from branchtui.core.dates import parse_day
from branchtui.core.enums import OrgKind, PositionRole
from branchtui.core.errors import BranchError, Conflict
from branchtui.core.frozen import frozen
from branchtui.i18n import enum_label, t
from branchtui.services import MemberDraft
from branchtui.ui.bindings import Translated
from branchtui.ui.text import cell, content

GENDERS = ("男", "女")


class FormError(Exception):
    """What is wrong with the input, in the user's language; the input is kept."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@frozen
class Field:
    name: str
    label: str
    value: str = ""
    options: Sequence[tuple[str, str]] | None = None  # (shown text, value): a Select
    placeholder: str = ""
    blank: bool = True  # a Select may be left empty
    # A TextArea instead of an Input: an Input keeps only the first line of a paste, so a
    # pasted text of several lines (two SSH keys) would lose the rest without a word.
    multiline: bool = False


Build = Callable[[dict[str, str]], Callable[[], Any]]


class Saved(Message):
    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class Refused(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Conflicted(Message):
    def __init__(self, error: Conflict) -> None:
        super().__init__()
        self.error = error


# -- reading what was typed ------------------------------------------------------------------


def day(values: dict[str, str], name: str, label: str, *, required: bool = False) -> date | None:
    """The date typed in field ``name``, or a FormError naming the field and the value."""
    raw = values.get(name, "")
    try:
        return parse_day(raw, required=required)
    except ValueError:
        if not raw.strip():
            raise FormError(t("text.required", field=label)) from None
        raise FormError(t("ui_members.bad_date", field=label, value=raw.strip())) from None


def number(values: dict[str, str], name: str) -> int | None:
    raw = values.get(name, "")
    return int(raw) if raw.strip().lstrip("-").isdigit() else None


def iso(value: date | None) -> str:
    return value.isoformat() if value else ""


# -- the generic form --------------------------------------------------------------------------


class FormDialog(Translated, ModalScreen[Any]):
    """A modal form; dismisses with the service call's result when it succeeded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "ui_members.key_cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "ui_members.key_save", id="form.save"),
    ]
    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog #dialog { width: 90%; max-width: 84; height: auto; max-height: 96%;
                         background: $panel; border: round $accent; padding: 0 1; }
    FormDialog .form-label { margin: 1 0 0 0; color: $text-muted; }
    FormDialog #form-intro { margin: 1 0 0 0; height: auto; }
    FormDialog #form-error { color: $error; height: auto; margin: 1 0 0 0; }
    FormDialog TextArea { height: 6; }
    FormDialog .buttons { height: auto; margin: 1 0 0 0; }
    FormDialog .buttons Button { margin: 0 1 0 0; }
    """

    def __init__(self, title: str, fields: Sequence[Field], build: Build,
                 intro: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.build = build
        self.intro = intro

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Label(content(self.title_text), classes="section-title")
            if self.intro:
                yield Static(content(self.intro), id="form-intro")
            for f in self.fields:
                yield Label(content(f.label), classes="form-label")
                if f.options is not None:
                    yield Select([(cell(text), value) for text, value in f.options],
                                 value=f.value if f.value else Select.NULL,
                                 allow_blank=f.blank, prompt=t("ui_members.choose"),
                                 id=f"f-{f.name}")
                elif f.multiline:
                    yield TextArea(f.value, soft_wrap=True, tab_behavior="focus",
                                   placeholder=f.placeholder, id=f"f-{f.name}")
                else:
                    yield Input(value=f.value, placeholder=f.placeholder, id=f"f-{f.name}")
            yield Static(id="form-error")
            with Horizontal(classes="buttons"):
                yield Button(t("ui_members.save"), id="form-save", variant="primary")
                yield Button(t("ui_members.cancel"), id="form-cancel")

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#f-{self.fields[0].name}").focus()

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.name}")
            if isinstance(widget, Select):
                out[f.name] = "" if widget.is_blank() else str(widget.value)
            elif isinstance(widget, TextArea):
                out[f.name] = widget.text
            else:
                assert isinstance(widget, Input)
                out[f.name] = widget.value
        return out

    def set_values(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Select):
                widget.value = value if value else Select.NULL
            elif isinstance(widget, Input):
                widget.value = value
            elif isinstance(widget, TextArea):
                widget.load_text(value)

    def show_error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(content(text))

    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        try:
            call = self.build(self.values())
        except FormError as exc:
            self.show_error(exc.text)
            return
        except BranchError as exc:
            self.show_error(exc.message())
            return
        self.query_one("#form-save", Button).disabled = True
        self.show_error("")
        self._run(call)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _run(self, call: Callable[[], Any]) -> None:
        """Run the service call off the event loop; only posts messages."""
        try:
            self.post_message(Saved(call()))
        except Conflict as exc:
            self.post_message(Conflicted(exc))
        except BranchError as exc:
            self.post_message(Refused(exc.message()))
        except Exception as exc:
            self.post_message(Refused(t("ui.unexpected", detail=type(exc).__name__)))

    def on_saved(self, message: Saved) -> None:
        # None means cancelled to the caller; a write that returns nothing still succeeded.
        self.dismiss(True if message.result is None else message.result)

    def on_refused(self, message: Refused) -> None:
        self.query_one("#form-save", Button).disabled = False
        self.show_error(message.text)
        self.notify(message.text, severity="error", markup=False, timeout=8)

    def on_conflicted(self, message: Conflicted) -> None:
        self.query_one("#form-save", Button).disabled = False
        self.show_error(message.error.message())


# -- the member's fields, with the stale-edit choice -------------------------------------------

MEMBER_FIELDS = ("name", "gender", "birth_date", "phone", "login", "admitted")


def _member_values(mem: c.Member) -> dict[str, str]:
    return {"name": mem.name, "gender": mem.gender or "", "birth_date": iso(mem.birth_date),
            "phone": mem.phone or "", "login": mem.login or "", "admitted": iso(mem.admitted)}


def _labels() -> dict[str, str]:
    return {"name": t("field.name"), "gender": t("field.gender"),
            "birth_date": t("ui_members.field_birth"), "phone": t("field.phone"),
            "login": t("ui_members.field_login"), "admitted": t("ui_members.field_admitted")}


def _draft(values: dict[str, str], base: c.Member | None) -> MemberDraft:
    labels = _labels()
    return MemberDraft(
        name=values["name"], login=values["login"] or None, gender=values["gender"] or None,
        birth_date=day(values, "birth_date", labels["birth_date"]),
        phone=values["phone"] or None,
        admitted=day(values, "admitted", labels["admitted"]),
        full_since=(base.full_since if base is not None else
                    day(values, "full_since", t("ui_members.field_full_since"))),
    )


def changes(base: c.Member, current: c.Member, mine: dict[str, str]) -> list[str]:
    """Lines saying what someone else changed since the user opened the form."""
    labels, before, after = _labels(), _member_values(base), _member_values(current)
    out = []
    for name in MEMBER_FIELDS:
        if before[name] != after[name]:
            out.append(t("ui_members.conflict_line", field=labels[name],
                         old=before[name] or t("ui_members.empty"),
                         new=after[name] or t("ui_members.empty"),
                         mine=mine.get(name) or t("ui_members.empty")))
    if base.full_since != current.full_since:
        out.append(t("ui_members.conflict_line", field=t("ui_members.field_full_since"),
                     old=iso(base.full_since) or t("ui_members.empty"),
                     new=iso(current.full_since) or t("ui_members.empty"),
                     mine=iso(base.full_since) or t("ui_members.empty")))
    return out


def _gender_options(current: str | None) -> list[tuple[str, str]]:
    words = {"男": t("ui_members.gender_male"), "女": t("ui_members.gender_female")}
    options = [(words[g], g) for g in GENDERS]
    if current and current not in GENDERS:
        options.append((current, current))
    return options


class MemberFormDialog(FormDialog):
    """Edit a member's fields (``member`` given) or add one to the branch (a new member or
    a transfer in from outside the tree). A stale edit opens ``ConflictDialog``."""

    def __init__(self, services: Any, actor: Any, member: c.Member | None = None, *,
                 branch_id: int | None = None, groups: Sequence[tuple[int, str]] = (),
                 today: date | None = None) -> None:
        self.services, self.actor, self.base = services, actor, member
        self.version = member.version if member else 0
        labels = _labels()
        values = _member_values(member) if member else {k: "" for k in MEMBER_FIELDS}
        hint = t("ui_members.date_hint")
        fields = [
            Field("name", labels["name"], values["name"]),
            Field("gender", labels["gender"], values["gender"],
                  options=_gender_options(values["gender"] or None)),
            Field("birth_date", labels["birth_date"], values["birth_date"], placeholder=hint),
            Field("phone", labels["phone"], values["phone"]),
            Field("login", labels["login"], values["login"],
                  placeholder=t("ui_members.login_hint")),
            Field("admitted", labels["admitted"], values["admitted"], placeholder=hint),
        ]
        if member is None:
            fields += [
                Field("full_since", t("ui_members.field_full_since"), placeholder=hint),
                Field("group", t("ui_members.field_group"),
                      options=[(name, str(gid)) for gid, name in groups]),
                Field("starts", t("ui_members.field_joined_branch"), iso(today),
                      placeholder=hint),
                Field("note", t("field.note"), placeholder=t("ui_members.note_in_hint")),
            ]
        self.branch_id = branch_id
        title = (t("ui_members.edit_title", name=member.name) if member
                 else t("ui_members.add_title"))
        super().__init__(title, fields, self._build)

    def _build(self, values: dict[str, str]) -> Callable[[], Any]:
        draft = _draft(values, self.base)
        svc, actor = self.services, self.actor
        if self.base is None:
            starts = day(values, "starts", t("ui_members.field_joined_branch"), required=True)
            branch_id, group_id, note = self.branch_id, number(values, "group"), values["note"]
            return lambda: svc.roster.add_member(actor, branch_id, draft, group_id=group_id,
                                                 starts=starts, note=note)
        mid, version = self.base.id, self.version
        return lambda: svc.roster.update_member(actor, mid, version, draft)

    def on_conflicted(self, message: Conflicted) -> None:
        self.query_one("#form-save", Button).disabled = False
        current = message.error.params.get("current")
        if not isinstance(current, c.Member) or self.base is None:
            self.show_error(message.error.message())
            return
        mine = self.values()
        lines = changes(self.base, current, mine)

        def chosen(choice: str | None) -> None:
            # Whatever the choice, the next save is measured against the newer version.
            self.base, self.version = current, current.version
            if choice == "mine":
                self.action_save()
            elif choice == "theirs":
                self.set_values(_member_values(current))
                self.show_error(t("ui_members.conflict_took_theirs"))
            else:
                self.show_error(t("ui_members.conflict_keep_editing"))

        self.app.push_screen(ConflictDialog(lines, current.name), chosen)


class ConflictDialog(Translated, ModalScreen[str]):
    """Someone saved this member first: show what they changed and let the user choose."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose('mine')", "ui_members.key_keep_mine", id="conflict.mine"),
        Binding("2", "choose('theirs')", "ui_members.key_take_theirs", id="conflict.theirs"),
        Binding("3,escape", "choose('back')", "ui_members.key_back_to_form", id="conflict.back"),
    ]
    DEFAULT_CSS = """
    ConflictDialog { align: center middle; }
    ConflictDialog #conflict { width: 90%; max-width: 84; height: auto; max-height: 96%;
                               background: $panel; border: round $error; padding: 0 1; }
    ConflictDialog #conflict-lines { height: auto; margin: 1 0; }
    ConflictDialog Button { width: 100%; margin: 0 0 1 0; }
    """

    def __init__(self, lines: Sequence[str], name: str) -> None:
        super().__init__()
        self.lines = list(lines)
        self.member_name = name

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="conflict"):
            yield Label(content(t("ui_members.conflict_title", name=self.member_name)),
                        classes="section-title")
            text = "\n".join(self.lines) if self.lines else t("ui_members.conflict_no_fields")
            yield Static(content(text), id="conflict-lines")
            yield Button(t("ui_members.conflict_mine"), id="mine", variant="warning")
            yield Button(t("ui_members.conflict_theirs"), id="theirs")
            yield Button(t("ui_members.conflict_back"), id="back", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "back")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


# -- the other edits ---------------------------------------------------------------------------


def period_dialog(services: Any, actor: Any, member: c.Member, kind: str,
                  today: date) -> FormDialog:
    """Add an exemption from 组织生活 (``kind`` "exemption") or a 留党察看 period."""
    hint = t("ui_members.date_hint")
    fields = [Field("starts", t("ui_members.field_starts"), iso(today), placeholder=hint),
              Field("ends", t("ui_members.field_ends_optional"), placeholder=hint),
              Field("reason", t("field.reason"),
                    placeholder=t(f"ui_members.{kind}_reason_hint"))]

    def build(values: dict[str, str]) -> Callable[[], Any]:
        starts = day(values, "starts", t("ui_members.field_starts"), required=True)
        ends = day(values, "ends", t("ui_members.field_ends_optional"))
        add = (services.roster.add_exemption if kind == "exemption"
               else services.roster.add_discipline)
        assert starts is not None
        return lambda: add(actor, member.id, starts, ends, values["reason"])

    return FormDialog(t(f"ui_members.{kind}_title", name=member.name), fields, build,
                      intro=t(f"ui_members.{kind}_intro"))


def end_dialog(title: str, intro: str, today: date,
               call: Callable[[date], Callable[[], Any]]) -> FormDialog:
    """Ask for the day something ends (an exemption, a 留党察看 period, a post) or takes
    effect (转正), then run ``call(day)``."""
    fields = [Field("on", t("ui_members.field_on"), iso(today),
                    placeholder=t("ui_members.date_hint"))]

    def build(values: dict[str, str]) -> Callable[[], Any]:
        on = day(values, "on", t("ui_members.field_on"), required=True)
        assert on is not None
        return call(on)

    return FormDialog(title, fields, build, intro=intro)


def transfer_dialog(services: Any, actor: Any, member: c.Member,
                    branches: Sequence[c.Org], groups: Sequence[tuple[int, str]],
                    today: date) -> FormDialog:
    """Transfer out to another branch, out of the tree, or move between the branch's
    groups. The old meetings keep their rolls (they are read for the meeting's date)."""
    here = member.branch_id
    targets = [(t("ui_members.target_group_move"), "same")]
    targets += [(b.name, str(b.id)) for b in branches
                if b.kind == OrgKind.BRANCH and b.id != here]
    targets.append((t("ui_members.target_out"), "out"))
    fields = [
        Field("target", t("ui_members.field_target"), options=targets, blank=False,
              value="same"),
        Field("group", t("ui_members.field_new_group"),
              options=[(name, str(gid)) for gid, name in groups if gid != member.group_id]),
        Field("on", t("ui_members.field_transfer_on"), iso(today),
              placeholder=t("ui_members.date_hint")),
        Field("note", t("field.note"), placeholder=t("ui_members.note_out_hint")),
    ]

    def build(values: dict[str, str]) -> Callable[[], Any]:
        on = day(values, "on", t("ui_members.field_transfer_on"), required=True)
        target, group = values["target"], number(values, "group")
        if target == "same":
            if group is None:
                raise FormError(t("ui_members.choose_group"))
            to_branch: int | None = here
        elif target == "out":
            to_branch, group = None, None
        else:
            to_branch, group = int(target), None
        assert on is not None
        return lambda: services.roster.transfer(actor, member.id, on, to_branch_id=to_branch,
                                                to_group_id=group, note=values["note"])

    return FormDialog(t("ui_members.transfer_title", name=member.name), fields, build,
                      intro=t("ui_members.transfer_intro"))


APPOINTABLE = [r for r in PositionRole if r != PositionRole.VIEWER]


def appoint_dialog(services: Any, actor: Any, member: c.Member, branch: tuple[int, str],
                   groups: Sequence[tuple[int, str]], today: date) -> FormDialog:
    """A committee post in the branch (or 党小组组长 in a group), with its term."""
    hint = t("ui_members.date_hint")
    orgs = [(branch[1], str(branch[0]))] + [(name, str(gid)) for gid, name in groups]
    fields = [
        Field("org", t("ui_members.field_org"), str(branch[0]), options=orgs, blank=False),
        Field("role", t("ui_members.field_role"), options=[(enum_label(r), r.value)
                                                            for r in APPOINTABLE]),
        Field("starts", t("ui_members.field_term_starts"), iso(today), placeholder=hint),
        Field("ends", t("ui_members.field_term_ends"), placeholder=hint),
    ]

    def build(values: dict[str, str]) -> Callable[[], Any]:
        if not values["role"]:
            raise FormError(t("text.required", field=t("ui_members.field_role")))
        role = PositionRole(values["role"])
        org = number(values, "org") or branch[0]
        starts = day(values, "starts", t("ui_members.field_term_starts"), required=True)
        ends = day(values, "ends", t("ui_members.field_term_ends"))
        assert starts is not None
        return lambda: services.roster.appoint(actor, member.id, org, role, starts, ends)

    return FormDialog(t("ui_members.appoint_title", name=member.name), fields, build,
                      intro=t("ui_members.appoint_intro"))


def key_dialog(services: Any, actor: Any, member_id: int, name: str) -> FormDialog:
    """Register an SSH public key by pasting its line."""
    fields = [Field("key", t("ui_members.field_key"), placeholder="ssh-ed25519 AAAA… 备注",
                    multiline=True)]

    def build(values: dict[str, str]) -> Callable[[], Any]:
        text = values["key"]
        return lambda: services.roster.add_key(actor, member_id, text)

    return FormDialog(t("ui_members.key_title", name=name), fields, build,
                      intro=t("ui_members.key_intro"))


def confirm_dialog(title: str, intro: str, call: Callable[[], Any]) -> FormDialog:
    """Ask before an action that has no input (removing a key)."""
    return FormDialog(title, [], lambda _values: call, intro=intro)


__all__ = ["ConflictDialog", "Field", "FormDialog", "FormError", "MemberFormDialog",
           "appoint_dialog", "changes", "confirm_dialog", "end_dialog", "key_dialog",
           "period_dialog", "transfer_dialog"]
