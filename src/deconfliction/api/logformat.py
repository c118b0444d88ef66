"""The server's log as structlog writes it: one JSON object per line for a collector
(``serve --log-format json``, the default when standard error is not a terminal), or aligned
key=value text for a person at a terminal (``text``).

Everything goes through one handler on the root logger: the line's own structured events (one
per request, ``api/observe.py``) and every other library's records (uvicorn's, websockets',
Alembic's), which become the same JSON objects. Secrets stay out whatever the format: the
handler carries :class:`~deconfliction.api.logs.RedactSecrets`, and the last step before a line
is written redacts every string in it, tracebacks included, once they are rendered.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from deconfliction.api.logs import LOGGERS, RedactSecrets, redact, redact_server_logs

__all__ = ["LogFormat", "choose_format", "configure", "get_logger", "use_structlog"]

LogFormat = Literal["json", "text"]

_HANDLER = "deconfliction-log"
"""The name of the handler :func:`configure` puts on the root logger (and replaces)."""


def choose_format(asked: str | None, stream: TextIO | None = None) -> LogFormat:
    """``asked`` (json or text); by default text on a terminal, JSON anywhere else (a service
    manager's journal, a file, a pipe to a collector)."""
    if asked is not None:
        if asked not in ("json", "text"):
            raise ValueError(f"{asked!r} is not a log format: json or text")
        return "json" if asked == "json" else "text"
    stream = stream or sys.stderr
    return "text" if stream.isatty() else "json"


def _redact_all(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Every string of the event, rendered tracebacks included, without a token or a ticket."""
    return {k: redact(v) if isinstance(v, str) else v for k, v in event.items()}


_FIRST = ("timestamp", "level", "event", "request_id", "logger")


def _ordered(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """When, how bad and what first: a person reading the JSON finds them where they look."""
    return {
        **{k: event[k] for k in _FIRST if k in event},
        **{k: v for k, v in event.items() if k not in _FIRST},
    }


def _serialize(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)
_PRE: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    _TIMESTAMP,
    _redact_all,  # before any handler sees the event (a test's, a library's)
]


def _not_a_websocket_access_line(record: logging.LogRecord) -> bool:
    """Uvicorn writes a WebSocket's access line (``'<client address> - "WebSocket <path as
    sent>" [accepted]'``) whether or not its access log is on: with the address and the query
    (a party's ``area``) that the line's log never holds. ``api/observe.py`` writes the
    WebSocket's own line instead, as for every request."""
    return not (
        record.name.startswith("uvicorn")
        and isinstance(record.msg, str)
        and record.msg.startswith('%s - "WebSocket %s"')
    )


def use_structlog() -> None:
    """Send structlog's events through the standard library's loggers (so the handler below, or
    a test's, writes them); idempotent, and the same for both formats."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # a quiet logger costs no formatting
            *_PRE,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    use_structlog()
    return structlog.stdlib.get_logger(name)


def configure(
    fmt: LogFormat, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Write the whole process's log to ``stream`` (standard error) in ``fmt``, at ``level``
    and above; the handler made (a second call replaces it)."""
    use_structlog()
    stream = stream or sys.stderr
    renderer: list[Processor] = (
        [_ordered, structlog.processors.JSONRenderer(serializer=_serialize)]
        if fmt == "json"
        else [structlog.dev.ConsoleRenderer(colors=stream.isatty(), pad_event_to=24)]
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_PRE,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_all,
                *renderer,
            ],
        )
    )
    handler.addFilter(RedactSecrets())
    handler.addFilter(_not_a_websocket_access_line)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in LOGGERS:  # uvicorn's own handlers, if it made any, would write a second line
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    redact_server_logs()
    return handler
