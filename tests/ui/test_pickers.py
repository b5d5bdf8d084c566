"""The member picker (ui.widgets.member_picker), shared by the 组织生活会 forms, the 整改
tracker and the live minutes, matches names as every name field does
(core.entry.match_names): full-width letters and stray spaces from an input method still
match, names starting with what was typed come first, hostile names stay text. Driven by
the keys at 80x24, as a list and as a drop-down."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Input, OptionList, TextArea

from branchtui.ui.widgets.member_picker import MemberPicker
from tests.conftest import FULLWIDTH, HOSTILE, HOSTILE_LINK

ROLL = [(1, "赵记录" + HOSTILE_LINK), (2, "记录员小王"), (3, "Li Ming" + HOSTILE), (4, "孙党员（老）")]


class Host(App):
    def compose(self) -> ComposeResult:
        yield MemberPicker("发言人", ROLL, none_label="（全体）", id="p")


def shown(app: Host) -> list[str]:
    options = app.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_matching_is_the_shared_rule():
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        picker = app.query_one(MemberPicker)
        assert shown(app)[0] == "（全体）" and len(shown(app)) == 5
        app.query_one(Input).value = "记录"
        await pilot.pause()
        # Starting with it first, then containing it; the "nobody" choice only when empty.
        assert shown(app) == ["记录员小王", "赵记录" + HOSTILE_LINK]
        # Full-width letters and an ideographic space, as a Chinese input method types them.
        app.query_one(Input).value = "\uff4c\uff49\u3000\uff4d"
        await pilot.pause()
        assert shown(app) == ["Li Ming" + HOSTILE]
        assert picker.picked() == (True, 3)
        app.query_one(Input).value = "没有这个人"
        await pilot.pause()
        assert picker.picked() == (False, None)
        assert app.is_running


class Form(App):
    """A list picker between two fields, and a drop-down one before a text area."""

    def __init__(self) -> None:
        super().__init__()
        self.picks: list[tuple[int | None, str]] = []

    def compose(self) -> ComposeResult:
        yield Input(id="before")
        yield MemberPicker("责任人" + HOSTILE, ROLL, none_label="（集体）", initial=2, id="owner")
        yield Input(id="after")
        yield MemberPicker("发言人" + HOSTILE, ROLL, placeholder="输入姓名" + HOSTILE,
                           drop_down=True, allow_free=True, id="speaker", then="#text")
        yield TextArea(id="text")

    def on_member_picker_picked(self, event: MemberPicker.Picked) -> None:
        self.picks.append((event.member_id, event.name))


def screen_text(widget) -> str:
    """What the widget shows, line by line, as the terminal would."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(line.text for line in lines)


async def test_a_list_picks_with_the_arrows_and_goes_on_with_enter():
    app = Form()
    async with app.run_test(size=(80, 24)) as pilot:
        owner = app.query_one("#owner", MemberPicker)
        assert owner.picked() == (True, 2)  # initial: 记录员小王
        await pilot.click("#before")
        await pilot.press("tab")
        assert app.query_one("#owner-input", Input).has_focus
        await pilot.press("up")
        assert owner.picked() == (True, 1)
        await pilot.press("up", "up")  # the first choice is "nobody", and it stops there
        assert owner.picked() == (True, None)
        await pilot.press(*"ming", "down", "down")  # one match: ↓ stays on it
        assert [str(p) for p in shown_in(owner)] == ["Li Ming" + HOSTILE]
        assert owner.picked() == (True, 3)
        assert owner.require() == 3
        await pilot.press("enter")
        assert app.query_one("#after", Input).has_focus
        assert app.query_one("#owner-input", Input).value == "ming"  # a list keeps the text
        # Nobody: the list says so and nothing is chosen; the form names the field.
        app.query_one("#owner-input", Input).value = "没有这个人" + HOSTILE
        await pilot.pause()
        assert owner.picked() == (False, None)
        assert "没有找到姓名中含“没有这个人[/]”的人" in screen_text(owner.query_one(OptionList))
        try:
            owner.require()
        except Exception as exc:  # ValidationError, worded for the form
            assert "责任人[/]" in exc.message()  # type: ignore[attr-defined]
        else:
            raise AssertionError("require() took a name that is not there")
        assert app.is_running


def shown_in(picker: MemberPicker) -> list[object]:
    options = picker.query_one(OptionList)
    return [options.get_option_at_index(i).prompt for i in range(options.option_count)]


async def test_hostile_names_are_shown_and_clicked_as_text():
    app = Form()
    async with app.run_test(size=(80, 24)) as pilot:
        owner = app.query_one("#owner", MemberPicker)
        shown = screen_text(owner.query_one(OptionList))
        assert "赵记录" + HOSTILE_LINK in shown, shown
        assert "责任人" + HOSTILE in screen_text(owner.query_one("Label"))
        speaker = app.query_one("#speaker", MemberPicker)
        assert "发言人" + HOSTILE in screen_text(speaker.query_one("Label"))
        # A click on the name would quit the app if it were read as markup (a link).
        await pilot.click("#owner-list", offset=(5, 1))  # (集体) is above it
        await pilot.pause()
        assert owner.picked() == (True, 1)
        assert app.is_running


async def test_a_drop_down_picks_with_down_up_and_enter_and_moves_on():
    app = Form()
    async with app.run_test(size=(80, 24)) as pilot:
        speaker = app.query_one("#speaker", MemberPicker)
        field = app.query_one("#speaker-input", Input)
        field.focus()
        await pilot.pause()
        assert not speaker.has_class("-open")  # nothing typed: no list
        await pilot.press(*"记录")
        assert speaker.has_class("-open")
        assert [str(p) for p in shown_in(speaker)] == ["记录员小王", "赵记录" + HOSTILE_LINK]
        await pilot.press("down")  # into the matches
        assert app.query_one("#speaker-list", OptionList).has_focus
        await pilot.press("down", "up", "down", "enter")
        assert app.picks == [(1, "赵记录" + HOSTILE_LINK)]
        assert field.value == "赵记录" + HOSTILE_LINK
        assert speaker.resolve() == (1, "赵记录" + HOSTILE_LINK)
        assert not speaker.has_class("-open")
        assert app.query_one("#text", TextArea).has_focus  # then=
        # Enter in the field takes the first match of what is typed.
        speaker.clear()
        field.focus()
        await pilot.press("孙", "enter")
        assert app.picks[-1] == (4, "孙党员（老）") and speaker.chosen == app.picks[-1]
        # A guest who is not on the roll, as typed.
        speaker.clear()
        field.focus()
        field.insert_text_at_cursor("王主任" + FULLWIDTH + HOSTILE)
        await pilot.press("enter")
        assert app.picks[-1] == (None, "王主任" + FULLWIDTH + HOSTILE)
        assert app.is_running
