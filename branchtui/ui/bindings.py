"""Key bindings whose descriptions are catalogue keys, translated per instance.

Textual copies a class's merged BINDINGS into each instance (``self._bindings``) when the
node is created; ``Translated`` then replaces every description (and tooltip) that is a
catalogue key by its text in the current language. So ``BINDINGS`` can be declared once at
class level, and a screen created after ``--lang en`` (or in an English test) shows English.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.binding import Binding

from branchtui.i18n import t

# Textual's own bindings (on Screen and App) carry English words: give them catalogue keys.
TEXTUAL_WORDS = {
    "Focus Next": "ui.key_focus_next",
    "Focus Previous": "ui.key_focus_previous",
    "Copy selected text": "ui.key_copy",
    "Quit": "ui.key_quit",
    "Command palette": "ui.key_palette",
}


def _is_key(text: str) -> bool:
    return bool(text) and "." in text and " " not in text and text.isascii()


def translate(binding: Binding) -> Binding:
    if binding.description in TEXTUAL_WORDS:
        binding = dataclasses.replace(binding, description=TEXTUAL_WORDS[binding.description])
    description = t(binding.description) if _is_key(binding.description) else binding.description
    tooltip = t(binding.tooltip) if binding.tooltip and _is_key(binding.tooltip) else binding.tooltip
    if (description, tooltip) == (binding.description, binding.tooltip):
        return binding
    return dataclasses.replace(binding, description=description, tooltip=tooltip)


class Translated:
    """Mixin for App, Screen and Widget subclasses: put it first in the bases."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = self._bindings.key_to_bindings  # type: ignore[attr-defined]
        for key, bindings in table.items():
            table[key] = [translate(b) for b in bindings]


def described(node: Any) -> list[Binding]:
    """The instance's bindings that have a description, once per key (for the help)."""
    out: list[Binding] = []
    seen: set[str] = set()
    for key, bindings in node._bindings.key_to_bindings.items():
        for b in bindings:
            if b.description and key not in seen:
                seen.add(key)
                out.append(b)
    return out
