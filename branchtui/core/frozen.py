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
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)

_lock = threading.RLock()
_pending: dict[type, dict[str, Any]] = {}  # class -> the dataclass() options it waits for
_busy: set[type] = set()  # classes dataclass() is processing now (under the lock)
_realized: set[type] = set()  # classes whose whole MRO is processed: the fast path


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
