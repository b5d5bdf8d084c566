"""A small terminal emulator for the e2e tests: enough of a VT100/xterm to read back what a
Textual app drew (absolute cursor moves, erases, text), so that a test can ask "what is on
the screen now", not "did these bytes ever pass by". Cell widths are Rich's, the same
measure Textual lays its screens out with (CJK two cells, ambiguous characters one)."""

from __future__ import annotations

import codecs
import re

from rich.cells import get_character_cell_size

# CSI: parameters (with private markers), intermediates, final byte.
_CSI = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])")
# OSC / DCS / APC / PM, ended by BEL or ST.
_STRING = re.compile(r"\x1b[\]P_^].*?(?:\x07|\x1b\\)", re.S)
_WIDE = ""  # the right half of a two-cell character


class Screen:
    """A grid of cells fed with the bytes a program writes to its terminal."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.grid = self._blank()
        self.x = self.y = 0
        self._saved = (0, 0)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def _blank(self) -> list[list[str]]:
        return [[" "] * self.cols for _ in range(self.rows)]

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.grid = self._blank()
        self.x = self.y = 0

    # -- reading ---------------------------------------------------------------------------

    def lines(self) -> list[str]:
        return ["".join(c for c in row if c != _WIDE).rstrip() for row in self.grid]

    def text(self) -> str:
        return "\n".join(self.lines())

    def __contains__(self, needle: str) -> bool:
        """On one line of the screen (a needle never spans two lines)."""
        return any(needle in line for line in self.lines())

    def line_with(self, needle: str) -> str | None:
        return next((line for line in self.lines() if needle in line), None)

    # -- writing ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        text = self._pending + self._decoder.decode(data)
        self._pending = ""
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "\x1b":
                if i + 1 >= n:
                    self._pending = text[i:]
                    return
                nxt = text[i + 1]
                if nxt == "[":
                    m = _CSI.match(text, i)
                    if m is None:
                        if re.fullmatch(r"\x1b\[[0-?]*[ -/]*", text[i:]):
                            self._pending = text[i:]  # cut in the middle: wait for more
                            return
                        i += 2
                        continue
                    self._csi(m.group(1), m.group(2), m.group(3))
                    i = m.end()
                elif nxt in "]P_^":
                    m = _STRING.match(text, i)
                    if m is None:
                        self._pending = text[i:]
                        return
                    i = m.end()
                elif nxt in "()*+":
                    i += 3
                elif nxt == "7":
                    self._saved = (self.x, self.y)
                    i += 2
                elif nxt == "8":
                    self.x, self.y = self._saved
                    i += 2
                elif nxt == "c":
                    self.grid, self.x, self.y = self._blank(), 0, 0
                    i += 2
                else:
                    i += 2
                continue
            i += 1
            if ch == "\r":
                self.x = 0
            elif ch == "\n":
                self._line_feed()
            elif ch == "\b":
                self.x = max(0, self.x - 1)
            elif ch == "\t":
                self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)
            elif ch < " " or ch == "\x7f":
                continue
            else:
                self._put(ch)

    def _line_feed(self) -> None:
        if self.y == self.rows - 1:
            self.grid.pop(0)
            self.grid.append([" "] * self.cols)
        else:
            self.y += 1

    def _put(self, ch: str) -> None:
        width = get_character_cell_size(ch)
        if width == 0:
            return  # combining marks: the base character is enough for reading
        if self.x + width > self.cols:
            self.x = 0
            self._line_feed()
        row = self.grid[self.y]
        if self.x > 0 and row[self.x] == _WIDE:
            row[self.x - 1] = " "  # overwriting the right half of a wide character
        row[self.x] = ch
        if width == 2:
            row[self.x + 1] = _WIDE
        self.x += width
        if self.x < self.cols and row[self.x] == _WIDE:
            row[self.x] = " "
        # At the right margin x == cols: the next character wraps (xterm's deferred wrap).

    def _csi(self, params: str, inter: str, final: str) -> None:
        if params.startswith(("?", ">", "<", "=")) or inter:
            if params in ("?1049", "?47", "?1047") and final in "hl":
                self.grid, self.x, self.y = self._blank(), 0, 0
            return  # modes, queries, keyboard protocols: nothing to draw
        args = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []

        def arg(k: int, default: int = 1) -> int:
            return args[k] if len(args) > k and args[k] else default

        if final in "Hf":
            self.y = min(self.rows, arg(0)) - 1
            self.x = min(self.cols, arg(1)) - 1
        elif final == "A":
            self.y = max(0, self.y - arg(0))
        elif final in "Be":
            self.y = min(self.rows - 1, self.y + arg(0))
        elif final in "Ca":
            self.x = min(self.cols - 1, self.x + arg(0))
        elif final == "D":
            self.x = max(0, self.x - arg(0))
        elif final in "G`":
            self.x = min(self.cols, arg(0)) - 1
        elif final == "d":
            self.y = min(self.rows, arg(0)) - 1
        elif final == "J":
            mode = arg(0, 0)
            if mode == 0:
                self.grid[self.y][self.x:] = [" "] * (self.cols - self.x)
                for r in range(self.y + 1, self.rows):
                    self.grid[r] = [" "] * self.cols
            elif mode == 1:
                for r in range(self.y):
                    self.grid[r] = [" "] * self.cols
                self.grid[self.y][: self.x + 1] = [" "] * (self.x + 1)
            else:
                self.grid = self._blank()
        elif final == "K":
            mode = arg(0, 0)
            row = self.grid[self.y]
            if mode == 0:
                row[self.x:] = [" "] * (self.cols - self.x)
            elif mode == 1:
                row[: self.x + 1] = [" "] * (self.x + 1)
            else:
                self.grid[self.y] = [" "] * self.cols
        elif final == "X":
            n = min(arg(0), self.cols - self.x)
            self.grid[self.y][self.x:self.x + n] = [" "] * n
