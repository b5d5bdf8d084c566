"""Which language the app starts in."""

from __future__ import annotations

import re
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


# Keys the code builds by concatenation rather than by an f-string template: a help text
# next to its command (``key + "_help"``), a vote reason's share form (``base + "_share"``),
# and the demo's persona names (``'ui.persona.' + role``).
BUILT = (re.compile(r"^(?P<base>.+)_help$"), re.compile(r"^(?P<base>.+)_share$"),
         re.compile(r"^ui\.persona\.[a-z]+$"))


def test_every_catalogue_key_is_used_somewhere() -> None:
    """A key no code asks for is a translation nobody sees (``ui.record_head`` was one): it
    misleads the next contributor into editing the wrong text. A key counts as used when
    the source names it in quotes, when an f-string template such as
    ``f"audit.action.{action}"`` can produce it, or when it is built as ``BUILT`` says."""
    from pathlib import Path

    import branchtui
    from branchtui.i18n import CATALOGUE

    root = Path(branchtui.__file__).parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py")
                       if "messages" not in p.parts)
    quoted = set(re.findall(r"[\"']([a-z_0-9]+\.[A-Za-z0-9_.]+)[\"']", source))
    templates = []
    for literal in re.findall(r'f"([^"\n]*\{[^"\n]*)"', source):
        parts = re.split(r"\{[^}]*\}", literal)
        if not re.fullmatch(r"[A-Za-z0-9_.]*", "".join(parts)):
            continue
        # a template with a dotted literal start ("enum.{...}"), or "{name}_key"
        if "." in parts[0] or (parts[0] == "" and len(parts) == 2 and parts[1]):
            templates.append(re.compile(
                "^" + "[A-Za-z0-9_.-]+".join(map(re.escape, parts)) + "$"))

    def used(key: str) -> bool:
        if key in quoted or any(p.match(key) for p in templates):
            return True
        for pattern in BUILT:
            match = pattern.match(key)
            if match and ("base" not in match.groupdict() or used(match["base"])):
                return True
        return False

    unused = sorted(k for k in CATALOGUE["zh"] if not used(k))
    assert unused == [], "\n".join(unused)
