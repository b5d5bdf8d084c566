"""Messages of the mine screens."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
