"""``deconfliction record``: the line's key, party-held checkpoints, evidence bundles, and the
verification of a whole store.

``sync`` keeps every checkpoint a party has seen in a file of its own and proves each new one
consistent with the last: a line that rewrote or truncated its log cannot hide it from a party
that synced before. ``check`` and ``verify`` need no running line.
"""

from __future__ import annotations

import base64
import functools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from deconfliction.cli.client import ServerOption, connect, fail, load_config, refused
from deconfliction.cli.keys import member_key_path
from deconfliction.cli.options import DbOption
from deconfliction.cli.witness import cosign_checkpoint, hold_witnesses
from deconfliction.config import Environment
from deconfliction.domain.labels import Labels
from deconfliction.record import (
    Checkpoint,
    RecordError,
    Signer,
    Verifier,
    load,
    open_checkpoint,
    verify_consistency,
)
from deconfliction.record.evidence import check_bundle

__all__ = ["record_app"]

record_app = typer.Typer(
    help="The record: the line's key, checkpoints you hold, evidence, verification.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="the line's verifier key (C2SP vkey), or a file holding it",
        show_default=False,
    ),
]


def _verifier(text: str) -> Verifier:
    path = Path(text)
    if "+" not in text and path.exists():
        text = path.read_text().strip()
    try:
        return Verifier.from_vkey(text.strip())
    except RecordError as exc:
        raise fail(f"--key: {exc}") from None


def _key_file_signer(path: Path) -> Signer:
    """The line's key file, or exit saying why the file will not do."""
    try:
        return load(path)
    except Exception as exc:  # a key file that will not open is the message itself
        raise fail(str(exc)) from None


def _key_file_verifier(path: Path) -> Verifier:
    """The public half of the line's key file, or exit saying why the file will not do."""
    return _key_file_signer(path).verifier()


def _get(server: str | None, path: str, missing_ok: bool = False, **params: Any) -> Any:
    with connect(load_config(server)) as client:
        r = client.get(path, params=params)
    if r.status_code != 200 and not (missing_ok and r.status_code == 404):
        raise refused(r)
    return r


def _post(server: str | None, path: str, body: dict[str, Any]) -> Any:
    with connect(load_config(server)) as client:
        return client.post(path, json=body)


@record_app.command()
def key(
    server: ServerOption = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="print the key of this key file instead of asking the line"),
    ] = None,
) -> None:
    """Print the line's name and the verifier key its checkpoints are signed with."""
    if key_file is not None:
        out.print(_key_file_verifier(key_file).vkey())
        return
    body = _get(server, "/v1/record/key").json()
    err.print(f"line {escape(body['origin'])}")
    out.print(body["vkey"])


def _held_path(origin: str) -> Path:
    base = Environment.read().data_home or Path.home() / ".local" / "share"
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in origin)
    return Path(base) / "deconfliction" / "record" / f"{safe}.json"


def _read_held(path: Path) -> dict[str, Any] | None:
    try:
        held: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read the checkpoints held in {path}: {exc}") from None
    return held


def _write_held(path: Path, held: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(held, indent=1) + "\n")
    tmp.replace(path)


CosignOption = Annotated[
    bool | None,
    typer.Option(
        "--cosign/--no-cosign",
        help="cosign the checkpoint once proven consistent, with your member key, and hand the "
        "cosignature to the line (default: when you have a member key file)",
        show_default=False,
    ),
]
MemberKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--member-key",
        help="your member key file (default: $DECONFLICTION_MEMBER_KEY, or "
        "~/.config/deconfliction/member.key)",
        dir_okay=False,
        show_default=False,
    ),
]


