"""Messages for compliance."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
