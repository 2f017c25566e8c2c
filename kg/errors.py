"""The exception hierarchy; each carries the HTTP status it maps to.

>>> QueryError("bad").status
400
"""

from __future__ import annotations

__all__ = ["KGError", "ConfigError", "InputError", "OntologyError", "QueryError", "NotFoundError", "ForbiddenError"]


class KGError(Exception):
    """Base of every error edukg raises on purpose."""

    status = 500


class ConfigError(KGError):
    """A bad setting or a missing directory."""


class InputError(KGError):
    """An unreadable article; ``kg build`` reports and skips it.

    >>> str(InputError("empty file", path="a.txt", line=3))
    'a.txt:3: empty file'
    """

    status = 422

    def __init__(self, reason: str, *, path: str | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        where = path or ""
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {reason}" if where else reason)


class OntologyError(KGError):
    """An unknown edu: term or a SHACL violation summary."""


class QueryError(KGError):
    """A bad SPARQL query, unknown named query or missing parameter (HTTP 400)."""

    status = 400

    def __init__(self, message: str, *, lineno: int | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.lineno = lineno
        self.offset = offset


class ForbiddenError(KGError):
    """An operation refused by policy (updates without token, SERVICE)."""

    status = 403


class NotFoundError(KGError):
    """No such resource (HTTP 404)."""

    status = 404
