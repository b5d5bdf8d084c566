"""Forgiving input: part of a name, dates as people write them."""

from __future__ import annotations

from datetime import date

from branchtui.core.entry import match_names, parse_day, unique_match

ROLL = [(1, "张书记"), (2, "赵记录[@click=app.quit]x[/]"), (3, "孙党员（老）"), (4, "张三"),
        (5, "ＡＢ党员")]


def test_substring_of_chinese_name_prefix_first():
    assert match_names("记录", ROLL) == [(2, "赵记录[@click=app.quit]x[/]")]
    assert [v for v, _ in match_names("张", ROLL)] == [1, 4]
    assert [v for v, _ in match_names("书", ROLL)] == [1]
    # Prefix matches first, then containing ones.
    assert [v for v, _ in match_names("党员", ROLL)] == [3, 5]
    assert len(match_names("", ROLL)) == 5
    assert match_names("[/]", ROLL) == [(2, "赵记录[@click=app.quit]x[/]")]


def test_full_width_and_case_fold():
    assert [v for v, _ in match_names("ab", ROLL)] == [5]
    assert [v for v, _ in match_names("（老", ROLL)] == [3]
    assert match_names("王", ROLL) == []


def test_unique_match():
    assert unique_match("赵", ROLL) == (2, "赵记录[@click=app.quit]x[/]")
    assert unique_match("张", ROLL) is None  # two people
    assert unique_match("张三", ROLL) == (4, "张三")
    assert unique_match("", ROLL) is None
    assert unique_match("王", ROLL) is None


WIDE = "".join(chr(ord(ch) + 0xFEE0) for ch in "2026-12-31")  # full-width digits and dash


def test_parse_day():
    for text in ("2026-12-31", "2026/12/31", "2026.12.31", "2026年12月31日", "20261231",
                 WIDE, " 2026-12-31 "):
        assert parse_day(text) == date(2026, 12, 31), text
    assert parse_day("2026-1-5") == date(2026, 1, 5)
    for bad in ("", "2026-02-30", "明天", "12/31/2026", "2026-13-01", "[/]"):
        assert parse_day(bad) is None, bad
