"""Who is acting: the one fact every service call and every rights check starts from. A
module of its own so that the rights table (permissions) and the unit of work (base) both
use it without importing each other."""

from __future__ import annotations

from branchtui.core.frozen import frozen


@frozen
class Actor:
    """Who is acting. Built by the CLI or the SSH gateway from an authenticated identity,
    never from anything the user typed."""

    member_id: int
    name: str
    login: str | None = None
    is_admin: bool = False
    via: str = "local"  # local | ssh | demo | cli
