"""What the screens share: load data from the services in a thread worker, then render
it on the event loop; errors become a message in the user's language."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual import work
from textual.message import Message
from textual.screen import Screen

from branchtui.core.errors import BranchError
from branchtui.i18n import t
from branchtui.ui.bindings import Translated


class Loaded(Message):
    def __init__(self, tag: str, data: Any) -> None:
        super().__init__()
        self.tag = tag
        self.data = data


class Failed(Message):
    def __init__(self, tag: str, text: str) -> None:
        super().__init__()
        self.tag = tag
        self.text = text


class DataScreen(Translated, Screen):
    """A screen whose data comes from a service call run off the event loop."""

    @property
    def services(self):  # -> Services
        return self.app.services  # type: ignore[attr-defined]

    @property
    def actor(self):  # -> Actor
        return self.app.actor  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def fetch(self, tag: str, call: Callable[[], Any]) -> None:
        """Run ``call`` in a thread; post Loaded or Failed. Never touches widgets."""
        post_result(self, tag, call)

    def on_failed(self, message: Failed) -> None:
        self.notify(message.text, severity="error", markup=False, timeout=8)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return []

    def after_dialog(self, done_key: str) -> Callable[[Any], None]:
        """The callback for a dialog pushed from this screen: when it returns a result,
        say ``done_key`` and reload the screen (its ``action_refresh``)."""

        def done(result: Any) -> None:
            if result is not None:
                self.notify(t(done_key), markup=False)
                refresh = getattr(self, "action_refresh", None)
                if refresh is not None:
                    refresh()

        return done


def post_result(screen: DataScreen, tag: str, call: Callable[[], Any]) -> None:
    """Run ``call`` (in a worker thread) and post its result to ``screen`` as Loaded, or its
    failure as Failed in the user's language."""
    try:
        screen.post_message(Loaded(tag, call()))
    except BranchError as exc:
        screen.post_message(Failed(tag, exc.message()))
    except Exception as exc:
        screen.post_message(Failed(tag, t("ui.unexpected", detail=type(exc).__name__)))


def run_write(screen: DataScreen, tag: str, call: Callable[[], Any]) -> None:
    """Run a service write in a thread, posting Loaded/Failed like ``fetch``; not in the
    exclusive "load" group, so that a refresh cannot cancel a save."""
    screen.run_worker(partial(post_result, screen, tag, call), thread=True,
                      exit_on_error=False, group="write")
