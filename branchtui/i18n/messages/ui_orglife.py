"""Messages of the orglife screens."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