@record_app.command()
def sync(
    server: ServerOption = None,
    file: Annotated[
        Path | None,
        typer.Option(help="where your checkpoints are kept (default: one file per line)"),
    ] = None,
    key: KeyOption = None,
    cosign: CosignOption = None,
    member_key: MemberKeyOption = None,
) -> None:
    """Fetch the line's latest checkpoint, prove it consistent with the last one you hold, hold
    it to every witness's cosignature, keep it, and cosign it. A rewritten or truncated log, a
    split view, or a bad signature is an error naming the sizes (exit code 1).

    The line's key is pinned at the first sync (or given with --key)."""
    line_key = _get(server, "/v1/record/key").json()
    path = file or _held_path(line_key["origin"])
    held = _read_held(path) or {"origin": line_key["origin"], "vkey": None, "checkpoints": []}
    pinned = held["vkey"] or (key and _verifier(key).vkey()) or line_key["vkey"]
    if key is not None and _verifier(key).vkey() != pinned:
        raise fail(f"--key differs from the key pinned in {path}: {pinned}")
    if line_key["vkey"] != pinned:
        raise fail(
            f"the line now signs with {line_key['vkey']}, not the key {pinned} you pinned in "
            f"{path}: its record cannot be trusted to be the one you synced",
            1,
        )
    verifier = Verifier.from_vkey(pinned)
    note = _get(server, "/v1/record/checkpoint").text
    try:
        new = open_checkpoint(note, verifier, held["origin"])
    except RecordError as exc:
        raise fail(f"the line's latest checkpoint is badly signed: {exc}", 1) from None
    last = held["checkpoints"][-1] if held["checkpoints"] else None
    if last is not None:
        _check_consistent(server, last, new, path)
    seen = hold_witnesses(functools.partial(_get, server), new, held)
    for w in seen:
        if w.problem is not None:
            raise fail(w.problem, 1)
    if last is None or new.size > last["size"]:
        held["vkey"] = pinned
        held["checkpoints"].append(
            {
                "size": new.size,
                "root": base64.b64encode(new.root).decode(),
                "note": note,
                "seen_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
        )
    said = []
    keyfile = member_key_path(member_key)
    if cosign or (cosign is None and keyfile.exists()):
        get, post = functools.partial(_get, server), functools.partial(_post, server)
        said.append(cosign_checkpoint(get, post, new, held, keyfile, bool(cosign)))
    _write_held(path, held)
    since = f", consistent with the {last['size']} you held" if last else " (the first you hold)"
    out.print(f"checkpoint {new.size}{since}; {len(held['checkpoints'])} held in {path}")
    if seen:
        agree = f"{len(seen)} witness{'es agree' if len(seen) > 1 else ' agrees'} with it"
        said.insert(0, agree)
    if said:
        out.print("; ".join(said))


@record_app.command()
def witnesses(
    server: ServerOption = None,
    file: Annotated[
        Path | None,
        typer.Option(help="the checkpoints you keep (default: one file per line)"),
    ] = None,
) -> None:
    """Each witness's latest cosignature beside the checkpoint the line shows you: a root that
    differs at the same size (or is not a prefix of yours) is a split view, a size beyond the
    line's latest a cut log; either is exit code 1."""
    line_key = _get(server, "/v1/record/key").json()
    held = _read_held(file or _held_path(line_key["origin"])) or {"checkpoints": []}
    verifier = Verifier.from_vkey(held.get("vkey") or line_key["vkey"])
    try:
        new = open_checkpoint(_get(server, "/v1/record/checkpoint").text, verifier)
    except RecordError as exc:
        raise fail(f"the line's latest checkpoint is badly signed: {exc}", 1) from None
    seen = hold_witnesses(functools.partial(_get, server), new, held)
    table = Table(title=f"Witnesses of {escape(new.origin)}, checkpoint {new.size} for you")
    for column in ("party", "cosigned size", "cosigned at", "verdict"):
        table.add_column(column)
    for w in seen:
        verdict = (
            "[green]agrees[/green]" if w.problem is None else f"[red]{escape(w.problem)}[/red]"
        )
        table.add_row(escape(w.party), str(w.size), w.cosigned_at, verdict)
    out.print(table if seen else "no party has cosigned a checkpoint of this line yet")
    if any(w.problem is not None for w in seen):
        raise typer.Exit(1)


def _check_consistent(
    server: str | None, last: dict[str, Any], new: Checkpoint, path: Path
) -> None:
    old_size, old_root = int(last["size"]), base64.b64decode(last["root"])
    seen = last.get("seen_at", "earlier")
    if new.size < old_size:
        raise fail(
            f"the line's checkpoint covers {new.size} events, fewer than the {old_size} of the "
            f"checkpoint you hold (seen {seen}, in {path}): its log was truncated or rewritten",
            1,
        )
    if new.size == old_size:
        if new.root != old_root:
            raise fail(
                f"the line's checkpoint {new.size} has another root than the checkpoint "
                f"{old_size} you hold (seen {seen}): its log was rewritten",
                1,
            )
        return
    body = _get(server, "/v1/record/consistency", old=old_size, new=new.size).json()
    proof = [base64.b64decode(h) for h in body["proof"]]
    try:
        verify_consistency(old_size, new.size, old_root, new.root, proof)
    except RecordError as exc:
        raise fail(
            f"the line's checkpoint {new.size} is not consistent with the checkpoint "
            f"{old_size} you hold (seen {seen}, in {path}): its log was rewritten ({exc})",
            1,
        ) from None


@record_app.command()
def evidence(
    notice: Annotated[str, typer.Option(help="the notice the evidence is about")],
    party: Annotated[
        str | None, typer.Option(help="only what concerns this party", show_default=False)
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="the bundle file (default: evidence-NOTICE.json)"),
    ] = None,
    server: ServerOption = None,
) -> None:
    """Write an evidence bundle: every version of a notice, every receipt and reply about it,
    their inclusion proofs and a signed checkpoint."""
    params: dict[str, Any] = {"notice": notice} | ({"party": party} if party else {})
    bundle = _get(server, "/v1/record/evidence", **params).json()
    path = output or Path(f"evidence-{notice}.json")
    path.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n")
    withheld = f"; {bundle['withheld']} not yours to read left out" if bundle["withheld"] else ""
    out.print(f"{len(bundle['entries'])} entries written to {path}{withheld}")


