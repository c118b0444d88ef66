"""The one exception tree of the line; every front door maps it to its own protocol.

    DeconflictionError
    ├── InvalidInput            the caller sent something malformed (HTTP 422)
    │   ├── InvalidGeometry     a footprint that is not a usable region (HTTP 422)
    │   └── MalformedBody       a body that is not JSON at all (HTTP 400)
    ├── NotAuthenticated        no token, or a token the line does not know (HTTP 401)
    ├── PermissionDenied        a known member acting beyond its role (HTTP 403)
    ├── NotFound                absent, or not visible to the caller (HTTP 404)
    ├── AlreadyExists           a slug or id that is taken (HTTP 409)
    ├── StateConflict           the resource's state forbids the change (HTTP 409)
    ├── VersionMismatch         If-Match names a stale version (HTTP 412)
    ├── PreconditionRequired    a write that needs If-Match came without it (HTTP 428)
    ├── PayloadTooLarge         a body beyond the line's limit (HTTP 413)
    ├── BudgetExhausted         a party's budget of notice changes is spent for now (HTTP 429)
    └── RateLimited             a member, party or address past its rate (HTTP 429)

Each error carries a JSON pointer to the offending field (``""`` for the whole request) and a
reason written for a coordinator, not a programmer.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "BudgetExhausted",
    "DeconflictionError",
    "InvalidGeometry",
    "InvalidInput",
    "MalformedBody",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionRequired",
    "RateLimited",
    "StateConflict",
    "VersionMismatch",
]


class DeconflictionError(Exception):
    """Base of every error the line raises on purpose."""

    code = "error"

    def __init__(self, reason: str, pointer: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.pointer = pointer

    def at(self, prefix: str) -> DeconflictionError:
        """Return the same error with its pointer nested under ``prefix`` (e.g. ``/volumes/2``)."""
        return type(self)(self.reason, prefix + self.pointer)

    def __str__(self) -> str:
        return f"{self.pointer}: {self.reason}" if self.pointer else self.reason


class InvalidInput(DeconflictionError):
    code = "invalid_input"


class InvalidGeometry(InvalidInput):
    code = "invalid_geometry"


class MalformedBody(InvalidInput):
    code = "malformed_json"


class NotAuthenticated(DeconflictionError):
    code = "not_authenticated"


class PermissionDenied(DeconflictionError):
    code = "permission_denied"


class NotFound(DeconflictionError):
    code = "not_found"


class AlreadyExists(DeconflictionError):
    code = "already_exists"


class StateConflict(DeconflictionError):
    code = "invalid_state"


class VersionMismatch(DeconflictionError):
    code = "version_mismatch"


class PreconditionRequired(DeconflictionError):
    code = "precondition_required"


class PayloadTooLarge(DeconflictionError):
    code = "payload_too_large"


class BudgetExhausted(DeconflictionError):
    """A party has spent one of its budgets of notice changes (``domain.probing.Budgets``);
    ``retry_after_s`` says when enough of it is back for this change."""

    code = "budget_exhausted"

    def __init__(self, reason: str, pointer: str = "", *, retry_after_s: float = 1.0) -> None:
        super().__init__(reason, pointer)
        self.retry_after_s = retry_after_s

    def at(self, prefix: str) -> DeconflictionError:
        return BudgetExhausted(self.reason, prefix + self.pointer, retry_after_s=self.retry_after_s)


class RateLimited(DeconflictionError):
    """Too many requests (or bytes) for one member, party or client address; ``retry_after_s``
    says when the budget has room again."""

    code = "rate_limited"

    def __init__(self, reason: str, pointer: str = "", *, retry_after_s: float = 1.0) -> None:
        super().__init__(reason, pointer)
        self.retry_after_s = retry_after_s
