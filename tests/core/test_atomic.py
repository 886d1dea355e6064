"""Atomic writes: the old file survives any failure, and no temporary file is left behind."""

from __future__ import annotations

import os
import stat

import pytest

from derivgui.core.atomic import atomic_open, atomic_path, atomic_write, atomic_write_bytes, check_writable


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


def test_writes_new_file(tmp_path):
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"hello")
    assert target.read_bytes() == b"hello"
    assert leftovers(tmp_path) == []


def test_replaces_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write(target, lambda f: f.write(b"new"))
    assert target.read_text() == "new"
    assert leftovers(tmp_path) == []


def test_failure_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"a good image")

    def half_then_fail(f):
        f.write(b"trunc")
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        atomic_write(target, half_then_fail)
    assert target.read_bytes() == b"a good image"
    assert leftovers(tmp_path) == []


def test_interrupt_keeps_old_file(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"good")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"partial")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"good"
    assert leftovers(tmp_path) == []


def test_failure_without_old_file_leaves_nothing(tmp_path):
    target = tmp_path / "new.csv"
    with pytest.raises(ValueError):
        with atomic_open(target) as f:
            f.write(b"x,f\n")
            raise ValueError("bad sample")
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_beside_target_with_its_extension(tmp_path):
    target = tmp_path / "image.png"
    with atomic_path(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        assert tmp.endswith(".png")
        assert os.path.basename(tmp).startswith(".")  # hidden while it is being written
        assert not target.exists()
        with open(tmp, "wb") as f:
            f.write(b"png")
    assert target.read_bytes() == b"png"


def test_keeps_permissions_of_replaced_file(tmp_path):
    target = tmp_path / "data.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_new_file_gets_normal_permissions(tmp_path):
    target = tmp_path / "data.csv"
    atomic_write_bytes(target, b"new")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o666 & ~umask


def test_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "nope" / "out.png", b"x")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_writable(tmp_path / "nope" / "out.png")


def test_check_writable(tmp_path):
    check_writable(tmp_path / "fine.png")
    with pytest.raises(IsADirectoryError):
        check_writable(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            check_writable(folder / "out.png")
        with pytest.raises(PermissionError):
            atomic_write_bytes(folder / "out.png", b"x")
    finally:
        folder.chmod(0o700)


def test_atomic_open_rejects_read_mode(tmp_path):
    with pytest.raises(ValueError):
        with atomic_open(tmp_path / "x", "rb"):
            pass
