"""Atomic writes: the old file survives any failure, and no temporary file is left behind."""

from __future__ import annotations

import os
import stat

import pytest

from derivgui.files.atomic import atomic_open, atomic_path, atomic_write, atomic_write_bytes, check_writable


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


# -- leftovers of killed writes, long names, errors about the target, signals -------------------


def _stale(path, age: float = 3600.0):
    import time

    path.write_bytes(b"half a picture")
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def test_next_write_removes_what_a_killed_write_left(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    stale = [_stale(tmp_path / ".plot.png.abcd1234.part.png"), _stale(tmp_path / ".plot.png.x_9yz012.part.tmp")]
    keep = [
        _stale(tmp_path / ".other.png.abcd1234.part.png"),  # another target's
        _stale(tmp_path / ".plot.png.abcd1234.part.png.mine"),  # not derivgui's pattern
        _stale(tmp_path / "plot.png.abcd1234.part.png"),  # not hidden: not ours
        _stale(tmp_path / ".plot.png.abc.part.png"),
    ]
    fresh = tmp_path / ".plot.png.zzzz9999.part.png"  # newer than this process: maybe a live writer's
    fresh.write_bytes(b"being written")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in keep) and fresh.exists()


def test_a_locked_temporary_file_is_never_removed(tmp_path):
    import fcntl

    target = tmp_path / "data.csv"
    locked = _stale(tmp_path / ".data.csv.lock1234.part.csv")
    with open(locked, "rb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # a writer at work in another process holds this
        atomic_write_bytes(target, b"x")
        assert locked.exists()
    atomic_write_bytes(target, b"y")
    assert not locked.exists()


def test_a_symlink_named_like_a_temporary_file_is_left_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / ".out.txt.abcd1234.part.txt"
    link.symlink_to(victim)
    atomic_write_bytes(tmp_path / "out.txt", b"x")
    assert link.is_symlink() and victim.read_text() == "precious"


def test_sigkill_leftover_is_removed_by_the_next_run(tmp_path):
    """A write killed outright leaves its temporary file; the next process writing there removes it."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "session.json"
    target.write_text("previous")
    code = ("import sys, time\nfrom derivgui.files.atomic import atomic_open\n"
            "with atomic_open(sys.argv[1]) as f:\n    f.write(b'partial'); f.flush(); print('ready', flush=True)\n"
            "    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(leftovers(tmp_path)) == 1
    time.sleep(0.2)  # the next run starts after the kill, as a user's would
    write = ("import sys\nfrom derivgui.files.atomic import atomic_write_bytes\n"
             "atomic_write_bytes(sys.argv[1], b'new')\n")
    subprocess.run([sys.executable, "-c", write, str(target)], check=True, timeout=60)
    assert target.read_bytes() == b"new"
    assert leftovers(tmp_path) == []


def test_long_names(tmp_path):
    name = "é" * 120 + ".png"  # 244 bytes: legal, but ".NAME.xxxxxxxx.part.png" would not be
    atomic_write_bytes(tmp_path / name, b"ok")
    assert (tmp_path / name).read_bytes() == b"ok" and leftovers(tmp_path) == []
    too_long = str(tmp_path / ("a" * 300 + ".png"))
    for call in (lambda: check_writable(too_long), lambda: atomic_write_bytes(too_long, b"x")):
        with pytest.raises(OSError, match="file name too long") as info:
            call()
        assert info.value.filename == too_long
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_errors_name_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    import errno
    import tempfile

    target = str(tmp_path / "out.png")

    def refuse(*_args, prefix="", suffix="", dir=None):
        raise OSError(errno.EACCES, "Permission denied", os.path.join(dir, prefix + "abcdefgh" + suffix))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as info:
        atomic_write_bytes(target, b"x")
    assert info.value.filename == target and ".part" not in str(info.value)


def test_errors_inside_the_write_name_the_target(tmp_path):
    target = tmp_path / "out.csv"

    def disk_full(_f):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space") as info:
        atomic_write(target, disk_full)
    assert info.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


def test_interrupt_stops_every_write_and_keeps_the_old_file(tmp_path):
    from derivgui.files import atomic

    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    try:
        with pytest.raises(atomic.WriteInterrupted):
            with atomic_path(target) as tmp:
                with open(tmp, "wb") as f:
                    f.write(b"new picture")
                atomic.interrupt(15)  # what the signal handler does, mid-write
        assert atomic.interrupted() == 15
        with pytest.raises(atomic.WriteInterrupted):
            atomic_write_bytes(target, b"new")
    finally:
        atomic.reset_interrupt()
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_shorten():
    from derivgui.files.atomic import shorten

    assert shorten("short") == "short"
    text = shorten("1" * 2000)
    assert len(text) == 40 and "…" in text
