"""The member picker of the 组织生活会 forms matches names as every name field does
(core.entry.match_names): full-width letters and stray spaces from an input method still
match, names starting with what was typed come first, hostile names stay text."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, OptionList

from branchtui.ui.screens.orglife import MemberPicker
from tests.conftest import HOSTILE, HOSTILE_LINK

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
