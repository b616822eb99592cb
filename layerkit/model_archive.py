"""Reading the members of a model file's ``.npz`` archive, never more bytes than declared.

A model file is a zip of ``.npy`` arrays. A crafted one can lie in every field: a member's
declared size, its compression, its ``.npy`` preamble (dtype, shape, order), the offsets of the
zip directory. So a member is checked before it is inflated (its declared size against the
shape and dtype the caller expects, plus at most 64 KiB of preamble; deflate's own bound on
expansion), its preamble is parsed with `numpy.lib.format` (never unpickled) and checked
before its data, and no more bytes are read than its shape holds. Every way the bytes can be
wrong is a `ModelFileError` naming the file; what the header says is checked by the caller.
"""

from __future__ import annotations

import contextlib
import errno
import io
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from .errors import ModelFileError
from .model_format import HEADER, MAX_HEADER_BYTES

_NPY_PREAMBLE_BYTES = 64 * 2**10  # what a member may hold beyond its data: the .npy preamble
_DEFLATE_RATIO = 1032  # deflate cannot expand its input more than this: zlib's own bound
_ZIP_ERRORS = (  # what zipfile and numpy.lib.format raise on bytes that are not a valid archive
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    LookupError,
)

Members = dict[str, zipfile.ZipInfo]


@contextlib.contextmanager
def opened_archive(path: Path) -> Iterator[tuple[zipfile.ZipFile, Members]]:
    """Open the archive at ``path`` and list its members, refusing what is not a model file.

    A file that is not a zip archive is refused after its first two bytes; a pipe, which
    cannot seek, is read whole (no more bytes than it sends).
    """
    with path.open("rb") as opened:  # OSError (FileNotFoundError, IsADirectoryError) as it is
        start = opened.read(2)
        if start != b"PK":  # refuse a foreign file before reading all of it
            kind = "an empty file" if not start else "not a zip archive"
            raise ModelFileError(f"{path} is not a layerkit model file ({kind})")
        file = _SeekChecked(opened if opened.seekable() else io.BytesIO(start + opened.read()))
        try:
            archive = zipfile.ZipFile(file)
        except (*_ZIP_ERRORS, _BadSeek) as error:
            raise ModelFileError(
                f"{path} is truncated or corrupted: cannot read it as an .npz archive "
                f"({type(error).__name__}: {error})"
            ) from None
        with archive:
            yield archive, _members(path, archive, file.size)


class _SeekChecked:
    """The model file as zipfile reads it, with a seek before its start a format error.

    A real file answers such a seek with ``OSError(EINVAL)``, which would pass for an I/O
    error; every other ``OSError`` from reading is one.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.size = file.seek(0, os.SEEK_END)

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset < 0:
            base = self.file.tell() if whence == os.SEEK_CUR else self.size * (whence != 0)
            if base + offset < 0:
                raise _BadSeek(errno.EINVAL, f"a seek to offset {base + offset}")
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def seekable(self) -> bool:
        return True


class _BadSeek(OSError):
    """A seek before the start of the file: zipfile expects an OSError, layerkit a format error."""


def _members(path: Path, archive: zipfile.ZipFile, size: int) -> Members:
    """The archive's members by name, refusing duplicates, members that claim more bytes than
    the file's ``size`` holds, and an archive without the header."""
    members: Members = {}
    for info in archive.infolist():
        if info.filename in members:
            raise ModelFileError(
                f"{path} is corrupted: it holds two members named {info.filename!r}"
            )
        if info.header_offset + info.compress_size > size:
            raise ModelFileError(
                f"{path} is truncated or corrupted: its member {info.filename!r} claims "
                f"{info.compress_size} bytes from offset {info.header_offset}, the file has {size}"
            )
        members[info.filename] = info
    if HEADER + ".npy" not in members:
        if HEADER in members:
            raise ModelFileError(
                f"{path} has a corrupted header: the member {HEADER!r} is not an .npy array"
            )
        names = ", ".join(sorted(name.removesuffix(".npy") for name in members)[:8]) or "none"
        raise ModelFileError(
            f"{path} is not a layerkit model file: it is an .npz archive without the "
            f"{HEADER!r} header (its arrays: {names})"
        )
    return members


