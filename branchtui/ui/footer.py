"""The key footer every screen shows, rebuilt only when what it shows changes.

Textual's ``Footer`` recomposes (removes and mounts one widget per key) on every
``bindings_updated`` signal, and a screen publishes that signal on each focus change, on
resume and after idle callbacks, whether or not a key appeared, vanished or changed its
label. Measured at start-up: three full rebuilds of an unchanged footer before the home
screen's data was on the terminal. This footer remembers what it last composed (the keys,
labels, enabled states and tooltips, in order) and skips a rebuild that would compose the
same thing. Use it instead of ``textual.widgets.Footer`` on every screen.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """A ``Footer`` that recomposes only when its keys changed."""

    _shown: tuple[Any, ...] | None = None  # what the last compose showed

    def _showing(self) -> tuple[Any, ...]:
        """What ``compose`` would show now: Textual's Footer builds its keys from the
        screen's active bindings, the compact flag and the command palette key."""
        keys = tuple(
            (binding.key, binding.action, binding.description, binding.key_display,
             binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.compact, self.show_command_palette, self.combine_groups

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._showing()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached or self._showing() == self._shown:
            return
        await self.recompose()
