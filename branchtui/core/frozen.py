"""``@frozen``: a frozen dataclass whose methods are generated when the class is first used.

Every core object and service result is a frozen dataclass. On Python 3.11, ``dataclass``
compiles six methods per frozen class with ``exec`` when the module is imported (~0.55 ms
a class on this machine). The app defines about 80 of them and a start of the app uses
about 20, so two thirds of that work (~30 ms of a ~500 ms start, bench/startup.py) was
spent on classes the home screen never touches.

``@frozen`` (and ``@frozen(order=True)``) is ``@dataclass(frozen=True)`` with the work
deferred: the class is processed by ``dataclasses.dataclass`` itself, unchanged, the first
time it is instantiated, pickled or copied, or asked for its fields (``dataclasses.fields``,
``replace``, ``asdict``, ``is_dataclass``) or its signature. Until then it has no instances,
so nothing can tell the difference. A subclass processes its bases first. It is
thread-safe: a class used from two threads at once is processed once, under a lock, and
no caller can see it half-done (the trigger is ``__new__``, which runs before
``__init__`` is looked up).

Type checkers see an ordinary frozen dataclass (PEP 681 ``dataclass_transform``).

What is left of processing a class is mostly CPython compiling the methods' source text
(``dataclasses`` builds it and calls ``exec``; ~60% of the time). So the compiled code is
kept, as Python keeps a module's bytecode: while a class is processed, ``dataclasses``
sees an ``exec`` that looks the exact source text up in a cache next to this module's
``.pyc`` (``__pycache__/frozen-code.<tag>/``, a file per class) and compiles only what is
not there. Same text, same compiler flags, same code object: the classes cannot tell.
Files are written at exit when something new was compiled, unless bytecode writing is off
(``PYTHONDONTWRITEBYTECODE``) or the directory is not writable; a damaged or foreign file
is ignored. A start of the app processes ~16 classes: 15-23 ms without the cache, about a
third of it with (bench/startup.py; docs/benchmarks.md).
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import inspect
import marshal
import os
import sys
import threading
from collections.abc import Callable
from types import CodeType
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)

_lock = threading.RLock()
_pending: dict[type, dict[str, Any]] = {}  # class -> the dataclass() options it waits for
_busy: set[type] = set()  # classes dataclass() is processing now (under the lock)
_realized: set[type] = set()  # classes whose whole MRO is processed: the fast path


class _CodeCache:
    """Compiled dataclass methods by their exact source text, kept across runs: one small
    file per class in a directory beside this module's ``.pyc``, so a start reads only the
    classes it uses. Used under ``_lock`` only."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self.current: str | None = None  # the class being processed: its file's name
        self.owner: int | None = None  # the thread processing it (it holds ``_lock``)
        self.files: dict[str, dict[str, CodeType]] = {}  # file name -> source -> code
        self.dirty: set[str] = set()  # files with code compiled by this process
        self.compiled = 0
        self._save_registered = False

    def path(self, name: str) -> str | None:
        return os.path.join(self.directory, name) if self.directory else None

    def _load(self, name: str) -> dict[str, CodeType]:
        path = self.path(name)
        if path:
            # Missing, damaged, another Python's: start empty, compile, replace it.
            with contextlib.suppress(Exception), open(path, "rb") as f:
                if f.read(len(_MAGIC)) == _MAGIC:
                    data = marshal.loads(f.read())
                    if isinstance(data, dict):
                        return {k: v for k, v in data.items()
                                if isinstance(k, str) and isinstance(v, CodeType)}
        return {}

    def code(self, source: str) -> CodeType:
        name = self.current or "_"
        codes = self.files.get(name)
        if codes is None:
            codes = self.files[name] = self._load(name)
        code = codes.get(source)
        if code is None:
            # exec() of a string inherits the caller's __future__ flags: dataclasses has
            # none, and this module's ``annotations`` must not leak into the methods.
            code = codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            self.compiled += 1
            self.dirty.add(name)
            if not self._save_registered and self.directory and not sys.dont_write_bytecode:
                self._save_registered = True
                atexit.register(self.save)
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """``exec`` as ``dataclasses`` calls it, with the compiled source cached; another
        thread's dataclass, made meanwhile, is compiled as usual and not kept."""
        if isinstance(source, str) and threading.get_ident() == self.owner:
            source = self.code(source)
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """Write the files with new code (each atomically: a reader sees the old file or
        the new one, never half of it)."""
        if not self.directory:
            return
        with _lock:
            pending = {name: _MAGIC + marshal.dumps(self.files[name]) for name in self.dirty}
            self.dirty.clear()
        for name, data in pending.items():
            path = self.path(name)
            assert path is not None
            tmp = f"{path}.{os.getpid()}.tmp"
            try:
                os.makedirs(self.directory, exist_ok=True)
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except OSError:  # read-only install, full disk: the next start compiles again
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def _cache_dir() -> str | None:
    """``__pycache__/frozen-code.<tag>`` beside this module, or under
    ``sys.pycache_prefix`` as CPython places bytecode there. (Not importlib.util: that is
    an import the start-up path would otherwise not pay.)"""
    tag = sys.implementation.cache_tag
    if tag is None:  # an implementation without bytecode caching
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    prefix = sys.pycache_prefix
    base = (os.path.join(prefix, here.lstrip(os.sep)) if prefix
            else os.path.join(here, "__pycache__"))
    return os.path.join(base, f"frozen-code.{tag}")


