"""The key footer (ui/footer.py) rebuilds only when its keys change: a focus change that
leaves the keys as they were keeps the same key widgets, while a key that becomes disabled
or appears is shown at once. Descriptions stay text."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Button, Footer
from textual.widgets._footer import FooterKey

from branchtui.ui.footer import KeyFooter
from tests.conftest import HOSTILE, HOSTILE_LINK


class Keys(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "mark", "标记" + HOSTILE_LINK),
        Binding("y", "extra", "附加" + HOSTILE),
    ]
    allowed = True
    extra = False

    def compose(self) -> ComposeResult:
        yield Button("一", id="one")
        yield Button("二", id="two")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "mark":
            return True if self.allowed else None  # None: shown, greyed out
        if action == "extra":
            return self.extra  # False: not shown at all
        return True

    def action_mark(self) -> None:
        pass

    def action_extra(self) -> None:
        pass


class Host(App):
    def on_mount(self) -> None:
        self.push_screen(Keys())


def keys(app: App) -> list[FooterKey]:
    return list(app.screen.query_one(Footer).query(FooterKey))


async def test_same_keys_no_rebuild_changed_keys_shown():
    app = Host()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, Keys)
        before = keys(app)
        assert [k.key for k in before if k.key in "xy"] == ["x"]
        assert not before[0].has_class("-disabled")

        # Focus moves: Textual publishes "bindings updated"; nothing the footer shows changed.
        await pilot.press("tab")
        await pilot.pause()
        screen.focus_next()
        await pilot.pause()
        screen.refresh_bindings()
        await pilot.pause()
        assert keys(app) == before  # the very same widgets: no rebuild

        # The key becomes disabled: shown greyed out at once.
        screen.allowed = False
        screen.refresh_bindings()
        await pilot.pause()
        after = keys(app)
        assert after != before
        mark = next(k for k in after if k.key == "x")
        assert mark.has_class("-disabled")
        # A key that appears is shown, with its description as text, not markup.
        screen.extra = True
        screen.refresh_bindings()
        await pilot.pause()
        extra = next(k for k in keys(app) if k.key == "y")
        assert extra.description == "附加" + HOSTILE
        assert ("附加" + HOSTILE)[:6] in str(extra.render())
