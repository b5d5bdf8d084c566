"""One message catalogue, two languages. Chinese (zh) is the default; English (en) on
request (``--lang en``) or when the locale says so.

Messages use ``str.format`` fields: ``t("rule.quorum_met", present=16, needed=16)``.
A missing key falls back to Chinese, then to the key itself, so a gap is visible but
never a crash.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from typing import Any

from branchtui.i18n.messages import ALL

LANGUAGES = ("zh", "en")
_current = "zh"


def _merge(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for module in ALL:
        merged.update(getattr(module, lang.upper()))
    return merged


CATALOGUE: dict[str, dict[str, str]] = {lang: _merge(lang) for lang in LANGUAGES}


def detect_language(explicit: str | None = None) -> str:
    """``explicit`` wins; otherwise BRANCHTUI_LANG, then the locale (en_* means English)."""
    for candidate in (explicit, os.environ.get("BRANCHTUI_LANG")):
        if candidate:
            return "en" if candidate.lower().startswith("en") else "zh"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    # No locale variable (sshd's ForceCommand without AcceptEnv, cron): Python has coerced
    # the C locale to C.UTF-8, which locale.getlocale() reports as en_US. Ask for the name
    # as it was set instead: C is nobody's choice of English.
    loc = locale.setlocale(locale.LC_CTYPE) or ""
    return "en" if loc.lower().startswith("en") else "zh"


def set_language(lang: str) -> None:
    global _current
    _current = "en" if lang.lower().startswith("en") else "zh"


def language() -> str:
    return _current


def t(key: str, /, lang: str | None = None, **params: Any) -> str:
    """Translate ``key`` with ``params``. Parameters are inserted as plain text."""
    table = CATALOGUE[lang or _current]
    template = table.get(key) or CATALOGUE["zh"].get(key) or key
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def enum_label(value: Any, lang: str | None = None) -> str:
    """The word for an enum member: key ``enum.<ClassName>.<value>``."""
    return t(f"enum.{type(value).__name__}.{value.value}", lang=lang)


def t_params(key: str, params: Mapping[str, Any], lang: str | None = None) -> str:
    """``t`` with stored parameters (e.g. a decision's reason), whatever their names."""
    return t(key, lang=lang, **{k: v for k, v in params.items() if k != "lang"})
