"""Safe file writes: a temporary file in the same folder, flushed to disk, then renamed (no Qt).

An export or a session save either replaces the old file completely or leaves it exactly as it
was: nothing is written at ``path`` until the new content is complete, and a failure (an
exception, Ctrl+C, a full disk) removes the temporary file. ``os.replace`` is atomic within one
file system, which is why the temporary file lives in the destination folder, not in /tmp.

    with atomic_path("plot.png") as tmp:      # a name for writers that want one (QImage.save)
        image.save(tmp, "PNG")
    atomic_write("data.csv", lambda f: f.write(b"x,f\\n"))   # writers that take a file object
    atomic_write_bytes("plot.svg", data)

The temporary file is ``.NAME.XXXXXXXX.part.EXT`` beside ``NAME`` (a very long NAME is cut and
given a hash). A process killed outright (SIGKILL, a power cut) cannot remove it; the next write
to the same target does: it removes the temporary files of that target only, and only those that
are older than the current process and not locked by a writer that is still running (every
writer holds an ``flock`` on its temporary file).

A signal handler can call ``interrupt()``: every write then stops at its next step (before it
starts, before the rename) with ``WriteInterrupted``, keeping the old file and removing the
temporary one. Errors name the target the caller gave, never the temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["WriteInterrupted", "atomic_open", "atomic_path", "atomic_write", "atomic_write_bytes", "atomic_write_text",
           "check_writable", "interrupt", "interrupted", "shorten"]

NAME_MAX = 255  # bytes in one path component (Linux, macOS and most file systems)
PATH_MAX = 4096
_RANDOM = 8  # characters tempfile.mkstemp puts in a name
_MAX_SUFFIX = 17  # ".part" is followed by ".EXT", EXT at most 16 letters or digits
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,16}")


class WriteInterrupted(InterruptedError):
    """A signal asked every write to stop (``interrupt()``): the old file was kept."""


_interrupt_signal: list[int] = []


def interrupt(signum: int = 0) -> None:
    """Make every atomic write stop at its next step; safe to call from a signal handler."""
    if not _interrupt_signal:
        _interrupt_signal.append(signum)


def interrupted() -> int | None:
    """The signal number passed to ``interrupt()`` (0 if none was given), or None."""
    return _interrupt_signal[0] if _interrupt_signal else None


def reset_interrupt() -> None:
    _interrupt_signal.clear()


def check_interrupted(path: str | os.PathLike) -> None:
    if _interrupt_signal:
        raise WriteInterrupted(errno.EINTR, "interrupted; the previous file was kept", os.fspath(path))


def shorten(text: str, limit: int = 40) -> str:
    """``text`` for a message: at most ``limit`` characters, the middle replaced by "…" if longer."""
    text = str(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    tail = limit - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def _process_start_time() -> float:
    """When this process started (seconds since the epoch); at the latest, when this module was imported."""
    now = time.time()
    with contextlib.suppress(Exception):
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22: since boot, in ticks
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return min(now, now - (uptime - start_ticks / os.sysconf("SC_CLK_TCK")))
    return now


PROCESS_START = _process_start_time()


def _target(path: str | os.PathLike) -> str:
    """The file to replace: a symbolic link is followed, so the link itself stays a link."""
    path = os.fspath(path)
    return os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)


def _final_mode(target: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 less the umask."""
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_name(path: str | os.PathLike) -> None:
    """``OSError`` (ENAMETOOLONG, "file name too long", naming ``path``) if the name cannot exist."""
    shown = os.fspath(path)
    try:
        encoded = os.fsencode(shown)
    except (UnicodeError, TypeError):
        raise OSError(errno.EINVAL, "not a usable file name", shown) from None
    if b"\0" in encoded:
        raise OSError(errno.EINVAL, "a file name cannot hold a NUL character", shown)
    if len(encoded) >= PATH_MAX or any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        raise OSError(errno.ENAMETOOLONG, "file name too long", shown)


def check_writable(path: str | os.PathLike) -> None:
    """Raise ``OSError`` with a clear reason if ``path`` cannot be written, before doing any work."""
    check_name(path)
    target = _target(path)
    check_name(target)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(f"{os.fspath(path)} is a folder")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"folder {folder} is not writable")
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise PermissionError(f"{os.fspath(path)} is read-only")


