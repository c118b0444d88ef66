"""The commands that talk to a running line: where the server is, the member's token, HTTP.

Server: ``--server``, else ``$DECONFLICTION_URL``, else ``server`` in the config file, else
``http://127.0.0.1:8470``. Token: ``$DECONFLICTION_TOKEN``, else ``token`` in the config file
(``~/.config/deconfliction/config.toml``, or ``$DECONFLICTION_CONFIG``). The token is sent, and
never printed.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.markup import escape

from deconfliction.config import Environment

__all__ = [
    "DEFAULT_SERVER",
    "ClientConfig",
    "ServerOption",
    "config_path",
    "connect",
    "fail",
    "load_config",
    "refused",
    "state_path",
    "unreachable",
]

DEFAULT_SERVER = "http://127.0.0.1:8470"

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        help=f"the line's URL (default: $DECONFLICTION_URL, the config file, or {DEFAULT_SERVER})",
        show_default=False,
    ),
]

err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Say what went wrong on stderr; the exit to raise (2: usage or credentials, 1: the line)."""
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def unreachable(server: str) -> str:
    """What to say when nothing answers at ``server``."""
    return f"cannot reach the line at {server} — is it running?"


def config_path(env: Environment | None = None) -> Path:
    env = env or Environment.read()
    return Path(env.config or Path.home() / ".config" / "deconfliction" / "config.toml")


def state_path(env: Environment | None = None) -> Path:
    env = env or Environment.read()
    return Path(env.state or Path.home() / ".local" / "state" / "deconfliction" / "inbox.json")


@dataclass(frozen=True)
class ClientConfig:
    """Where the line is and the member's token (kept out of ``repr`` so it is never shown)."""

    server: str
    token: str = field(repr=False)

    @property
    def member_key(self) -> str:
        """A stable name for this member on this server, from which the token cannot be had."""
        digest = hashlib.sha256(b"deconfliction inbox\0" + self.token.encode()).hexdigest()
        return f"{self.server} {digest[:16]}"


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise fail(f"cannot read the config file {path}: {e}") from None


def load_config(server: str | None) -> ClientConfig:
    """The server and token for a command, or exit 2 saying how to give a token."""
    env = Environment.read()
    path = config_path(env)
    file = _read_config(path)
    url = server or env.url or file.get("server") or DEFAULT_SERVER
    token = env.token or file.get("token")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise fail(f"the server is an http:// or https:// URL, not {url!r}")
    if not token or not isinstance(token, str):
        elsewhere = "" if env.config else " (or set DECONFLICTION_CONFIG)"
        raise fail(
            f'no token: set DECONFLICTION_TOKEN, or put token = "..." in {path}{elsewhere}; '
            "the host makes one with `deconfliction member create --party <slug>`"
        )
    return ClientConfig(url.rstrip("/"), token.strip())


def connect(cfg: ClientConfig, read_timeout_s: float = 30.0) -> httpx.Client:
    """An HTTP client on the line, sending the member's token."""
    return httpx.Client(
        base_url=cfg.server,
        headers={"Authorization": f"Bearer {cfg.token}"},
        timeout=httpx.Timeout(10.0, read=read_timeout_s),
    )


def refused(r: httpx.Response) -> typer.Exit:
    """The exit for an answer that is not 2xx: the line's own reason when it gave one."""
    try:
        reason = str(orjson.loads(r.read()).get("message") or r.reason_phrase)
    except (orjson.JSONDecodeError, AttributeError):
        reason = r.reason_phrase
    if r.status_code == 401:
        return fail(f"the line refused the token ({reason}); check DECONFLICTION_TOKEN")
    return fail(f"the line answered {r.status_code}: {reason}", 2 if r.status_code < 500 else 1)
