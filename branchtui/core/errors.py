"""Errors that cross layers. Each carries a message key and parameters; the words come from
the catalogue (``branchtui.i18n.t``) at the edge, in the user's language."""

from __future__ import annotations

from typing import Any


class BranchError(Exception):
    """Base of every error a user may see. ``key`` names a catalogue message."""

    key = "error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key, params)

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable across processes (the default would call __init__(key, params)).
        return (_rebuild, (type(self), self.key, self.params))

    def message(self) -> str:
        """The message in the current language (imported lazily: core stays free of UI)."""
        from branchtui.i18n import t

        # Parameters that are themselves catalogue keys (field labels) are translated too.
        params = {
            k: t(v) if isinstance(v, str) and v.startswith(("field.", "enum.")) else v
            for k, v in self.params.items()
        }
        return t(self.key, **params)

    def __str__(self) -> str:
        return self.message()


def _rebuild(cls: type[BranchError], key: str, params: dict[str, Any]) -> BranchError:
    return cls(key, **params)


class ValidationError(BranchError):
    """Input that breaks a rule: a bad date, text too long, a status not allowed now."""

    key = "error.invalid"


class PermissionDenied(BranchError):
    """The actor may not do this; ``key`` says why."""

    key = "error.permission"


class NotFound(BranchError):
    key = "error.not_found"


class Conflict(BranchError):
    """A stale write: someone saved a newer version first. ``params['current']`` carries
    the newer state so that the UI can show what changed and let the user choose."""

    key = "error.conflict"


class SchemaOutOfDate(BranchError):
    key = "error.schema_old"


class NotAMember(BranchError):
    """No member is bound to this login: the app refuses to start."""

    key = "error.no_member"


class Unavailable(BranchError):
    """The database cannot be reached (or, on SQLite, stayed locked past the busy timeout)
    and the call did not change anything: the same action can simply be tried again. The
    services have already retried for a few seconds; the UI keeps the user's text."""

    key = "error.db_lost"
    retry_safe = True


class OutcomeUnknown(Unavailable):
    """The connection broke while a change was being committed: it may or may not have
    been saved. Never retried blindly: the user checks once the database is back."""

    key = "error.db_outcome_unknown"
    retry_safe = False