def _fsync_folder(folder: str) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened or synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def temp_prefix(name: str) -> str:
    """The start of the temporary files' names for target ``name``: ``.NAME.`` (cut and hashed if long)."""
    prefix = f".{name}."
    budget = NAME_MAX - _RANDOM - len(".part") - _MAX_SUFFIX
    if len(os.fsencode(prefix)) <= budget:
        return prefix
    digest = hashlib.sha1(os.fsencode(name)).hexdigest()[:8]
    cut = os.fsencode(name)[:budget - len(".~.") - len(digest)].decode("utf-8", "ignore")
    return f".{cut}~{digest}."


def temp_pattern(name: str) -> re.Pattern:
    """What derivgui's temporary files for target ``name`` are called (and nothing else)."""
    return re.compile(re.escape(temp_prefix(name)) + rf"[a-z0-9_]{{{_RANDOM}}}\.part\.[A-Za-z0-9]{{1,16}}")


def remove_stale_temps(target: str | os.PathLike) -> list[str]:
    """Remove what killed writes to ``target`` left: derivgui's own temporary files for that target,
    older than this process and not locked by a live writer. Returns the names removed."""
    folder, name = os.path.split(_target(target))
    pattern = temp_pattern(name)
    prefix = temp_prefix(name)
    removed = []
    with contextlib.suppress(OSError):
        with os.scandir(folder) as entries:
            candidates = [e.name for e in entries if e.name.startswith(prefix) and pattern.fullmatch(e.name)]
        for candidate in candidates:
            if _remove_if_stale(os.path.join(folder, candidate)):
                removed.append(candidate)
    return removed


def _remove_if_stale(path: str) -> bool:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_mtime >= PROCESS_START:
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a writer still at work holds its lock
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _for_target(exc: OSError, tmp: str, path: str | os.PathLike) -> OSError:
    """``exc`` as the caller should see it: about ``path``, not about the temporary file."""
    if exc.filename in (tmp, None) or exc.filename2 == tmp:
        if exc.errno is None:
            return OSError(errno.EIO, str(exc), os.fspath(path))
        return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path))
    return exc


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[str]:
    """Yield the name of a new, empty temporary file beside ``path``; on success it replaces ``path``.

    ``suffix`` defaults to the extension of ``path`` so that writers which look at the name
    (``QImage.save``) pick the right format. On any exception, including KeyboardInterrupt and
    SystemExit, the temporary file is deleted and ``path`` is untouched; an ``OSError`` names
    ``path``. ``WriteInterrupted`` if ``interrupt()`` was called.
    """
    check_interrupted(path)
    check_name(path)
    target = _target(path)
    check_name(target)
    folder, name = os.path.split(target)
    if suffix is None:
        suffix = os.path.splitext(name)[1]
    if not _SUFFIX.fullmatch(suffix or ""):
        suffix = ".tmp"
    remove_stale_temps(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(name), suffix=f".part{suffix}", dir=folder)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), os.fspath(path)) from None
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "in use": no other process's clean-up takes it
        try:
            yield tmp
            with open(tmp, "rb+") as f:  # the writer may have closed its own handle: sync through a new one
                os.fsync(f.fileno())
            os.chmod(tmp, _final_mode(target))
            check_interrupted(path)
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and not isinstance(exc, WriteInterrupted):
                translated = _for_target(exc, tmp, path)
                if translated is not exc:
                    raise translated from None
            raise
    finally:
        os.close(fd)
    _fsync_folder(folder)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO[Any]]:
    """``open`` for writing, atomically: the file appears at ``path`` only when the block succeeds.

    A binary file, or a text file if ``mode`` is "w" or "wt"."""
    if not mode.startswith("w"):
        raise ValueError("atomic_open writes: mode must start with 'w'")
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def atomic_write(path: str | os.PathLike, write_fn: Callable[[IO[bytes]], object]) -> None:
    """Call ``write_fn(binary_file)`` and put the result at ``path`` only if it returns normally."""
    with atomic_open(path, "wb") as f:
        write_fn(f)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))
