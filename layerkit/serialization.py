"""Saving a model to one file and loading it back, bit for bit, without running any code.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

- one array per parameter, named as ``model.parameters()`` names it (``"0.W"``, ``"2.b"``,
  ``"1.0.W"`` inside a nested `Sequential`), in its own dtype, so float32 stays float32;
- the array ``"__layerkit__"``: a JSON header, UTF-8 encoded as ``uint8``, that describes the
  architecture by registered names and constructor options (`Dense` by its ``config()``,
  activations by the name their plugin registered them under), the loss if one was given,
  free-form metadata, and the versions of layerkit and of each plugin that wrote it.

Loading reads the header first and trusts nothing before it has been checked: it refuses a
member the header does not name without reading it, checks every member's size, dtype and
shape against the header before inflating it, never inflates more than the header declares,
never unpickles, and rebuilds the layers through the registry, so a model file can never
execute code or make layerkit use more memory than the model it describes.

Saving writes a temporary file in the same directory, flushes it to disk and renames it over
the target, so a crash in the middle of a save leaves the previous file as it was.

Examples
--------
>>> import tempfile, pathlib
>>> import layerkit as lk
>>> net = lk.mlp([2, 3, 2], seed=0)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
>>> save(net, path)
>>> copy = load(path)
>>> x = np.array([[0.05, 0.1]])
>>> np.array_equal(copy(x), net(x))
True
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import math
import os
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .dense import Dense
from .errors import (
    ComponentTypeError,
    ConfigurationError,
    LayerkitError,
    ModelFileError,
    NonFiniteError,
    UnsavableLayerError,
)
from .layer import Layer
from .loss import Loss
from .registry import BUILTIN, Component, activations, losses
from .sequential import Sequential
from .validation import FLOAT_DTYPES, Array

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: stale temporaries are then kept
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER",
    "MAX_DEPTH",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_VALUES",
    "SavedModel",
    "iter_layers",
    "load",
    "read",
    "save",
]

FORMAT = "layerkit-model"
"""The ``"format"`` entry of every header: tells a layerkit model from any other ``.npz``."""
FORMAT_VERSION = 1
"""The version of the file layout this layerkit writes; it reads this version and older."""
HEADER = "__layerkit__"
"""The name of the array that holds the JSON header."""
MAX_HEADER_BYTES = 16 * 2**20
"""The largest header `load` reads (16 MiB); the header of a real model is a few kilobytes."""
MAX_HEADER_VALUES = 2**19
"""The most JSON values a header may hold (counted by their separators, ``,`` ``[`` ``{``): a
header of that many values costs at most some 40 MiB once parsed."""
MAX_DEPTH = 100
"""How deep `Sequential` models may nest in a model file (`save` refuses deeper ones)."""

_NPY_PREAMBLE_BYTES = 64 * 2**10  # what a member may hold beyond its data: the .npy preamble
_MAX_NESTING = 2 * MAX_DEPTH + 50  # JSON nesting of a header; metadata may nest this deep
_MAX_ARRAY_BYTES = 2**48  # no parameter is larger; keeps shape arithmetic far from overflow
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

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class SavedModel:
    """Everything a model file holds, as `read` returns it."""

    model: Layer
    """The rebuilt network, with the saved parameters."""
    loss: Loss | None
    """The loss saved with the model, rebuilt from its registered name, or ``None``."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form JSON data saved with the model (the command line keeps the column names)."""
    layerkit_version: str = ""
    """The version of layerkit that wrote the file."""
    components: list[dict[str, Any]] = field(default_factory=list)
    """Each activation and loss the model needs: name, kind, plugin, distribution, version."""


def _as_path(path: object, action: str) -> Path:
    """Return ``path`` as a `Path`, refusing what cannot name a file with a layerkit error."""
    try:
        text = os.fsdecode(path)  # type: ignore[arg-type]
    except TypeError:
        hint = (
            " (a model? the model comes first: save(model, path))"
            if isinstance(path, Layer)
            else ""
        )
        raise ComponentTypeError(
            f"{action} expects a path (a str or os.PathLike), got {_shown(path)} of type "
            f"{type(path).__name__}{hint}"
        ) from None
    if not text:
        raise ConfigurationError(f"{action} expects a path, got an empty string")
    if "\0" in text:
        raise ConfigurationError(
            f"{action} got the path {text!r}, which holds a NUL character (no file name can)"
        )
    return Path(text)


# ------------------------------------------------------------------------------------ save
def save(
    model: Layer,
    path: PathLike,
    *,
    loss: Loss | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``model`` (architecture and parameters) to ``path`` as a layerkit model file.

    The file is written under a temporary name in the same directory, flushed to disk and
    then renamed to ``path`` in one step: readers see the old file or the new one, never half
    of one, and a save that fails with an exception leaves no temporary file behind. A process
    killed during a save (``SIGKILL``, a power cut) can leave its temporary file,
    ``.NAME.HASH.XXXXXXXX.tmp`` beside ``path`` (``NAME`` is the file name, shortened to 100
    bytes, ``HASH`` 12 hex digits of it); the next save of the same path removes every such file
    that no running save still writes (each save holds a lock on its own temporary file, on
    systems with ``fcntl``). ``path`` is used as given (``.npz`` is the customary suffix, but
    none is added).

    Parameters
    ----------
    model
        A `Sequential` (nested ones too, up to `MAX_DEPTH` deep), a `Dense`, or an activation
        registered by a plugin (built-ins included), or any combination of these.
    path
        Where to write; an existing file is replaced.
    loss
        A loss to save with the model (registered by name), e.g. for ``layerkit explain``.
    metadata
        JSON data to keep with the model, returned by `read`: a mapping with string keys whose
        values are strings, finite numbers, booleans, ``None``, lists and such mappings
        (tuples come back as lists).

    Raises
    ------
    ComponentTypeError
        When ``model`` is not a `Layer`, ``loss`` not a `Loss`, ``metadata`` not a mapping, or
        ``path`` not a path.
    ConfigurationError
        When ``path`` is empty or holds a NUL character.
    UnsavableLayerError
        When a layer is not `Dense`, `Sequential` or a registered activation, the loss is not
        registered, a ``config()`` or the metadata is not JSON as described above, a
        ``config()`` does not rebuild its class, a `Dense` layer's ``W`` or ``b`` no longer
        fits its sizes, the file would exceed what `load` reads (`MAX_DEPTH`,
        `MAX_HEADER_BYTES`, `MAX_HEADER_VALUES`), or the registry of plugins cannot be read
        while the model needs it. Nothing is written: everything `save` writes, `load` reads.
    NonFiniteError
        When a parameter holds NaN or infinity. Nothing is written.
    OSError
        When the directory does not exist or cannot be written (``FileNotFoundError``,
        ``IsADirectoryError`` when ``path`` is a directory, ``PermissionError``, ...).
    """
    target = _as_path(path, "save")
    header, arrays = _describe(model, loss, metadata)
    encoded = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    problem = _header_size_problem(encoded)
    if problem is not None:
        raise UnsavableLayerError(
            f"cannot save {_shown(model)}: its header (architecture and metadata) {problem}, which "
            f"load refuses; keep large data out of the metadata"
        )
    arrays = {HEADER: np.frombuffer(encoded, dtype=np.uint8), **arrays}
    _atomic_write(target, arrays)


def _describe(
    model: Layer, loss: Loss | None, metadata: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Array]]:
    """Return the JSON header and the parameter arrays of ``model``."""
    from . import __version__

    if not isinstance(model, Layer):
        hint = " (a class: did you forget the parentheses?)" if isinstance(model, type) else ""
        raise ComponentTypeError(
            f"save expects a Layer (a Sequential, a Dense or an activation), got "
            f"{_shown(model)} of type {type(model).__name__}{hint}"
        )
    if loss is not None and not isinstance(loss, Loss):
        hint = " (a class: did you forget the parentheses?)" if isinstance(loss, type) else ""
        raise ComponentTypeError(
            f"save expects loss=None or a Loss instance such as L2Loss(), got {_shown(loss)} "
            f"of type {type(loss).__name__}{hint}"
        )
    if metadata is not None and not isinstance(metadata, Mapping):
        raise ComponentTypeError(
            f"save expects metadata=None or a mapping with string keys, got {_shown(metadata)} of "
            f"type {type(metadata).__name__}"
        )
    arrays: dict[str, Array] = {}
    components: dict[tuple[str, str], dict[str, Any]] = {}
    architecture = _Describe(arrays, components).layer(model, "", 0)
    header: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layerkit_version": __version__,
        "model": architecture,
        "parameters": {
            name: {"dtype": array.dtype.name, "shape": list(array.shape)}
            for name, array in arrays.items()
        },
        "loss": None,
        "metadata": {},
    }
    if loss is not None:
        component = _registered(losses, "loss", f"loss {_shown(loss)}").get(type(loss))
        if component is None:
            raise UnsavableLayerError(
                f"cannot save loss {_shown(loss)}: its class {_qualified(type(loss))} is not a "
                f"registered loss; register it via a plugin (a register_losses hook)"
            )
        header["loss"] = {"name": component.name, "config": _rebuildable(component, loss, "loss")}
        components[("loss", component.name)] = _component_record(component)
    header["components"] = list(components.values())
    if metadata is not None:
        header["metadata"] = _json_checked(dict(metadata), "metadata", _MAX_NESTING - 1)
    if _json_problem(header, _MAX_NESTING) is not None:  # deep models with deep configs
        raise UnsavableLayerError(
            f"cannot save {_shown(model)}: its description nests more than {_MAX_NESTING} deep"
        )
    return header, arrays


class _Describe:
    """Describes the layers of one model, consulting the registry only for activations."""

    def __init__(
        self, arrays: dict[str, Array], components: dict[tuple[str, str], dict[str, Any]]
    ) -> None:
        self.arrays = arrays
        self.components = components
        self.by_class: dict[type, Component] | None = None

    def layer(self, layer: Layer, prefix: str, depth: int) -> dict[str, Any]:
        where = f"layer {prefix.rstrip('.')}" if prefix else "the model"
        if depth > MAX_DEPTH:
            raise UnsavableLayerError(
                f"cannot save the model: its Sequential models nest more than {MAX_DEPTH} deep "
                f"(does a Sequential contain itself?)"
            )
        kind = type(layer)
        if kind is Sequential:
            return {
                "type": "sequential",
                "layers": [
                    self.layer(child, f"{prefix}{i}.", depth + 1)
                    for i, child in enumerate(layer)  # type: ignore[attr-defined]
                ],
            }
        if kind is Dense:
            node: dict[str, Any] = {"type": "dense", "config": _json_config(layer, where)}
        else:
            component = self.registered(layer, where).get(kind)
            if component is None:
                raise UnsavableLayerError(
                    f"cannot save {where} ({_shown(layer)}): its class {_qualified(kind)} is "
                    f"neither Dense, Sequential nor a registered activation; register it via a "
                    f"plugin (a register_activations hook, see `layerkit plugins`) so that it can "
                    f"be rebuilt by name"
                )
            node = {
                "type": "activation",
                "name": component.name,
                "config": _rebuildable(component, layer, where),
            }
            self.components[("activation", component.name)] = _component_record(component)
        for name in layer.param_names:
            if not isinstance(name, str):
                raise UnsavableLayerError(
                    f"cannot save {where} ({_shown(layer)}): its param_names hold "
                    f"{_shown(name)}, not a string"
                )
            self.parameter(layer, where, prefix, name)
        if kind is Dense:
            _check_dense(layer, where)  # type: ignore[arg-type]
        return node

    def registered(self, layer: Layer, where: str) -> dict[type, Component]:
        if self.by_class is None:
            self.by_class = _registered(activations, "activation", f"{where} ({_shown(layer)})")
        return self.by_class

    def parameter(self, layer: Layer, where: str, prefix: str, name: str) -> None:
        value = getattr(layer, name, None)
        if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
            raise UnsavableLayerError(
                f"cannot save {where} ({_shown(layer)}): parameter {name!r} is not a float32 or "
                f"float64 array"
            )
        if prefix + name in self.arrays or prefix + name == HEADER:
            raise UnsavableLayerError(
                f"cannot save {where} ({_shown(layer)}): its parameter {name!r} would be stored as "
                f"{prefix + name!r}, a name already taken in the file"
            )
        if not np.all(np.isfinite(value)):
            raise NonFiniteError(
                f"cannot save {where} ({_shown(layer)}): parameter {name!r} holds NaN or infinity "
                f"(did training diverge?)"
            )
        self.arrays[prefix + name] = value


def _check_dense(layer: Dense, where: str) -> None:
    """Refuse a Dense whose weights no longer fit its sizes: load would refuse the file."""
    W, b = layer.W, layer.b
    expected = (layer.in_features, layer.out_features)
    if W.shape != expected or b.shape != expected[1:] or W.dtype != b.dtype:
        raise UnsavableLayerError(
            f"cannot save {where} ({_shown(layer)}): W {W.shape} {W.dtype} and b {b.shape} "
            f"{b.dtype} do not fit its sizes {expected} and one dtype, so it could not be loaded "
            f"back"
        )


def _rebuildable(component: Component, thing: Layer | Loss, where: str) -> dict[str, Any]:
    """Return the config of an activation or loss, once its class has been rebuilt from it."""
    config = _json_config(thing, where)
    try:
        component.cls(**config)
    except Exception as error:
        raise UnsavableLayerError(
            f"cannot save {where} ({_shown(thing)}): {_qualified(component.cls)} cannot be rebuilt "
            f"from its config() {config} ({type(error).__name__}: {error}), so load would "
            f"refuse the file"
        ) from error
    return config


def _registered(lookup: Any, kind: str, what: str) -> dict[type, Component]:
    """Reverse lookup of ``lookup()`` (activations or losses): class → first registration."""
    try:
        registered = lookup()
    except Exception as error:  # a broken plugin: say so instead of a traceback from pluggy
        raise UnsavableLayerError(
            f"cannot save {what}: the registered {kind}s cannot be listed "
            f"({type(error).__name__}: {error}); see `layerkit plugins`"
        ) from error
    found: dict[type, Component] = {}
    for component in registered.values():
        found.setdefault(component.cls, component)
    return found


def _component_record(component: Component) -> dict[str, Any]:
    from . import __version__

    builtin = component.plugin == BUILTIN
    return {
        "kind": component.kind,
        "name": component.name,
        "class": _qualified(component.cls),
        "plugin": component.plugin,
        "distribution": "layerkit" if builtin else component.distribution,
        "version": __version__ if builtin else component.version,
    }


def _json_config(thing: Layer | Loss, where: str) -> dict[str, Any]:
    try:
        config = thing.config()
    except Exception as error:
        raise UnsavableLayerError(
            f"cannot save {where}: its config() raised {type(error).__name__}: {error}"
        ) from error
    if not isinstance(config, dict):
        raise UnsavableLayerError(
            f"cannot save {where}: its config() returned {_shown(config)}, not a dict of options"
        )
    return _json_checked(config, f"the config() of {where} ({_shown(thing)})", _MAX_NESTING)


def _json_checked(value: dict[str, Any], what: str, limit: int) -> dict[str, Any]:
    """Return ``value`` if it survives JSON exactly (but for tuples), else raise."""
    problem = _json_problem(value, limit)
    if problem is None:
        try:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as error:
            problem = str(error)
    if problem is not None:
        raise UnsavableLayerError(f"cannot save {what}: not JSON-serialisable ({problem})")
    return value


def _json_problem(value: Any, limit: int) -> str | None:
    """What JSON would change or refuse in ``value``: a non-string key, a nesting over ``limit``."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return f"nested more than {limit} deep"
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"key {_shown(key)} is of type {type(key).__name__}, not a string"
                pending.append((child, depth + 1))
        elif isinstance(item, list | tuple):
            pending.extend((child, depth + 1) for child in item)
    return None


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _shown(value: object) -> str:
    """``repr(value)`` for an error message: at most 100 characters, and never an error."""
    try:
        text = repr(value)
    except Exception:  # an int of 5,000 digits, a layer whose config() fails
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= 100 else text[:97] + "..."


def _atomic_write(path: Path, arrays: dict[str, Array]) -> None:
    """Write ``arrays`` as an ``.npz`` to ``path`` through a temporary file and a rename."""
    directory = path.parent
    if not directory.is_dir():
        code = errno.ENOTDIR if directory.exists() else errno.ENOENT
        raise OSError(code, f"cannot save {path}: no such directory", str(directory))
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
    stem = _temporary_stem(path)
    _remove_stale_temporaries(directory, stem)
    descriptor, temporary = _locked_temporary(directory, stem)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
            os.chmod(temporary, _file_mode(path))
            os.replace(temporary, path)  # before closing: the lock keeps cleaners away
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _temporary_stem(path: Path) -> str:
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


def _write_npz(file: IO[bytes], arrays: dict[str, Array]) -> None:
    """Write the archive (the step a crash can interrupt; the tests make it fail here).

    As ``np.savez`` writes it, without passing the names as keyword arguments: a parameter
    named ``file`` or ``allow_pickle`` would collide with savez's own.
    """
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


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


# ------------------------------------------------------------------------------------ load
def load(path: PathLike) -> Layer:
    """Return the model saved in ``path`` by `save`, with its parameters bit for bit.

    The file is checked before it is trusted: its header is read first (at most
    `MAX_HEADER_BYTES`), a member the header does not name is refused unread, and no member
    is inflated beyond the size the header declares for it, so a crafted file cannot make
    loading use more memory than the model it describes.

    Raises
    ------
    ModelFileError
        When the file is truncated, corrupted, not a layerkit model file, of a newer format
        version, holds a parameter with NaN or infinity (`save` never writes one), or needs an
        activation that no installed plugin provides (the message names the activation and
        the plugin and distribution that provided it when it was saved).
    ComponentTypeError
        When ``path`` is not a path (``None``, a number).
    ConfigurationError
        When ``path`` is empty or holds a NUL character.
    OSError
        When the file cannot be opened or read (``FileNotFoundError`` when it does not exist,
        ``IsADirectoryError`` when it is a directory).
    """
    return read(path).model


def read(path: PathLike) -> SavedModel:
    """Return the model, the loss, the metadata and the versions saved in ``path``.

    Raises the same errors as `load`.
    """
    path = _as_path(path, "load")
    with path.open("rb") as opened:  # OSError (FileNotFoundError, IsADirectoryError) as it is
        start = opened.read(2)
        if start != b"PK":  # refuse a foreign file before reading all of it
            kind = "an empty file" if not start else "not a zip archive"
            raise ModelFileError(f"{path} is not a layerkit model file ({kind})")
        # A pipe cannot seek: read it whole, no more bytes than it sends.
        file = _SeekChecked(opened if opened.seekable() else io.BytesIO(start + opened.read()))
        try:
            archive = zipfile.ZipFile(file)
        except (*_ZIP_ERRORS, _BadSeek) as error:
            raise ModelFileError(
                f"{path} is truncated or corrupted: cannot read it as an .npz archive "
                f"({type(error).__name__}: {error})"
            ) from None
        with archive:
            members = _members(path, archive, file.size)
            header = _read_header(path, archive, members)
            return _Rebuild(path, header, archive, members).saved_model()


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


def _members(path: Path, archive: zipfile.ZipFile, size: int) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by name, refusing duplicates, members that claim more bytes than
    the file's ``size`` holds, and an archive without the header."""
    members: dict[str, zipfile.ZipInfo] = {}
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


def _read_header(
    path: Path, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]
) -> dict[str, Any]:
    raw = _read_array(path, archive, members[HEADER + ".npy"], HEADER, "uint8", None).tobytes()
    problem = _header_size_problem(raw)  # before parsing: JSON takes ~25x its size in objects
    if problem is not None:
        raise ModelFileError(f"{path} has a corrupted header: {problem}")
    try:
        header = json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except RecursionError:
        raise ModelFileError(f"{path} has a corrupted header: it nests too deeply") from None
    except ValueError as error:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ModelFileError(f"{path} has a corrupted header: {error}") from None
    if _json_problem(header, _MAX_NESTING) is not None:  # before anything recurses into it
        raise ModelFileError(
            f"{path} has a corrupted header: it nests more than {_MAX_NESTING} deep"
        )
    if header.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is not a layerkit model file (its header's format is "
            f"{str(header.get('format'))[:80]!r}, expected {FORMAT!r})"
        )
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} has an invalid format version {str(version)[:80]!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {str(version)[:20]}, written by layerkit "
            f"{str(header.get('layerkit_version', '?'))[:80]}; this layerkit reads format "
            f"version {FORMAT_VERSION} and older: upgrade layerkit to load it"
        )
    problem = _header_problem(header)
    if problem is not None:
        raise ModelFileError(f"{path} has a corrupted header: {problem}")
    return header


def _header_size_problem(encoded: bytes) -> str | None:
    """Why a header (JSON, UTF-8) is too large for `load`, if it is."""
    if len(encoded) > MAX_HEADER_BYTES:
        return f"is {len(encoded)} bytes long, more than {MAX_HEADER_BYTES}"
    values = encoded.count(b",") + encoded.count(b"[") + encoded.count(b"{")
    if values > MAX_HEADER_VALUES:
        return f"holds some {values} JSON values, more than {MAX_HEADER_VALUES}"
    return None


def _refuse_constant(name: str) -> None:
    raise ValueError(f"it holds {name}, which save never writes")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _header_problem(header: dict[str, Any]) -> str | None:
    """What is wrong with the parts of a parsed header that do not describe layers, if any."""
    if not isinstance(header.get("model"), dict):
        return "its 'model' is missing or not a JSON object"
    parameters = header.get("parameters")
    if not isinstance(parameters, dict):
        return "its 'parameters' is missing or not a JSON object"
    for name, entry in parameters.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("dtype") not in ("float32", "float64"):
            return f"parameter {name!r} is {str(entry)[:80]}, without dtype float32 or float64"
        if not (
            isinstance(shape, list)
            and len(shape) <= 32
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape)
        ):
            return f"parameter {name!r} has shape {str(shape)[:80]}, not a list of sizes"
        if math.prod(shape) * np.dtype(entry["dtype"]).itemsize > _MAX_ARRAY_BYTES:
            return f"parameter {name!r} has shape {str(shape)[:80]}, larger than any model"
    components = header.get("components", [])
    if not isinstance(components, list) or not all(
        isinstance(c, dict) and isinstance(c.get("kind"), str) and isinstance(c.get("name"), str)
        for c in components
    ):
        return "its 'components' is not a list of objects with a kind and a name"
    loss = header.get("loss")
    if loss is not None and not (
        isinstance(loss, dict)
        and isinstance(loss.get("name"), str)
        and isinstance(loss.get("config", {}), dict)
    ):
        return f"its 'loss' is {str(loss)[:80]}, not an object with a name and a config"
    if not isinstance(header.get("metadata") or {}, dict):
        return "its 'metadata' is not a JSON object"
    return None


