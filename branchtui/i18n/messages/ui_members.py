"""Messages of the members screens."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
