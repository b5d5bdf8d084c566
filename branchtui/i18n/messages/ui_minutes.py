"""Messages of the minutes screens."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
