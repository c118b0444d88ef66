"""One table from the line's errors to HTTP, and the handlers that write every 4xx body.

Every error body is ``{"error", "message", "pointer", "errors"}``: a code, a sentence, the JSON
pointer to the field at fault, and (for validation) every problem found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from deconfliction import errors as e

__all__ = ["STATUS", "error_response", "install"]

STATUS: dict[type[e.DeconflictionError], int] = {
    e.InvalidInput: 422,
    e.InvalidGeometry: 422,
    e.MalformedBody: 400,
    e.NotAuthenticated: 401,
    e.PermissionDenied: 403,
    e.NotFound: 404,
    e.AlreadyExists: 409,
    e.StateConflict: 409,
    e.VersionMismatch: 412,
    e.PreconditionRequired: 428,
    e.PayloadTooLarge: 413,
    e.BudgetExhausted: 429,
    e.RateLimited: 429,
}


def error_response(
    status: int,
    code: str,
    message: str,
    pointer: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {"error": code, "message": message, "pointer": pointer, "errors": errors or []}
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts.pop(0)
        if where != "body":
            parts.insert(0, where)
    # pydantic names union branches ("list[str]", "literal['all']"); they are not fields
    parts = [
        p for p in parts if not (isinstance(p, str) and ("[" in p or p.startswith("function")))
    ]
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _message(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        ctx = err.get("ctx") or {}
        return f"the body is not valid JSON: {ctx.get('error', 'parse error')}"
    message = str(err.get("msg", "invalid value"))
    # a validator's own words (``plain_line``), without pydantic's label
    return message.removeprefix("Value error, ")


async def _on_line_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.DeconflictionError)
    status = next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 400)
    headers = None
    if isinstance(exc, (e.BudgetExhausted, e.RateLimited)):  # RFC 9110 §10.2.3: whole seconds
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    return error_response(status, exc.code, exc.reason, exc.pointer, headers=headers)


async def _on_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            # a JSON syntax error's location is a character offset, not a field
            "pointer": "" if x.get("type") == "json_invalid" else _pointer(tuple(x["loc"])),
            "message": _message(x),
        }
        for x in exc.errors()
    ]
    # a union (e.g. audience: "all" or a list) reports one error per branch; name the deepest
    first = max(problems, key=lambda p: p["pointer"].count("/"), default=None) or {
        "pointer": "",
        "message": "invalid request",
    }
    status = 400 if any(x.get("type") == "json_invalid" for x in exc.errors()) else 422
    code = "malformed_json" if status == 400 else "invalid_input"
    return error_response(status, code, first["message"], first["pointer"], problems)


def _allowed(request: Request) -> str:
    """Every method some route of this path answers (the router names only the first route's:
    FastAPI makes one route per method)."""
    path = request.url.path
    methods = {
        m
        for r in request.app.routes
        if isinstance(r, Route) and r.path_regex.match(path)
        for m in (r.methods or ())
    }
    return ", ".join(sorted(methods))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(
            405, "http_error", str(exc.detail), "", headers={"Allow": _allowed(request)}
        )
    if exc.status_code == 400:  # the framework could not decode the body
        return error_response(
            400, "malformed_json", f"the body is not valid JSON: {exc.detail}", ""
        )
    # the framework's own headers stay: a 405 says which methods are allowed (Allow)
    return error_response(exc.status_code, "http_error", str(exc.detail), "", headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.DeconflictionError, _on_line_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