def read_array(
    path: Path,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    dtype_name: str,
    shape: tuple[int, ...] | None,
) -> np.ndarray:
    """Read one ``.npy`` member, checked against ``dtype_name`` and ``shape`` before its data.

    ``shape=None`` (the header) accepts any 1-D array of up to `MAX_HEADER_BYTES`. No more
    bytes are inflated than the member's declared size, itself checked against the shape.
    """
    itemsize = np.dtype(dtype_name).itemsize
    most = MAX_HEADER_BYTES if shape is None else math.prod(shape) * itemsize
    least = 0 if shape is None else most
    problem = _member_problem(info, least, most + _NPY_PREAMBLE_BYTES)
    if problem is not None:
        raise ModelFileError(f"{path} is corrupted: array {name!r} {problem}")
    try:
        with archive.open(info) as member:
            found_shape, fortran_order, dtype = _read_preamble(member)
            if shape is None and len(found_shape) == 1 and found_shape[0] <= MAX_HEADER_BYTES:
                shape = found_shape  # the header: any one-dimensional array of bytes
            if dtype.name != dtype_name or dtype.fields or found_shape != shape:
                raise ModelFileError(
                    _mismatch(path, name, (dtype, found_shape), (dtype_name, shape))
                )
            data = _read_exactly(member, math.prod(shape) * itemsize)
    except ModelFileError:
        raise
    except (*_ZIP_ERRORS, _BadSeek, Warning) as error:
        raise ModelFileError(
            f"{path} is truncated or corrupted: cannot read array {name!r} "
            f"({type(error).__name__}: {error})"
        ) from None
    array = np.frombuffer(data, dtype=dtype)
    if fortran_order:
        array = array.reshape(shape[::-1]).transpose()
    else:
        array = array.reshape(shape)
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def _mismatch(path: Path, name: str, found: tuple[Any, Any], expected: tuple[Any, Any]) -> str:
    """Say how an array's dtype or shape differs from what the header says."""
    if name == HEADER:
        return (
            f"{path} is not a layerkit model file: its header array has dtype {found[0]} and "
            f"shape {found[1]}, not uint8 in one dimension of at most {MAX_HEADER_BYTES} bytes"
        )
    what = "dtype" if found[0].name != expected[0] or found[0].fields else "shape"
    index = 0 if what == "dtype" else 1
    return (
        f"{path} is corrupted: parameter {name!r} has {what} {found[index]}, the header says "
        f"{expected[index]}"
    )


def _member_problem(info: zipfile.ZipInfo, least: int, most: int) -> str | None:
    """What makes a member unreadable or larger than ``most`` bytes, before reading it."""
    if info.is_dir():
        return "is a directory"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"uses compression method {info.compress_type} (layerkit reads stored or deflated)"
    if not least <= info.file_size <= most:
        return f"declares {info.file_size} bytes where {least} to {most} are expected"
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        return f"is stored in {info.compress_size} bytes but declares {info.file_size}"
    if info.file_size > info.compress_size * _DEFLATE_RATIO + 64:
        return f"declares {info.file_size} bytes, more than deflate makes of {info.compress_size}"
    return None


def _read_preamble(member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """Read the ``.npy`` magic and header: shape, Fortran order and dtype; never unpickles."""
    version = np.lib.format.read_magic(member)
    # NumPy warns (UserWarning) when it has to parse a header as Python 2 wrote them; where
    # warnings are errors, the caller turns that one into a ModelFileError too.
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f"unsupported .npy format version {version}")


def _read_exactly(member: IO[bytes], size: int) -> bytearray:
    """Read ``size`` bytes, in chunks, refusing a member with fewer or more."""
    try:
        data = bytearray(size)
    except MemoryError:
        raise ValueError(f"its {size} bytes do not fit in memory") from None
    view = memoryview(data)
    filled = 0
    while filled < size:
        chunk = member.read(min(size - filled, 2**20))
        if not chunk:
            raise ValueError(f"its data ends after {filled} of {size} bytes")
        view[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    if member.read(1):
        raise ValueError(f"it holds more than the {size} bytes of its shape")
    return data
