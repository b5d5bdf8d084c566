"""``@frozen`` (core/frozen.py) is ``@dataclass(frozen=True)`` generated on first use:
indistinguishable from it, processed only when first needed, safe across threads, and
valid for every class of the app."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import marshal
import os
import pickle
import pkgutil
import sys
import threading
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

import branchtui
from branchtui.core import frozen as fz
from branchtui.core.frozen import frozen


@frozen
class Lazy:
    """A value."""

    name: str
    day: date
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Eager:
    """A value."""

    name: str
    day: date
    tags: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@frozen
class Undocumented:
    a: int
    b: str = "x"


@frozen(order=True)
class Ordered:
    a: int
    b: str


@frozen
class Checked:
    """Validates in __post_init__."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError("empty")


def _defined_pending() -> type:
    """A class defined now, not used yet."""

    @frozen
    class Fresh:
        x: int
        y: str = ""

    return Fresh


names = st.text(alphabet=st.characters(codec="utf-8"), max_size=20) | st.sampled_from(
    ["[/]", "[@click=app.quit]x[/]", "，。：；！？（）", "张" * 40])
days = st.dates(date(2000, 1, 1), date(2040, 12, 31))
tag_tuples = st.lists(names, max_size=3).map(tuple)


@given(names, days, tag_tuples, names, days, tag_tuples)
def test_behaves_as_a_frozen_dataclass(n1, d1, t1, n2, d2, t2):
    lazy1, lazy2 = Lazy(n1, d1, t1), Lazy(n2, d2, t2)
    eager1, eager2 = Eager(n1, d1, t1), Eager(n2, d2, t2)
    assert (lazy1 == lazy2) == (eager1 == eager2)
    assert hash(lazy1) == hash(eager1)  # same fields, same hash function
    assert repr(lazy1).replace("Lazy", "X") == repr(eager1).replace("Eager", "X")
    assert lazy1 == Lazy(n1, d1, t1, extra={"ignored": 1})  # compare=False honoured
    assert lazy1 != eager1  # another class, as dataclasses compare
    assert dataclasses.replace(lazy1, name=n2) == Lazy(n2, d1, t1)
    assert dataclasses.asdict(lazy1) == dataclasses.asdict(eager1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy1.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del lazy1.day  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(lazy1)) == lazy1
    assert copy.deepcopy(lazy1) == lazy1 and copy.copy(lazy1) == lazy1


def test_same_shape_as_dataclass():
    assert [f.name for f in dataclasses.fields(Lazy)] == [f.name for f in dataclasses.fields(Eager)]
    assert dataclasses.is_dataclass(Lazy) and Lazy.__dataclass_params__.frozen
    assert str(inspect.signature(Lazy)) == str(inspect.signature(Eager))
    assert Lazy.__match_args__ == Eager.__match_args__
    assert Undocumented(1).__doc__ == "Undocumented(a: 'int', b: 'str' = 'x')"
    assert Ordered(1, "b") < Ordered(2, "a") and sorted([Ordered(2, "a"), Ordered(1, "z")])[0].a == 1
    with pytest.raises(ValueError, match="empty"):
        Checked(2, 1)
    with pytest.raises(TypeError):
        Undocumented()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Undocumented(1, "b", 3)  # type: ignore[call-arg]


def test_processed_only_when_first_used():
    fresh = _defined_pending()
    assert fresh in fz._pending and "__init__" not in vars(fresh)
    obj = fresh(3, y="[/]")
    assert fresh not in fz._pending and "__init__" in vars(fresh)
    assert (obj.x, obj.y) == (3, "[/]")
    # Reading the fields or the signature also realizes a class, without an instance.
    other = _defined_pending()
    assert [f.name for f in dataclasses.fields(other)] == ["x", "y"]
    assert other not in fz._pending
    third = _defined_pending()
    assert list(inspect.signature(third).parameters) == ["x", "y"]


def test_subclass_of_a_pending_class_has_its_fields():
    base = _defined_pending()

    @frozen
    class Child(base):  # type: ignore[misc, valid-type]
        z: int = 0

    child = Child(1, "a", z=2)
    assert [f.name for f in dataclasses.fields(child)] == ["x", "y", "z"]
    assert child == Child(1, "a", 2) and child != base(1, "a")


def test_threads_racing_for_a_fresh_class():
    """Many threads build the first instances of fresh classes at once: each gets a whole
    object (a half-made class would give TypeError or missing fields)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(20):
            fresh = _defined_pending()
            start = threading.Barrier(8)
            got: list[object] = []
            errors: list[BaseException] = []

            def build(i: int, cls: type = fresh, barrier: threading.Barrier = start,
                      got: list[object] = got, errors: list[BaseException] = errors) -> None:
                barrier.wait()
                try:
                    got.append(cls(i, y=str(i)))
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert not errors
            assert sorted(o.x for o in got) == list(range(8))  # type: ignore[attr-defined]
    finally:
        sys.setswitchinterval(old)


def test_every_class_of_the_app_is_a_valid_frozen_dataclass():
    for mod in pkgutil.walk_packages(branchtui.__path__, "branchtui."):
        importlib.import_module(mod.name)
    fz.realize_all()
    assert not fz._pending
    classes = [k for k in fz._realized if k.__module__.startswith("branchtui.")]
    assert len(classes) > 60
    for klass in classes:
        assert dataclasses.is_dataclass(klass) and klass.__dataclass_params__.frozen, klass
        assert "__init__" in vars(klass), klass


# -- the compiled-code cache -------------------------------------------------------------------


@pytest.fixture
def code_cache(tmp_path, monkeypatch):
    """A cache of its own, in a directory under tmp_path, in place of the module's."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    cache = fz._CodeCache(str(tmp_path / "pycache" / "frozen-code.test"))
    monkeypatch.setattr(fz, "_codes", cache)
    return cache


