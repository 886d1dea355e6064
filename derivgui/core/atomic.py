"""Safe file writes: a temporary file in the same folder, flushed to disk, then renamed (no Qt).

An export or a session save either replaces the old file completely or leaves it exactly as it
was: nothing is written at ``path`` until the new content is complete, and a failure (an
exception, Ctrl+C, a full disk) removes the temporary file. ``os.replace`` is atomic within one
file system, which is why the temporary file lives in the destination folder, not in /tmp.

    with atomic_path("plot.png") as tmp:      # a name for writers that want one (QImage.save)
        image.save(tmp, "PNG")
    atomic_write("data.csv", lambda f: f.write(b"x,f\\n"))   # writers that take a file object
    atomic_write_bytes("plot.svg", data)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

__all__ = ["atomic_open", "atomic_path", "atomic_write", "atomic_write_bytes", "atomic_write_text", "check_writable"]


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


def check_writable(path: str | os.PathLike) -> None:
    """Raise ``OSError`` with a clear reason if ``path`` cannot be written, before doing any work."""
    target = _target(path)
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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[str]:
    """Yield the name of a new, empty temporary file beside ``path``; on success it replaces ``path``.

    ``suffix`` defaults to the extension of ``path`` so that writers which look at the name
    (``QImage.save``) pick the right format. On any exception, including KeyboardInterrupt and
    SystemExit, the temporary file is deleted and ``path`` is untouched.
    """
    target = _target(path)
    folder, name = os.path.split(target)
    if suffix is None:
        suffix = os.path.splitext(name)[1] or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".part{suffix}", dir=folder)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # the writer may have closed its own handle: sync through a new one
            os.fsync(f.fileno())
        os.chmod(tmp, _final_mode(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[BinaryIO]:
    """``open`` for writing, atomically: the file appears at ``path`` only when the block succeeds."""
    if not mode.startswith("w"):
        raise ValueError("atomic_open writes: mode must start with 'w'")
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def atomic_write(path: str | os.PathLike, write_fn: Callable[[BinaryIO], object]) -> None:
    """Call ``write_fn(binary_file)`` and put the result at ``path`` only if it returns normally."""
    with atomic_open(path, "wb") as f:
        write_fn(f)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))
