"""The line's key file: made owner-only and whole, read back the same, refused when others can
read it."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from deconfliction.record.keyfile import KeyFileError, load, load_or_create
from deconfliction.record.note import NoteError, Signer

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_creation_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "line.key"
    signer = load_or_create(path, "line.example/record")
    assert signer.name == "line.example/record"
    assert mode(path) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    assert path.read_text() == signer.skey() + "\n"
    assert [p.name for p in path.parent.iterdir()] == ["line.key"]  # no temporary left over


def test_second_load_returns_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "line.key"
    first = load_or_create(path, "line-a")
    again = load_or_create(path, "another-name")  # the name only matters when making the file
    assert again.skey() == first.skey()
    assert again.name == "line-a"
    assert load(path).skey() == first.skey()


@posix_only
@pytest.mark.parametrize("bits", [0o644, 0o640, 0o604, 0o660, 0o601])
def test_a_file_others_can_read_is_refused(tmp_path: Path, bits: int) -> None:
    path = tmp_path / "line.key"
    load_or_create(path, "line-a")
    path.chmod(bits)
    with pytest.raises(KeyFileError, match=f"{path}.*mode {bits:04o}"):
        load(path)
    with pytest.raises(KeyFileError, match="owner only"):
        load_or_create(path, "line-a")
    path.chmod(0o400)  # read-only for the owner is fine
    assert load(path).name == "line-a"


def test_load_never_creates(tmp_path: Path) -> None:
    path = tmp_path / "line.key"
    with pytest.raises(KeyFileError, match=f"no key file at {path}"):
        load(path)
    assert not path.exists()


def test_a_file_that_is_not_a_key(tmp_path: Path) -> None:
    path = tmp_path / "line.key"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.write(fd, b"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n")
    os.close(fd)
    with pytest.raises(KeyFileError, match=f"{path} does not hold a signer key"):
        load(path)
    with pytest.raises(KeyFileError, match="not a regular file"):
        load(tmp_path)


def test_a_bad_name_makes_no_file(tmp_path: Path) -> None:
    path = tmp_path / "line.key"
    with pytest.raises(NoteError):
        load_or_create(path, "line a")
    assert not path.exists()


def test_concurrent_creation_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "line.key"
    start = threading.Barrier(8)
    got: list[Signer] = []
    errors: list[BaseException] = []

    def make() -> None:
        start.wait()
        try:
            got.append(load_or_create(path, "line-a"))
        except BaseException as e:  # handed to the main thread, to fail there
            errors.append(e)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({s.skey() for s in got}) == 1 and len(got) == 8
    assert load(path).skey() == got[0].skey()
    assert [p.name for p in path.parent.iterdir()] == ["line.key"]