def test_a_second_process_compiles_nothing(code_cache, monkeypatch):
    """What one run compiled, the next loads: the methods come out the same."""
    first = _defined_pending()(1, y="[@click=app.quit]x[/]")
    assert code_cache.compiled >= 5  # __init__, __repr__, __eq__, __hash__, __setattr__, ...
    code_cache.save()
    assert os.listdir(code_cache.directory) == [fz._file_name(type(first))]
    # A new process: a new cache object on the same directory, and a fresh class.
    again = fz._CodeCache(code_cache.directory)
    monkeypatch.setattr(fz, "_codes", again)
    fresh = _defined_pending()
    second = fresh(1, y="[@click=app.quit]x[/]")
    assert again.compiled == 0 and list(again.files) == [fz._file_name(fresh)]
    assert repr(second) == repr(first).replace(type(first).__qualname__, fresh.__qualname__)
    assert hash(second) == hash(first) and second == fresh(1, y="[@click=app.quit]x[/]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        second.x = 2  # type: ignore[attr-defined]


def test_cached_methods_are_what_dataclass_compiles(code_cache):
    """Annotations included: the cache compiles without this module's (or frozen.py's)
    ``from __future__ import annotations``, as dataclasses' own exec does."""
    fresh = _defined_pending()
    fresh(1)

    @dataclass(frozen=True)
    class Twin:
        x: int
        y: str = ""

    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        mine, theirs = getattr(fresh, name), getattr(Twin, name)
        assert mine.__code__.co_code == theirs.__code__.co_code, name
        assert mine.__annotations__ == theirs.__annotations__, name
    # This module's annotations are strings; compiled with frozen.py's __future__ flags
    # they would have become the names of dataclasses' locals ('_type_x') instead.
    assert fresh.__init__.__annotations__["x"] == "int"  # type: ignore[misc]


def test_a_damaged_cache_file_is_ignored_and_replaced(code_cache):
    fresh = _defined_pending()
    name = fz._file_name(fresh)
    path = code_cache.path(name)
    os.makedirs(code_cache.directory)
    with open(path, "wb") as f:
        f.write(fz._MAGIC + b"\x00garbage")
    assert fresh(5).x == 5  # type: ignore[attr-defined]
    assert code_cache.compiled >= 5
    code_cache.save()
    assert fz._CodeCache(code_cache.directory)._load(name).keys() == code_cache.files[name].keys()
    # Another interpreter's file (other magic) reads as empty, not as code.
    with open(path, "wb") as f:
        f.write(b"\x00\x00\r\n" + marshal.dumps({"x": compile("1", "<s>", "eval")}))
    assert fz._CodeCache(code_cache.directory)._load(name) == {}


def test_nothing_is_written_without_bytecode_or_a_writable_directory(code_cache, monkeypatch,
                                                                      tmp_path):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _defined_pending()(1)
    assert code_cache.compiled and not code_cache._save_registered
    # A directory it cannot make: the save gives up quietly and leaves nothing behind.
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the directory should be")
    stuck = fz._CodeCache(str(blocked / "frozen-code"))
    stuck.current = "x"
    stuck.code("y = 1")
    stuck.save()
    assert blocked.read_text().startswith("a file") and not stuck.dirty


def test_cached_dataclass_is_a_mutable_dataclass(code_cache):
    @fz.cached_dataclass
    class Box:
        items: list[str] = field(default_factory=list)
        label: str = "[/]"

    box = Box()
    box.items.append("张" * 40)
    box.label = "，。"
    assert box == Box(["张" * 40], "，。") and "Box(items=" in repr(box)
    assert [f.name for f in dataclasses.fields(Box)] == ["items", "label"]
    assert code_cache.compiled >= 3 and list(code_cache.files) == [fz._file_name(Box)]


def test_cache_directory_follows_pycache_prefix(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "pycache_prefix", None)
    beside = fz._cache_dir()
    assert beside is not None and os.path.dirname(beside) == os.path.join(
        os.path.dirname(os.path.abspath(fz.__file__)), "__pycache__")
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    under = fz._cache_dir()
    assert under is not None and under.startswith(str(tmp_path) + os.sep)
    assert under.endswith(f"frozen-code.{sys.implementation.cache_tag}")


def test_another_threads_dataclass_is_not_kept(code_cache):
    """While one thread processes a class, ``dataclasses.exec`` is the cache's for every
    thread: only the processing thread's code goes into the cache."""
    code_cache.current, code_cache.owner = "some.Class", threading.get_ident() + 1
    ns: dict[str, object] = {}
    code_cache.exec("def f():\n    return '[/]'\n", {}, ns)
    assert ns["f"]() == "[/]" and not code_cache.files  # type: ignore[operator]
    code_cache.owner = threading.get_ident()
    code_cache.exec("def g():\n    return 1\n", {}, ns)
    assert list(code_cache.files) == ["some.Class"] and code_cache.compiled == 1
