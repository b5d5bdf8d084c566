"""Messages for services."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