@record_app.command()
def check(
    bundle: Annotated[Path, typer.Argument(help="an evidence bundle file")],
    key: Annotated[str, typer.Option("--key", help="the line's verifier key, or a file of it")],
) -> None:
    """Verify an evidence bundle offline, and say in plain sentences what it proves."""
    verifier = _verifier(key)
    try:
        data = json.loads(bundle.read_text())
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read {bundle}: {exc}") from None
    found = check_bundle(data, verifier)
    if found.size:
        out.print(f"Checkpoint {found.size} of {escape(verifier.name)}, signed by its key.")
    for sentence in found.proven:
        out.print(f"  • {escape(sentence)}")
    for problem in found.problems:
        err.print(f"[red]NOT PROVEN:[/red] {escape(problem)}")
    if not found.ok:
        raise typer.Exit(1)
    out.print(f"[green]All {len(found.proven)} statements are proven by the record.[/green]")


@record_app.command()
def verify(
    db: DbOption = None,
    key: KeyOption = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="take the public key from the line's key file (which also holds the served "
            "rows' members to the labels the log names them by)",
            show_default=False,
        ),
    ] = None,
    log_only: Annotated[
        bool,
        typer.Option(
            "--log-only",
            help="hold only the log to its checkpoints and cosignatures, not the served tables "
            "to the log (an auditor's copy of the event log alone)",
        ),
    ] = False,
) -> None:
    """Re-hash every stored event, rebuild the tree and hold it to every stored checkpoint, the
    line's key and the parties' cosignatures; then re-derive what the line serves (notices and
    their versions, conflicts, threads and messages, receipts, members' keys) from the log and
    name every row that differs, by table and id. Any fault: exit code 1."""
    from deconfliction import service
    from deconfliction.config import key_path_for

    env = Environment.read()
    url = env.db_url(db)
    labels = None
    if key is not None:
        verifier = _verifier(key)
    else:
        path = key_file or key_path_for(url, env.key)
        if path is None or not path.exists():
            raise fail("give the line's public key with --key (or its key file with --key-file)")
        signer = _key_file_signer(path)
        verifier, labels = signer.verifier(), Labels.of(signer)
    store = service.open_line(url).store
    try:
        with Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, disable=not sys.stderr.isatty(),
        ) as bar:  # fmt: skip
            task = bar.add_task("verifying events", total=None)
            found = service.verify_store(
                store,
                verifier,
                lambda done, total: bar.update(task, completed=done, total=total),
                served=not log_only,
                labels=labels,
            )
    finally:
        store.close()
    for p in found.problems:
        head, _, what = str(p).partition(": ")
        err.print(f"[red]{escape(head)}:[/red] {escape(what)}")
    if found.more:
        err.print(f"[red]… and {found.more} more problems[/red]")
    summary = (
        f"{found.events} events, {found.recorded} in the tree, {found.checkpoints} checkpoints, "
        f"{found.cosignatures} witnesses' cosignatures"
        + ("" if log_only else ", the served tables")
        + ("" if log_only or labels else " (but for the members they name: give the key file)")
    )
    if not found.ok:
        err.print(f"[red]The record does NOT verify[/red] ({summary}).")
        raise typer.Exit(1)
    out.print(f"The record verifies: {summary}, signed by {escape(verifier.vkey())}.")
