"""Messages for recurrence."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
