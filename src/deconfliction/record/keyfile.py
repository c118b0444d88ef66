"""The line's signing key on disk: one skey line in a file only its owner can read.

A key file is made whole or not at all (written under a temporary name, then linked into place),
and a file that group or others can read is refused, as ssh refuses a private key.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     made = load_or_create(Path(d) / "keys" / "line.key", "line.example/record")
...     load(Path(d) / "keys" / "line.key").skey() == made.skey()
True
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from deconfliction.record.errors import RecordError
from deconfliction.record.keys import Signer
from deconfliction.record.notetext import NoteError

__all__ = ["KeyFileError", "load", "load_or_create"]


class KeyFileError(RecordError):
    """A key file that is missing, unsafe, or not a signer key; the message names the path."""


def load(path: Path) -> Signer:
    """The signer in the key file at ``path``; never creates one."""
    signer = _read(path)
    if signer is None:
        raise KeyFileError(f"there is no key file at {path}")
    return signer


def load_or_create(path: Path, name: str) -> Signer:
    """The signer in the key file at ``path``, made with a new key named ``name`` if absent.

    ``name`` matters only when the file is made; an existing file keeps the name it holds.
    When two processes make the file at once, one key wins and both return it.
    """
    signer = _read(path)
    if signer is not None:
        return signer
    signer = Signer.generate(name)
    _make_dirs(path.parent)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(signer.skey() + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            # A link, unlike a rename, never replaces a key another process put there first.
            os.link(temp, path)
        except FileExistsError:
            return load(path)
        _sync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return signer


def _read(path: Path) -> Signer | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise KeyFileError(f"the key file {path} cannot be opened: {e.strerror}") from e
    # Mode and content come from the same open file, so a swap between the two cannot fool us.
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"the key file {path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if os.name == "posix" and mode & 0o077:
            raise KeyFileError(
                f"the key file {path} has mode {mode:04o}, so others can read it; "
                f"it must be readable by its owner only (chmod 600 {path})"
            )
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    try:
        return Signer.from_skey(data.decode("utf-8").strip())
    except (UnicodeDecodeError, NoteError) as e:
        raise KeyFileError(f"the key file {path} does not hold a signer key: {e}") from e


def _make_dirs(directory: Path) -> None:
    # os.makedirs gives only the last directory its mode; every new one here is owner-only.
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)


def _sync_dir(directory: Path) -> None:
    # The link is durable only once its directory is; not every platform can open a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
