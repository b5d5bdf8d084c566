"""The only door for user text into widgets. Textual parses a plain ``str`` as markup:
``"[/]"`` crashes the app and ``"[@click=app.quit]x[/]"`` becomes an action link that runs
when another user clicks it. Everything a user typed goes through these helpers."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual.content import Content

from branchtui.i18n import t


def content(value: object) -> Content:
    """For Static, Label, Button and friends."""
    return Content("" if value is None else str(value))


def assemble(*parts: str | tuple[str, str]) -> Content:
    """Plain text in pieces, some with a style (``("元旦放假", "bold $warning")``): the
    text is never read as markup."""
    return Content.assemble(*parts)


def cell(value: object, style: str = "") -> Text:
    """For DataTable cells and Tree labels (Content shows one character there)."""
    return Text("" if value is None else str(value), style=style, no_wrap=True, end="")


def when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def span(start: datetime, end: datetime | None) -> str:
    """2026-12-02 14:32至16:21: the end's date too when it falls on another day."""
    if end is None:
        return when(start)
    until = end.strftime("%H:%M") if end.date() == start.date() else when(end)
    return when(start) + t("ui_minutes.until", end=until)