def _read_array(
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


class _Rebuild:
    """Rebuilds the model of one file, checking each part of the header as it goes."""

    def __init__(
        self,
        path: Path,
        header: dict[str, Any],
        archive: zipfile.ZipFile,
        members: dict[str, zipfile.ZipInfo],
    ):
        self.path = path
        self.header = header
        self.archive = archive
        self.members = members
        self.parameters: dict[str, dict[str, Any]] = header["parameters"]
        self.used: set[str] = set()
        self.provenance = {(c["kind"], c["name"]): c for c in header.get("components", [])}

    def saved_model(self) -> SavedModel:
        header = self.header
        # Refuse what the header does not name before reading anything else: a bomb stays shut.
        unnamed = sorted(
            name.removesuffix(".npy")
            for name in self.members
            if name != HEADER + ".npy"
            and not (name.endswith(".npy") and name.removesuffix(".npy") in self.parameters)
        )
        if unnamed:
            self.unused(unnamed)
        try:
            model = self.layer(header["model"], "", 0)
            loss = self.loss(header.get("loss"))
        except ModelFileError:
            raise
        except (LayerkitError, LookupError, TypeError, ValueError, AttributeError) as error:
            raise ModelFileError(
                f"{self.path} has a corrupted header: cannot rebuild the model "
                f"({type(error).__name__}: {error})"
            ) from None
        unused = sorted(set(self.parameters) - self.used)
        if unused:
            self.unused(unused)
        return SavedModel(
            model=model,
            loss=loss,
            metadata=header.get("metadata") or {},
            layerkit_version=str(header.get("layerkit_version", "")),
            components=list(self.provenance.values()),
        )

    def unused(self, names: list[str]) -> None:
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise ModelFileError(
            f"{self.path} is corrupted: it holds arrays the model does not use: {shown}"
        )

    def layer(self, node: Any, prefix: str, depth: int) -> Layer:
        where = f"layer {prefix.rstrip('.')}" if prefix else "the model"
        if not isinstance(node, dict):
            raise ModelFileError(f"{self.path} has a corrupted header: {where} is not an object")
        if depth > MAX_DEPTH:
            raise ModelFileError(
                f"{self.path} has a corrupted header: Sequential models nest more than "
                f"{MAX_DEPTH} deep at {where}"
            )
        kind = node.get("type")
        if kind == "sequential":
            children = node.get("layers")
            if not isinstance(children, list) or not children:
                raise ModelFileError(
                    f"{self.path} has a corrupted header: the sequential {where} has no layers"
                )
            return Sequential(
                *(self.layer(child, f"{prefix}{i}.", depth + 1) for i, child in enumerate(children))
            )
        config = node.get("config", {})
        if not isinstance(config, dict):
            raise ModelFileError(
                f"{self.path} has a corrupted header: the config of {where} is not an object"
            )
        if kind == "dense":
            W, b = self.parameter(prefix + "W"), self.parameter(prefix + "b")
            try:
                return Dense(**config, W=W, b=b)
            except Exception as error:
                raise ModelFileError(
                    f"{self.path} has a corrupted header: cannot build the Dense {where} from "
                    f"its saved options {str(config)[:200]} ({type(error).__name__}: {error})"
                ) from None
        if kind == "activation":
            name = node.get("name")
            if not isinstance(name, str):
                raise ModelFileError(
                    f"{self.path} has a corrupted header: the activation {where} has no name"
                )
            layer = self.activation(name, config)
            for name in layer.param_names:
                value = self.parameter(prefix + name)
                setattr(layer, name, value)
                setattr(layer, "d" + name, np.zeros_like(value))
            return layer
        raise ModelFileError(
            f"{self.path} holds a layer of unknown type {str(kind)[:80]!r}; it was written by "
            f"layerkit {str(self.header.get('layerkit_version', '?'))[:80]}: upgrade layerkit "
            f"to load it"
        )

    def activation(self, name: str, config: dict[str, Any]) -> Layer:
        registered = self.registered(activations, "activation", name)
        if name not in registered:
            raise ModelFileError(self.missing("activation", name, registered))
        try:
            return registered[name].cls(**config)
        except Exception as error:
            raise ModelFileError(self.incompatible("activation", name, config, error)) from None

    def loss(self, node: dict[str, Any] | None) -> Loss | None:
        if node is None:
            return None
        name, config = node["name"], node.get("config", {})
        registered = self.registered(losses, "loss", name)
        if name not in registered:
            raise ModelFileError(self.missing("loss", name, registered))
        try:
            return registered[name].cls(**config)
        except Exception as error:
            raise ModelFileError(self.incompatible("loss", name, config, error)) from None

    def registered(self, lookup: Any, kind: str, name: str) -> dict[str, Component]:
        try:
            return lookup()
        except Exception as error:
            raise ModelFileError(
                f"{self.path} needs the {kind} {name!r}, but the registered {kind}s cannot be "
                f"listed ({type(error).__name__}: {error}); see `layerkit plugins`"
            ) from error

    def missing(self, kind: str, name: str, registered: dict[str, Component]) -> str:
        saved = self.provenance.get((kind, name), {})
        plugin, distribution = saved.get("plugin"), saved.get("distribution")
        if distribution:
            source = (
                f"it was provided by plugin {plugin!r} from distribution {distribution} "
                f"{saved.get('version') or ''}".rstrip()
                + f"; install it (pip install {distribution}) to load this model"
            )
        elif plugin:
            source = (
                f"it was provided by plugin {plugin!r}, registered at run time (not an "
                f"installed distribution); register that plugin before loading"
            )
        else:
            source = "the file does not say which plugin provided it"
        return (
            f"{self.path} needs the {kind} {name!r}, which no installed plugin provides "
            f"(available: {', '.join(sorted(registered))}); {source}"
        )

    def incompatible(self, kind: str, name: str, config: dict[str, Any], error: Exception) -> str:
        saved = self.provenance.get((kind, name), {})
        return (
            f"{self.path}: the installed {kind} {name!r} cannot be built with the saved options "
            f"{str(config)[:200]} ({type(error).__name__}: {error}); the file was written with "
            f"{saved.get('distribution') or saved.get('plugin') or 'an unknown plugin'} "
            f"{saved.get('version') or ''}".rstrip()
        )

    def parameter(self, name: str) -> Array:
        expected = self.parameters.get(name)
        info = self.members.get(name + ".npy")
        if info is None or expected is None:
            raise ModelFileError(f"{self.path} is corrupted: parameter {name!r} is missing")
        shape = tuple(expected["shape"])
        value = _read_array(self.path, self.archive, info, name, expected["dtype"], shape)
        if not np.isfinite(value).all():
            raise ModelFileError(
                f"{self.path} is corrupted: parameter {name!r} holds NaN or infinity, which "
                f"save never writes"
            )
        self.used.add(name)
        return value


def iter_layers(model: Layer) -> Iterator[Layer]:
    """Yield the layers of ``model`` in order, descending into nested `Sequential` models.

    Examples
    --------
    >>> from layerkit import Dense, Sigmoid
    >>> [repr(layer) for layer in iter_layers(Sequential(Dense(2, 3), Sequential(Sigmoid())))]
    ['Dense(2→3)', 'Sigmoid()']
    """
    if isinstance(model, Sequential):
        for layer in model:
            yield from iter_layers(layer)
    else:
        yield model
