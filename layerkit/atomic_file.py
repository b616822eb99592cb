"""Replacing a file in one step: write a temporary file beside it, flush it, rename it over.

Readers see the old file or the new one, never half of one. A write that fails with an
exception removes its temporary file; a process killed while writing (``SIGKILL``, a power
cut) can leave it, so each writer holds a lock (``flock``) on its temporary file, and the next
write of the same path removes every temporary file of that path whose lock it can take: its
writer has died. Temporary names are ``.NAME.HASH.XXXXXXXX.tmp`` (`temporary_stem`), so the
temporaries of one path are told from those of every other. `layerkit.serialization.save`
writes model files this way.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: stale temporaries are then kept
    fcntl = None  # type: ignore[assignment]


def check_writable(path: Path) -> None:
    """Raise the `OSError` `write_atomically` would raise for ``path`` before writing.

    Used also to refuse a path before work that would be lost when the write fails (a
    checkpoint at the end of an epoch).
    """
    directory = path.parent
    if not directory.is_dir():
        code = errno.ENOTDIR if directory.exists() else errno.ENOENT
        raise OSError(code, f"cannot save {path}: no such directory", str(directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES, f"cannot save {path}: the directory is not writable", str(directory)
        )
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = stat.S_IFREG
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "cannot save a model over a directory", str(path))
    if not stat.S_ISREG(mode):  # replacing /dev/null or a pipe is never what was meant
        raise FileExistsError(
            errno.EEXIST, "cannot save a model over a device, a pipe or a socket", str(path)
        )


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Replace ``path`` by what ``write`` writes, through a temporary file and a rename.

    Raises
    ------
    OSError
        When the directory does not exist (``FileNotFoundError``) or cannot be written, when
        ``path`` is a directory (``IsADirectoryError``) or a device, a pipe or a socket
        (``FileExistsError``: replacing one is never what was meant), or what ``write``
        raises; the temporary file is then removed and ``path`` left as it was.
    """
    check_writable(path)
    directory = path.parent
    stem = temporary_stem(path)
    _remove_stale_temporaries(directory, stem)
    descriptor, temporary = _locked_temporary(directory, stem)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
            os.chmod(temporary, _file_mode(path))
            os.replace(temporary, path)  # before closing: the lock keeps cleaners away
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def temporary_stem(path: Path) -> str:
    """``.NAME.HASH.``: the start of every temporary name of ``path``, short enough to be legal.

    ``NAME`` is the file name cut to 100 bytes (less when the file system allows shorter
    names); ``HASH`` tells apart the names that share those bytes.
    """
    name_max = 255
    with contextlib.suppress(OSError, ValueError, AttributeError):
        name_max = os.pathconf(path.parent, "PC_NAME_MAX")
    budget = max(0, min(100, name_max - 30))  # the rest: 2 dots, hash, dot, 8 random, ".tmp"
    encoded = os.fsencode(path.name)
    name = path.name
    while len(os.fsencode(name)) > budget:
        name = name[:-1]
    return f".{name}.{hashlib.sha256(encoded).hexdigest()[:12]}."


def _locked_temporary(directory: Path, stem: str) -> tuple[int, str]:
    """Create a temporary file named ``stem + 8 random characters + .tmp``, locked for writing.

    The lock (``flock``) tells a later save that this file is being written; it goes away
    with the process, so a file whose lock can be taken was left by a save that died.
    """
    while True:
        descriptor, temporary = tempfile.mkstemp(prefix=stem, suffix=".tmp", dir=directory)
        if fcntl is None:
            return descriptor, temporary
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except OSError:  # no locks on this file system: then no cleaner can take one either
            return descriptor, temporary
        if os.fstat(descriptor).st_nlink:
            return descriptor, temporary
        os.close(descriptor)  # a cleaner took it for a dead save's file in the meantime


def _remove_stale_temporaries(directory: Path, stem: str) -> None:
    """Remove the temporary files of earlier saves of this path whose writer has died."""
    if fcntl is None:
        return
    pattern = re.compile(re.escape(stem) + r"[a-z0-9_]{8}\.tmp")
    try:
        names = [name for name in os.listdir(directory) if pattern.fullmatch(name)]
    except OSError:
        return
    for name in names:
        candidate = os.path.join(directory, name)
        try:
            descriptor = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(descriptor).st_mode):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError: a live save
                if os.stat(candidate, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino:
                    os.unlink(candidate)  # while holding the lock, see _locked_temporary
        except OSError:
            pass
        finally:
            os.close(descriptor)


def _file_mode(path: Path) -> int:
    """The mode the file would get from ``open``: the old file's, else 0o666 minus the umask."""
    with contextlib.suppress(FileNotFoundError):
        return os.stat(path).st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (not possible, and not needed, on every platform)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
