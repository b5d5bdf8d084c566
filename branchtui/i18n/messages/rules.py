"""Messages for rules."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
