"""What a session's own process needs from the gateway's side, without the gateway:
reading the member id from its pipe, taking the terminal, and the two-language line.

``branchtui serve`` imports asyncssh (and cryptography), about 9 MiB per process; a
session's app process never speaks SSH, so it takes these from here instead."""

from __future__ import annotations

import contextlib
import fcntl
import os
import termios
from typing import Any

from branchtui.i18n import t


def both(key: str, **params: Any) -> str:
    """One line in Chinese and English: the gateway cannot know the client's language
    (the client's environment is deliberately ignored)."""
    return f"{t(key, lang='zh', **params)} / {t(key, lang='en', **params)}"


def read_member_fd(fd: int) -> int:
    """The member id the gateway wrote into the pipe ``fd`` (``_session --member-fd``)."""
    chunks = []
    while True:
        chunk = os.read(fd, 64)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return int(b"".join(chunks).decode("ascii").strip())


def take_controlling_tty() -> None:
    """Make stdin (the pty slave) the controlling terminal of this new session, so that
    the terminal's hang-up and window changes reach this process."""
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
