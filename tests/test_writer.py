"""The one writer (writer.py): real files in tmp_path; mocks only where a failure cannot be made otherwise."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from mytypist_cli import writer
from mytypist_cli.errors import OutputError, OutputExistsError
from mytypist_cli.writer import (
    TEMP_PREFIX,
    check_target,
    commit,
    exists_message,
    open_output,
    staged,
    write_bytes,
    write_text,
)


def _names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- writing and refusing -----------------------------------------------------------------


def test_a_new_file_is_written_with_the_mode_of_any_new_file(tmp_path: Path) -> None:
    target = tmp_path / "out.docx"
    write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    # Not mkstemp's private 0o600: what open() would have made.
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    assert _names(tmp_path) == ["out.docx"]


def test_an_existing_file_is_refused_without_overwrite_and_replaced_with_it(tmp_path: Path) -> None:
    target = tmp_path / "out.docx"
    target.write_bytes(b"old")
    with pytest.raises(OutputExistsError) as caught:
        write_bytes(target, b"new")
    assert str(caught.value) == f"{target} exists; pass --overwrite to replace it"
    assert str(caught.value) == exists_message(target)
    assert target.read_bytes() == b"old"
    write_bytes(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new"
    assert _names(tmp_path) == ["out.docx"]


def test_a_symlink_is_replaced_only_with_overwrite_and_never_followed(tmp_path: Path) -> None:
    pointed = tmp_path / "elsewhere.txt"
    pointed.write_bytes(b"keep me")
    link = tmp_path / "out.txt"
    link.symlink_to(pointed)
    with pytest.raises(OutputExistsError):
        write_text(link, "new")
    assert link.is_symlink()
    write_text(link, "new", overwrite=True)
    assert not link.is_symlink()
    assert stat.S_ISREG(link.lstat().st_mode)
    assert link.read_text() == "new"
    assert pointed.read_bytes() == b"keep me"


def test_a_dangling_symlink_counts_as_existing(tmp_path: Path) -> None:
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputExistsError):
        check_target(link)
    # Even when the check was skipped (a batch checks once), the final link refuses it.
    with pytest.raises(OutputExistsError):
        write_bytes(link, b"x", checked=True)
    assert link.is_symlink()
    assert not (tmp_path / "nowhere").exists()
    assert _names(tmp_path) == ["out.txt"]
    write_bytes(link, b"x", overwrite=True)
    assert link.read_bytes() == b"x"
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a folder; name a file") as caught:
        write_bytes(folder, b"x", overwrite=True)
    assert not isinstance(caught.value, OutputExistsError)
    assert folder.is_dir()
    assert _names(tmp_path) == ["out"]


def test_a_fifo_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        write_bytes(fifo, b"x", overwrite=True)
    with pytest.raises(OutputError, match="not a regular file"), staged(fifo, overwrite=True):
        pass
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert _names(tmp_path) == ["pipe"]


def test_a_device_is_refused_even_with_overwrite() -> None:
    # We may run as root: a replaced /dev/null would break the whole machine.
    with pytest.raises(OutputError, match="/dev/null is not a regular file"):
        write_bytes("/dev/null", b"x", overwrite=True)
    with pytest.raises(OutputError, match="not a regular file"):
        check_target(Path("/dev/null"), overwrite=True)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert not any(name.startswith(TEMP_PREFIX) for name in os.listdir("/dev"))


def test_a_symlink_to_a_device_or_a_fifo_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    # /dev/stdout is such a link: replacing it with a file would break every later program.
    os.mkfifo(tmp_path / "pipe")
    for name, target in (("to-null", "/dev/null"), ("to-pipe", str(tmp_path / "pipe"))):
        link = tmp_path / name
        link.symlink_to(target)
        with pytest.raises(OutputError, match="link to something that is not a regular file"):
            write_bytes(link, b"x", overwrite=True)
        assert link.is_symlink()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _names(tmp_path) == ["pipe", "to-null", "to-pipe"]


def test_an_input_is_refused_by_any_spelling_even_with_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "data.csv"
    source.write_bytes(b"a,b\n")
    (tmp_path / "sub").mkdir()
    hard = tmp_path / "hard.csv"
    os.link(source, hard)
    soft = tmp_path / "soft.csv"
    soft.symlink_to(source)
    monkeypatch.chdir(tmp_path)
    for spelling in [source, "data.csv", tmp_path / "sub" / ".." / "data.csv", hard, soft]:
        with pytest.raises(OutputError, match="is an input of this run; choose another output name"):
            write_bytes(spelling, b"x", overwrite=True, inputs=[source])
    with pytest.raises(OutputError, match="is an input"):
        check_target(source, overwrite=True, inputs=["./hard.csv"])
    assert source.read_bytes() == b"a,b\n"
    assert soft.is_symlink()
    assert _names(tmp_path) == ["data.csv", "hard.csv", "soft.csv", "sub"]
    # A missing input is no reason to refuse anything.
    write_bytes(tmp_path / "new.csv", b"x", inputs=[tmp_path / "absent.csv"])


# -- failures leave nothing behind ---------------------------------------------------------


def test_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"cannot write in .*nowhere: No such file or directory"):
        write_bytes(tmp_path / "nowhere" / "out.docx", b"x")
    with pytest.raises(OutputError, match="cannot write in"), staged(tmp_path / "nowhere" / "out.db"):
        pass
    assert _names(tmp_path) == []


def test_a_failing_rename_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    target = tmp_path / "out.docx"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OutputError, match=r"cannot write .*out.docx: Input/output error"):
        write_bytes(target, b"new", overwrite=True)
    assert target.read_bytes() == b"old"
    # No hard links and no rename: the new name fails, and nothing is left.
    monkeypatch.setattr(os, "link", refuse)
    with pytest.raises(OutputError, match="Input/output error"):
        write_bytes(tmp_path / "fresh.docx", b"new")
    with (
        pytest.raises(OutputError, match="Input/output error"),
        open_output(tmp_path / "fresh.txt", "w") as out,
    ):
        out.write("text")
    assert _names(tmp_path) == ["out.docx"]


def test_a_failing_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Full:
        def __init__(self, *_args: object, **_kwargs: object) -> None:
            pass

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *_exc: object) -> None:
            pass

        def write(self, _data: bytes) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", Full)
    with pytest.raises(OutputError, match=r"cannot write .*out.docx: No space left on device"):
        write_bytes(tmp_path / "out.docx", b"x")
    assert _names(tmp_path) == []


def test_without_hard_links_a_rename_is_used_but_never_over_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")  # FAT, some network shares

    monkeypatch.setattr(os, "link", no_links)
    write_bytes(tmp_path / "a.docx", b"a")
    assert (tmp_path / "a.docx").read_bytes() == b"a"
    with pytest.raises(OutputExistsError):
        write_bytes(tmp_path / "a.docx", b"b", checked=True)
    assert (tmp_path / "a.docx").read_bytes() == b"a"
    assert _names(tmp_path) == ["a.docx"]


def test_a_file_that_appears_after_the_check_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.docx"

    def race() -> None:
        with staged(target) as temp:
            temp.write_bytes(b"mine")
            target.write_bytes(b"someone else's")  # made meanwhile by another process

    with pytest.raises(OutputExistsError):
        race()
    assert target.read_bytes() == b"someone else's"
    assert _names(tmp_path) == ["out.docx"]


def test_commit_takes_the_temporary_name_away(tmp_path: Path) -> None:
    temp = tmp_path / f"{TEMP_PREFIX}x.tmp"
    temp.write_bytes(b"done")
    commit(temp, tmp_path / "out.docx")
    assert _names(tmp_path) == ["out.docx"]
    temp.write_bytes(b"again")
    commit(temp, tmp_path / "out.docx", overwrite=True)
    assert _names(tmp_path) == ["out.docx"]
    assert (tmp_path / "out.docx").read_bytes() == b"again"


# -- staged and open_output ----------------------------------------------------------------


def test_temporary_names_are_private_unpredictable_and_prefixed(tmp_path: Path) -> None:
    seen: list[Path] = []
    for number in range(3):
        with staged(tmp_path / f"out{number}.db") as temp:
            assert temp.parent == tmp_path  # beside the target: the rename stays on one file system
            assert temp.name.startswith(TEMP_PREFIX)
            assert temp.name.endswith(".tmp")
            assert temp.stat().st_size == 0
            assert _names(tmp_path) == sorted([temp.name, *(f"out{n}.db" for n in range(number))])
            seen.append(temp)
            temp.write_bytes(b"db")
    random_parts = {path.name[len(TEMP_PREFIX) : -len(".tmp")] for path in seen}
    assert len(random_parts) == 3
    assert all(len(part) >= 8 for part in random_parts)
    assert _names(tmp_path) == ["out0.db", "out1.db", "out2.db"]


def test_staged_removes_its_temporary_file_when_the_body_fails(tmp_path: Path) -> None:
    target = tmp_path / "backup.db"

    def fail() -> None:
        with staged(target) as temp:
            temp.write_bytes(b"half")
            raise RuntimeError("copy failed")

    with pytest.raises(RuntimeError, match="copy failed"):
        fail()
    assert _names(tmp_path) == []


def test_staged_checks_before_making_anything(tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_bytes(b"old")
    entered = False
    with pytest.raises(OutputExistsError), staged(target):
        entered = True
    assert not entered
    assert _names(tmp_path) == ["backup.db"]


def test_open_output_text_mode_is_utf8_and_binary_mode_exact(tmp_path: Path) -> None:
    text = tmp_path / "report.csv"
    with open_output(text, "w", newline="") as out:
        out.write("row,name\r\n1,Adé Ọbá\r\n")
    assert text.read_bytes() == "row,name\r\n1,Adé Ọbá\r\n".encode()
    with open_output(text, "w", overwrite=True, encoding="latin-1") as out:
        out.write("é")
    assert text.read_bytes() == b"\xe9"
    data = tmp_path / "out.bin"
    with open_output(data) as out:
        out.write(b"\x00\r\n")
    assert data.read_bytes() == b"\x00\r\n"
    with pytest.raises(OutputExistsError), open_output(data, "wb"):
        pass
    assert data.read_bytes() == b"\x00\r\n"
    with pytest.raises(ValueError, match="mode must be"), open_output(tmp_path / "x", "ab"):
        pass
    assert _names(tmp_path) == ["out.bin", "report.csv"]


def test_open_output_removes_its_temporary_file_when_the_body_fails(tmp_path: Path) -> None:
    def fail() -> None:
        with open_output(tmp_path / "out.txt", "w") as out:
            out.write("partial")
            raise KeyError("row")

    with pytest.raises(KeyError):
        fail()
    assert _names(tmp_path) == []


def test_write_text_writes_exactly_what_it_is_given(tmp_path: Path) -> None:
    target = tmp_path / "note.txt"
    write_text(target, "a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\n"


def test_the_new_file_mode_follows_the_umask(tmp_path: Path) -> None:
    writer._new_file_mode.cache_clear()
    old = os.umask(0o027)
    try:
        write_bytes(tmp_path / "private.docx", b"x")
    finally:
        os.umask(old)
        writer._new_file_mode.cache_clear()
    assert stat.S_IMODE((tmp_path / "private.docx").stat().st_mode) == 0o640
