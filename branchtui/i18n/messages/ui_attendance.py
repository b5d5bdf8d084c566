"""Messages of the attendance screens."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
