"""Picking a member by typing part of the name: the one widget every name field uses (the
speaker and the follow-up owner of the live minutes, the 组织生活会 forms, the owner filter
of the 整改 tracker). Names match as everywhere (``core.entry.match_names``): full-width
letters and stray spaces from an input method still match, names starting with what was
typed come first. Names are user text: shown through ``ui.text``, never as markup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from branchtui.core.entry import match_names, unique_match
from branchtui.core.errors import ValidationError
from branchtui.i18n import t
from branchtui.ui.text import content

DROP_DOWN_LIMIT = 8  # matches a drop-down offers: a short list under a one-line field

# (member id, or None for a guest or the "nobody" choice; name; note shown after the name)
Candidate = tuple[int | None, str, str]


class PickerInput(Input):
    """The name field of a ``MemberPicker``. Enter picks in the key's own turn and moves the
    focus on at once. A fast typist goes straight on with the remark: keys already on their
    way to this field when Enter was handled (the app sends each key to the widget focused
    when it reads it) follow the focus instead of landing in the name."""

    handoff: Widget | None = None  # where the keys go after a pick, until focused again

    async def _on_key(self, event: events.Key) -> None:
        target = self.handoff
        # Not self.has_focus: that follows the Blur event, which queues behind these keys.
        if target is not None and self.screen.focused is not self:
            event.stop()
            event.prevent_default()
            target._forward_event(events.Key(event.key, event.character))
            return
        if event.key == "enter":
            picker = next((a for a in self.ancestors if isinstance(a, MemberPicker)), None)
            if picker is not None:
                event.stop()
                event.prevent_default()
                picker.commit()
        # Otherwise Input's own handler runs next: Textual calls the handler of each class
        # in the MRO until one prevents the default.

    def _on_focus(self, event: events.Focus) -> None:
        self.handoff = None  # (Input's _on_focus runs after this, as above)


class MemberPicker(Vertical):
    """Type part of a name; the matching names show below the field; ↑↓ and Enter pick.

    As a list (the default), for a form: the label above the field and every match listed
    below it, ``none_label`` first while nothing is typed (a choice meaning "nobody": the
    branch, all); ↑↓ move the choice while the typing goes on, ``initial`` is chosen at the
    start, Enter goes on to the next field; ``picked()``/``require()`` read the choice.

    As a ``drop_down``, for a line of the minutes: the label beside the field, the matches
    (at most eight) only while something is typed; ↓ goes into them, Enter or a click picks
    one (``Picked``) and moves the focus to ``then``. ``allow_free`` accepts a name that is
    not on the list (an upper-level guest); ``resolve()`` says what the user meant."""

    DEFAULT_CSS = """
    MemberPicker { height: auto; }
    MemberPicker > Horizontal { height: auto; }
    MemberPicker > Horizontal > Label { width: 12; padding: 0 1 0 0; }
    MemberPicker > Horizontal > Input { width: 1fr; }
    MemberPicker.-drop-down > OptionList {
        height: auto; max-height: 5; display: none; margin: 0 0 0 12; }
    MemberPicker.-drop-down.-open > OptionList { display: block; }
    MemberPicker.-list > OptionList { height: auto; max-height: 4; border: none; padding: 0 1; }
    MemberPicker.-list > OptionList > .option-list--option-highlighted {
        background: $accent; color: $text; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    class Picked(Message):
        def __init__(self, picker: MemberPicker, member_id: int | None, name: str) -> None:
            super().__init__()
            self.picker = picker
            self.member_id = member_id
            self.name = name

        @property
        def control(self) -> MemberPicker:
            return self.picker

    def __init__(self, label: str, roll: Sequence[tuple[int, str]] = (), *,
                 placeholder: str | None = None, none_label: str | None = None,
                 initial: int | None = None, drop_down: bool = False,
                 allow_free: bool = False, then: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id, classes="-drop-down" if drop_down else "-list")
        self.label = label
        self.placeholder = t("ui_orglife.pick_hint") if placeholder is None else placeholder
        self.none_label = none_label
        self.initial = initial
        self.drop_down = drop_down
        self.allow_free = allow_free
        self.then = then
        self.candidates: list[Candidate] = [(mid, name, "") for mid, name in roll]
        self.chosen: tuple[int | None, str] | None = None
        self._shown: list[Candidate] = []
        self._shown_for = ""  # the text _shown was matched for

    def compose(self) -> ComposeResult:
        label = Label(content(self.label))
        field = PickerInput(placeholder=self.placeholder, compact=self.drop_down,
                            id=f"{self.id}-input" if self.id else None)
        if self.drop_down:
            with Horizontal():
                yield label
                yield field
        else:
            yield label
            yield field
        yield OptionList(id=f"{self.id}-list" if self.id else None)

    def on_mount(self) -> None:
        if self.drop_down:
            return
        # Tab goes from the name straight to the next field; ↑↓ choose among the matches.
        self.query_one(OptionList).can_focus = False
        self._fill("")
        for i, (mid, _name, _note) in enumerate(self._shown):
            if mid == self.initial:
                self.query_one(OptionList).highlighted = i

    @property
    def input(self) -> PickerInput:
        return self.query_one(PickerInput)

    def set_candidates(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates

    def clear(self) -> None:
        self.chosen = None
        self.input.value = ""
        self.remove_class("-open")

    def _pairs(self) -> list[tuple[int, str]]:
        return [(i, name) for i, (_mid, name, _note) in enumerate(self.candidates)]

    def _matches(self, text: str) -> list[Candidate]:
        """What the list shows for ``text``: ``none_label`` first while nothing is typed,
        then the names that match (a drop-down shows nothing until something is typed)."""
        if self.drop_down and not text.strip():
            return []
        shown: list[Candidate] = []
        if self.none_label is not None and not text.strip():
            shown.append((None, self.none_label, ""))
        limit = DROP_DOWN_LIMIT if self.drop_down else len(self.candidates)
        return shown + [self.candidates[i] for i, _name in match_names(text, self._pairs(),
                                                                          limit=limit)]

    def _fill(self, text: str) -> None:
        self._shown = self._matches(text)
        self._shown_for = text
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(content(f"{name}  {note}" if note else name))
                             for _mid, name, note in self._shown])
        if self._shown:
            options.highlighted = 0
        elif not self.drop_down:
            options.add_option(Option(content(t("ui_orglife.no_match", query=text.strip())),
                                      disabled=True))
        self.set_class(bool(self._shown), "-open")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.input.value:
            return  # stale: typed before a pick replaced the text (a fast typist)
        if self.chosen is not None and event.value == self.chosen[1]:
            return
        self.chosen = None
        self._fill(event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.commit()

    def commit(self) -> None:
        """Enter in the field. In a list: on to the next field (the highlighted name is the
        choice). In a drop-down: the highlighted match of the text as it is now (the list
        below may not have caught up with the last keys yet), else the text itself if free
        names are allowed; a name already picked just moves the focus on."""
        if not self.drop_down:
            self.screen.focus_next()
            return
        text = self.input.value
        if self.chosen is not None and self.chosen[1] == text:
            self._move_on()
            return
        current = self._shown_for == text
        shown = self._shown if current else self._matches(text)
        if shown:
            highlighted = self.query_one(OptionList).highlighted if current else None
            mid, name, _note = shown[highlighted or 0]
            self._choose(mid, name)
        elif self.allow_free and text.strip():
            self._choose(None, text.strip())

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        # In a list a click only highlights: that is the choice.
        if self.drop_down and 0 <= event.option_index < len(self._shown):
            mid, name, _note = self._shown[event.option_index]
            self._choose(mid, name)

    def action_move(self, step: int) -> None:
        """↑↓: in a list, move the choice; in a drop-down, ↓ goes into the matches (↑ is
        left to the screen, e.g. to scroll)."""
        options = self.query_one(OptionList)
        if self.drop_down:
            if step < 0:
                raise SkipAction()
            if self._shown:
                options.focus()
            return
        if not self._shown:
            return
        current = options.highlighted if options.highlighted is not None else -step
        options.highlighted = max(0, min(len(self._shown) - 1, current + step))

    def _choose(self, mid: int | None, name: str) -> None:
        self.chosen = (mid, name)
        self._shown = []
        self.remove_class("-open")
        with self.input.prevent(Input.Changed):
            self.input.value = name
        self._shown_for = name
        self.post_message(self.Picked(self, mid, name))
        self._move_on()

    def _move_on(self) -> None:
        if self.then is None:
            return
        target = self.screen.query_one(self.then)
        field = self.input
        if self.screen.focused is field:
            field.handoff = target
        self.screen.set_focus(target)  # now, not after the queued keys: see PickerInput

    def resolve(self) -> tuple[int | None, str] | None:
        """What the user meant in a drop-down: the picked name, else an exact or only
        match, else (if allowed) the text as typed."""
        text = self.input.value.strip()
        if self.chosen is not None and self.chosen[1] == text:
            return self.chosen
        hit = unique_match(text, self._pairs())
        if hit is not None:
            mid, name, _note = self.candidates[hit[0]]
            return (mid, name)
        if self.allow_free and text:
            return (None, text)
        return None

    def picked(self) -> tuple[bool, int | None]:
        """The choice in a list: (chosen?, member id or None for the ``none_label``
        choice)."""
        i = self.query_one(OptionList).highlighted
        if i is None or not (0 <= i < len(self._shown)):
            return False, None
        return True, self._shown[i][0]

    def require(self) -> int | None:
        ok, value = self.picked()
        if not ok:
            raise ValidationError("ui_orglife.pick_required", what=self.label)
        return value
