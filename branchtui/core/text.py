"""Cleaning user text before it is stored. Rendering is the UI's business (never markup);
this module only guarantees that stored text has no control or escape characters and
fits its field, and says clearly when it does not fit (the caller keeps the input)."""

from __future__ import annotations

import re
import unicodedata

from branchtui.core.errors import ValidationError

# C0 and C1 controls, DEL, and the escape character; tab and newline are kept in
# multi-line text only. Bidi overrides are removed too: they can make a record read
# differently from what was stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_SINGLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

NAME_MAX = 100
TITLE_MAX = 200
TEXT_MAX = 20_000


def clean(
    value: str | None,
    *,
    field: str,
    max_len: int,
    multiline: bool = False,
    required: bool = False,
) -> str:
    """Normalise (NFC, CRLF → LF), drop control characters, strip, check length.

    Raises ValidationError ``text.required`` or ``text.too_long`` naming ``field`` (a
    catalogue key of the field's label)."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = (_CONTROL if multiline else _CONTROL_SINGLE).sub("", text).strip()
    if required and not text:
        raise ValidationError("text.required", field=field)
    if len(text) > max_len:
        raise ValidationError("text.too_long", field=field, max=max_len, length=len(text))
    return text
