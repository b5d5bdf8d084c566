"""Words for the rights audit: an action's label and a readable ``before`` / ``after``
(``login: dangyuan`` rather than ``{"login":"dangyuan"}``). Shared by the report and the
screen, so both say the same thing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from branchtui.core.enums import PositionRole

# Fields that hold an organisation's id: shown by name when the reader knows it.
ORG_FIELDS = frozenset({"branch", "group", "org"})
# The order fields are read in; others follow by name.
ORDER = {name: i for i, name in enumerate((
    "role", "login", "is_admin", "has_committee", "fingerprint", "comment", "org", "branch",
    "group", "starts", "on", "ends", "posts_ended"))}


def action_label(action: str) -> str:
    """The action in the user's language; an action without words shows as stored."""
    from branchtui.i18n import t

    key = f"audit.action.{action}"
    text = t(key)
    return action if text == key else text


def fields(raw: str) -> dict[str, Any] | None:
    """The stored canonical JSON as a dict (None when there was nothing)."""
    if not raw:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else {"value": value}


def describe(raw: str, org_names: Mapping[int, str]) -> str:
    """``raw`` (canonical JSON, "" for nothing) as ``label: value; label: value``."""
    from branchtui.i18n import t

    data = fields(raw)
    if not data:
        return ""
    # What changed first (the post, the login), where and when after; nothing said of
    # what is empty (an open-ended post has no end).
    ordered = sorted(data.items(), key=lambda kv: (ORDER.get(kv[0], len(ORDER)), kv[0]))
    return t("audit.sep").join(
        t("audit.pair", label=_label(k), value=_value(k, v, org_names))
        for k, v in ordered if v is not None)


def _label(key: str) -> str:
    from branchtui.i18n import t

    text = t(f"audit.field.{key}")
    return key if text.startswith("audit.field.") else text


def _org(value: Any, org_names: Mapping[int, str]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # An organisation the reader cannot see (a branch a member moved to) keeps its id.
        return org_names.get(value) or f"#{value}"
    return str(value)


def _value(key: str, value: Any, org_names: Mapping[int, str]) -> str:
    from branchtui.i18n import enum_label, t

    if value is None or value == "":
        return t("audit.none")
    if isinstance(value, bool):
        return t("audit.yes") if value else t("audit.no")
    if key in ORG_FIELDS:
        return _org(value, org_names)
    if key == "role":
        try:
            return enum_label(PositionRole(value))
        except ValueError:
            return str(value)
    if key == "posts_ended" and isinstance(value, list):
        if not value:
            return t("audit.none")
        return t("audit.list_sep").join(
            f"{_org(org, org_names)} {_value('role', role, org_names)}"
            for org, role in (p if isinstance(p, list) and len(p) == 2 else (p, None)
                              for p in value))
    if isinstance(value, list):
        return t("audit.list_sep").join(str(v) for v in value)
    return str(value)
