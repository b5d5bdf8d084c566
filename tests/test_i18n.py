"""Which language the app starts in."""

from __future__ import annotations

import subprocess
import sys

import pytest

from branchtui.i18n import detect_language


def test_explicit_then_variable_then_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("BRANCHTUI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert detect_language() == "en"
    assert detect_language("zh") == "zh"
    monkeypatch.setenv("BRANCHTUI_LANG", "zh")
    assert detect_language() == "zh"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("BRANCHTUI_LANG")
    assert detect_language() == "zh"


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "zh"),  # as sshd starts a ForceCommand: Python coerces C to C.UTF-8 ("en_US")
    ({"LC_CTYPE": "C.UTF-8"}, "zh"),
    ({"LANG": "C"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
])
def test_an_empty_environment_is_the_default_chinese(env: dict[str, str],
                                                      expected: str) -> None:
    """A fresh interpreter, so that the locale is set from this environment alone."""
    out = subprocess.run([sys.executable, "-c",
                          "from branchtui.i18n import detect_language as d; print(d())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected, (env, out)


def test_key_messages_exist_in_both_languages_with_the_same_fields() -> None:
    """The refusals of core.sshkeys reach secretaries in either language; a field missing
    from one translation would print as ``{bits}``."""
    import string

    from branchtui.i18n import CATALOGUE

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    keys = {k for k in CATALOGUE["zh"] if k.startswith("keys.")}
    assert {"keys.bad_key", "keys.several", "keys.extra_text", "keys.private_key",
            "keys.rsa_too_short", "keys.unsupported_type"} <= keys
    assert keys == {k for k in CATALOGUE["en"] if k.startswith("keys.")}
    for key in keys:
        assert fields(CATALOGUE["zh"][key]) == fields(CATALOGUE["en"][key]), key
    for key in ("keys.bad_key", "keys.rsa_too_short", "keys.unsupported_type"):
        for lang in ("zh", "en"):
            assert "ssh-keygen -t ed25519" in CATALOGUE[lang][key], (lang, key)


# Keys whose two translations format a date each in their own way: the caller passes every
# field either language uses.
DATE_FORMS = {"recurrence.date", "ui_attendance.roll_date", "ui_attendance.roll_date_year"}


def _fields(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _modules() -> list[object]:
    from branchtui.i18n.messages import ALL

    return list(ALL)


@pytest.mark.parametrize("module", _modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_catalogue_module_has_the_same_keys_and_fields_in_both_languages(
        module: object) -> None:
    """A key missing from one language shows its raw name; a field missing from one prints
    as ``{name}`` (or raises). Every module of the catalogue, not only the ones tested by
    hand."""
    zh: dict[str, str] = module.ZH  # type: ignore[attr-defined]
    en: dict[str, str] = module.EN  # type: ignore[attr-defined]
    assert sorted(set(zh) - set(en)) == [], "only in Chinese"
    assert sorted(set(en) - set(zh)) == [], "only in English"
    differ = {k: (_fields(zh[k]), _fields(en[k])) for k in zh
              if k not in DATE_FORMS and _fields(zh[k]) != _fields(en[k])}
    assert differ == {}


def test_no_two_catalogue_modules_define_the_same_key() -> None:
    """The catalogue merges the modules into one dict per language: a key defined twice
    silently takes the later module's text."""
    seen: dict[str, str] = {}
    twice = []
    for module in _modules():
        for key in module.ZH:  # type: ignore[attr-defined]
            if key in seen:
                twice.append((key, seen[key], module.__name__))  # type: ignore[attr-defined]
            seen[key] = module.__name__  # type: ignore[attr-defined]
    assert twice == []
