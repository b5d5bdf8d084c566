"""Messages of the meetings screens."""

ZH: dict[str, str] = {}

EN: dict[str, str] = {}