def _file_name(klass: type) -> str:
    name = f"{klass.__module__}.{klass.__qualname__}"
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


# The exact interpreter version (code objects are not portable between them) and a
# format number of ours: another interpreter, or another layout of these files, reads as
# a miss.
_MAGIC = b"branchtui frozen-code 3 " + sys.hexversion.to_bytes(4, "big") + b"\n"
_codes = _CodeCache(_cache_dir())


@contextlib.contextmanager
def _compile_cache(klass: type) -> Any:
    """While dataclass() processes ``klass``: its module-level ``exec`` is the cached one.
    dataclasses finds ``exec`` as a global before the builtin, so this shadows nothing
    else; another thread creating a dataclass meanwhile gets the builtin's behaviour."""
    before = vars(dataclasses).get("exec")  # ours when nested; else none
    current, _codes.current = _codes.current, _file_name(klass)
    owner, _codes.owner = _codes.owner, threading.get_ident()
    dataclasses.exec = _codes.exec  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _codes.current, _codes.owner = current, owner
        if before is None:
            del dataclasses.exec  # type: ignore[attr-defined]
        else:
            dataclasses.exec = before  # type: ignore[attr-defined]


def realize(cls: type) -> None:
    """Generate the dataclass methods of ``cls`` and of its pending bases, if not done."""
    if cls in _realized:
        return
    with _lock:
        for klass in reversed(cls.__mro__):  # bases first: dataclass() reads their fields
            options = _pending.pop(klass, None)
            if options is None:
                continue
            _busy.add(klass)
            try:
                # Sets the real __dataclass_fields__ over the placeholder below.
                with _compile_cache(klass):
                    dataclasses.dataclass(klass, frozen=True, **options)
            except BaseException:
                _pending[klass] = options  # still pending: the error repeats on each use
                raise
            finally:
                _busy.discard(klass)
        # Not while dataclass() is still at work on one of them (it asks for the signature
        # of the class it builds, which comes back here): another thread must wait.
        if not _busy.intersection(cls.__mro__):
            _realized.add(cls)


def realize_all() -> int:
    """Realize every pending class; returns how many there were (tests check that each
    one is a valid dataclass)."""
    with _lock:
        pending = list(_pending)
        for klass in pending:
            realize(klass)
        return len(pending)


def _new(cls: type, *args: Any, **kwargs: Any) -> Any:
    # Stays for good: CPython cannot take a __new__ override back (object.__new__ then
    # refuses the arguments), and the check costs ~0.1 µs a new object.
    if cls not in _realized:
        realize(cls)
    return object.__new__(cls)


class _Fields:
    """``__dataclass_fields__`` until realized (``fields``, ``replace``, ``asdict`` and
    ``is_dataclass`` read it); dataclass() then sets the real one over it."""

    def __get__(self, instance: Any, owner: type) -> Any:
        realize(owner)
        return owner.__dataclass_fields__  # type: ignore[attr-defined]


class _Signature:
    """``inspect.signature(cls)``: the generated ``__init__``'s, not ``_new``'s."""

    def __get__(self, instance: Any, owner: type) -> inspect.Signature:
        realize(owner)
        sig = inspect.signature(owner.__init__)  # type: ignore[misc]
        return sig.replace(parameters=list(sig.parameters.values())[1:])  # without self


_FIELDS, _SIGNATURE = _Fields(), _Signature()


@overload
def frozen(cls: T, /) -> T: ...


@overload
def frozen(*, order: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(cls: Any = None, /, *, order: bool = False) -> Any:
    """``@dataclass(frozen=True)`` (with ``order``), generated on first use."""

    def wrap(klass: T) -> T:
        with _lock:
            for base in klass.__mro__[1:]:  # pending bases first: dataclass() of a
                realize(base)  # subclass reads their fields
            _pending[klass] = {"order": order}
            klass.__new__ = _new  # type: ignore[assignment]
            klass.__signature__ = _SIGNATURE  # type: ignore[attr-defined]
            klass.__dataclass_fields__ = _FIELDS  # type: ignore[attr-defined]
        return klass

    return wrap if cls is None else wrap(cls)


@dataclass_transform(field_specifiers=(dataclasses.field,))
def cached_dataclass(cls: T, /) -> T:
    """``@dataclass`` for a mutable class on the start-up path: processed at once, as the
    real one is, but with its methods' compiled code taken from the cache above."""
    with _lock, _compile_cache(cls):
        return dataclasses.dataclass(cls)  # type: ignore[return-value]
