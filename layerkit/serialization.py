"""Saving a model to one file and loading it back, bit for bit, without running any code.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

- one array per parameter, named as ``model.parameters()`` names it (``"0.W"``, ``"2.b"``,
  ``"1.0.W"`` inside a nested `Sequential`), in its own dtype, so float32 stays float32;
- the array ``"__layerkit__"``: a JSON header, UTF-8 encoded as ``uint8``, that describes the
  architecture by registered names and constructor options (`Dense` by its ``config()``,
  activations by the name their plugin registered them under), the loss if one was given,
  free-form metadata, and the versions of layerkit and of each plugin that wrote it.

Loading reads the archive with ``allow_pickle=False`` and rebuilds the layers through the
registry, so a model file can never execute code. Saving writes a temporary file in the same
directory, flushes it to disk and renames it over the target, so a crash in the middle of a
save leaves the previous file as it was.

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
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .dense import Dense
from .errors import LayerkitError, ModelFileError, NonFiniteError, UnsavableLayerError
from .layer import Layer
from .loss import Loss
from .registry import BUILTIN, Component, activations, losses
from .sequential import Sequential
from .validation import FLOAT_DTYPES, Array

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER",
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
    of one, and a failed save leaves no temporary file behind. ``path`` is used as given
    (``.npz`` is the customary suffix, but none is added).

    Parameters
    ----------
    model
        A `Sequential` (nested ones too), a `Dense`, or an activation registered by a plugin
        (built-ins included), or any combination of these.
    path
        Where to write; an existing file is replaced.
    loss
        A loss to save with the model (registered by name), e.g. for ``layerkit explain``.
    metadata
        JSON-serialisable data to keep with the model, returned by `read`.

    Raises
    ------
    UnsavableLayerError
        When a layer is not `Dense`, `Sequential` or a registered activation, or its
        ``config()`` is not JSON-serialisable. Nothing is written.
    NonFiniteError
        When a parameter holds NaN or infinity. Nothing is written.
    OSError
        When the directory cannot be written.
    """
    header, arrays = _describe(model, loss, metadata)
    encoded = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    arrays = {HEADER: np.frombuffer(encoded, dtype=np.uint8), **arrays}
    _atomic_write(Path(path), arrays)


def _describe(
    model: Layer, loss: Loss | None, metadata: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Array]]:
    """Return the JSON header and the parameter arrays of ``model``."""
    from . import __version__

    registered = _by_class(activations())
    arrays: dict[str, Array] = {}
    components: dict[tuple[str, str], dict[str, Any]] = {}
    architecture = _describe_layer(model, "", registered, arrays, components)
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
        component = _by_class(losses()).get(type(loss))
        if component is None:
            raise UnsavableLayerError(
                f"cannot save loss {loss!r}: its class {_qualified(type(loss))} is not a "
                f"registered loss; register it via a plugin (a register_losses hook)"
            )
        header["loss"] = {"name": component.name, "config": _json_config(loss, "loss")}
        components[("loss", component.name)] = _component_record(component)
    header["components"] = list(components.values())
    if metadata is not None:
        header["metadata"] = _json_checked(dict(metadata), "metadata")
    return header, arrays


def _describe_layer(
    layer: Layer,
    prefix: str,
    registered: dict[type, Component],
    arrays: dict[str, Array],
    components: dict[tuple[str, str], dict[str, Any]],
) -> dict[str, Any]:
    where = f"layer {prefix.rstrip('.')}" if prefix else "the model"
    kind = type(layer)
    if kind is Sequential:
        return {
            "type": "sequential",
            "layers": [
                _describe_layer(child, f"{prefix}{i}.", registered, arrays, components)
                for i, child in enumerate(layer)  # type: ignore[attr-defined]
            ],
        }
    if kind is Dense:
        node: dict[str, Any] = {"type": "dense", "config": _json_config(layer, where)}
    elif kind in registered:
        component = registered[kind]
        node = {
            "type": "activation",
            "name": component.name,
            "config": _json_config(layer, where),
        }
        components[("activation", component.name)] = _component_record(component)
    else:
        raise UnsavableLayerError(
            f"cannot save {where} ({layer!r}): its class {_qualified(kind)} is neither Dense, "
            f"Sequential nor a registered activation; register it via a plugin (a "
            f"register_activations hook, see `layerkit plugins`) so that it can be rebuilt "
            f"by name"
        )
    for name in layer.param_names:
        value = getattr(layer, name)
        if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
            raise UnsavableLayerError(
                f"cannot save {where} ({layer!r}): parameter {name!r} is not a float32 or "
                f"float64 array"
            )
        if not np.all(np.isfinite(value)):
            raise NonFiniteError(
                f"cannot save {where} ({layer!r}): parameter {name!r} holds NaN or infinity "
                f"(did training diverge?)"
            )
        arrays[prefix + name] = value
    return node


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
    return _json_checked(thing.config(), f"the config() of {where} ({thing!r})")


def _json_checked(value: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise UnsavableLayerError(f"cannot save {what}: not JSON-serialisable ({error})") from None
    return value


def _by_class(components: dict[str, Component]) -> dict[type, Component]:
    """Reverse lookup: class → the first name it is registered under."""
    found: dict[type, Component] = {}
    for component in components.values():
        found.setdefault(component.cls, component)
    return found


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _atomic_write(path: Path, arrays: dict[str, Array]) -> None:
    """Write ``arrays`` as an ``.npz`` to ``path`` through a temporary file and a rename."""
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _write_npz(file: IO[bytes], arrays: dict[str, Array]) -> None:
    """Write the archive (the step a crash can interrupt; the tests make it fail here)."""
    np.savez(file, **arrays)


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

    Raises
    ------
    ModelFileError
        When the file is truncated, corrupted, not a layerkit model file, of a newer format
        version, or needs an activation that no installed plugin provides (the message names
        the activation and the plugin and distribution that provided it when it was saved).
    OSError
        When the file cannot be opened (``FileNotFoundError`` when it does not exist).
    """
    return read(path).model


def read(path: PathLike) -> SavedModel:
    """Return the model, the loss, the metadata and the versions saved in ``path``.

    Raises the same errors as `load`.
    """
    path = Path(path)
    with path.open("rb") as file:  # OSError (FileNotFoundError, IsADirectoryError) as it is
        start = file.read(2)
        if start != b"PK":  # refuse a foreign file before reading all of it
            kind = "an empty file" if not start else "not a zip archive"
            raise ModelFileError(f"{path} is not a layerkit model file ({kind})")
        data = start + file.read()
    arrays = _read_arrays(path, data)
    header = _read_header(path, arrays)
    return _Rebuild(path, header, arrays).saved_model()


def _read_arrays(path: Path, data: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except Exception as error:  # the bytes are in memory: any failure means a bad file
        raise ModelFileError(
            f"{path} is truncated or corrupted: cannot read it as an .npz archive "
            f"({type(error).__name__}: {error})"
        ) from None


def _read_header(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    raw = arrays.get(HEADER)
    if raw is None:
        names = ", ".join(sorted(arrays)[:8]) or "none"
        raise ModelFileError(
            f"{path} is not a layerkit model file: it is an .npz archive without the "
            f"{HEADER!r} header (its arrays: {names})"
        )
    try:
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"header array of dtype {raw.dtype} and shape {raw.shape}")
        header = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path} has a corrupted header: {error}") from None
    if header.get("format") != FORMAT:
        raise ModelFileError(
            f"{path} is not a layerkit model file (its header's format is "
            f"{header.get('format')!r}, expected {FORMAT!r})"
        )
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} has an invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has model format version {version}, written by layerkit "
            f"{header.get('layerkit_version', '?')}; this layerkit reads format version "
            f"{FORMAT_VERSION} and older: upgrade layerkit to load it"
        )
    return header


class _Rebuild:
    """Rebuilds the model of one file, checking each part of the header as it goes."""

    def __init__(self, path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]):
        self.path = path
        self.header = header
        self.arrays = arrays
        self.used: set[str] = set()
        components = header.get("components", [])
        self.provenance = {
            (c.get("kind"), c.get("name")): c for c in components if isinstance(c, dict)
        }

    def saved_model(self) -> SavedModel:
        header = self.header
        try:
            model = self.layer(header["model"], "")
            loss = self.loss(header.get("loss"))
            metadata = header.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise ValueError("metadata is not a JSON object")
        except ModelFileError:
            raise
        except (LayerkitError, KeyError, TypeError, ValueError, AttributeError) as error:
            raise ModelFileError(
                f"{self.path} has a corrupted header: cannot rebuild the model "
                f"({type(error).__name__}: {error})"
            ) from None
        unused = sorted(set(self.arrays) - self.used - {HEADER})
        if unused:
            raise ModelFileError(
                f"{self.path} is corrupted: it holds arrays the model does not use: "
                f"{', '.join(unused)}"
            )
        return SavedModel(
            model=model,
            loss=loss,
            metadata=metadata,
            layerkit_version=str(header.get("layerkit_version", "")),
            components=list(self.provenance.values()),
        )

    def layer(self, node: dict[str, Any], prefix: str) -> Layer:
        kind = node["type"]
        if kind == "sequential":
            children = node["layers"]
            if not isinstance(children, list) or not children:
                raise ValueError(f"sequential at {prefix or 'top'} has no layers")
            return Sequential(
                *(self.layer(child, f"{prefix}{i}.") for i, child in enumerate(children))
            )
        config = node.get("config", {})
        if not isinstance(config, dict):
            raise ValueError(f"the config of {kind} at {prefix or 'top'} is not an object")
        if kind == "dense":
            return Dense(**config, W=self.parameter(prefix + "W"), b=self.parameter(prefix + "b"))
        if kind == "activation":
            layer = self.activation(node["name"], config)
            for name in layer.param_names:
                value = self.parameter(prefix + name)
                setattr(layer, name, value)
                setattr(layer, "d" + name, np.zeros_like(value))
            return layer
        raise ModelFileError(
            f"{self.path} holds a layer of unknown type {kind!r}; it was written by layerkit "
            f"{self.header.get('layerkit_version', '?')}: upgrade layerkit to load it"
        )

    def activation(self, name: str, config: dict[str, Any]) -> Layer:
        registered = activations()
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
        registered = losses()
        if name not in registered:
            raise ModelFileError(self.missing("loss", name, registered))
        try:
            return registered[name].cls(**config)
        except Exception as error:
            raise ModelFileError(self.incompatible("loss", name, config, error)) from None

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
            f"{config} ({type(error).__name__}: {error}); the file was written with "
            f"{saved.get('distribution') or saved.get('plugin') or 'an unknown plugin'} "
            f"{saved.get('version') or ''}".rstrip()
        )

    def parameter(self, name: str) -> Array:
        expected = self.header.get("parameters", {}).get(name)
        value = self.arrays.get(name)
        if value is None or expected is None:
            raise ModelFileError(f"{self.path} is corrupted: parameter {name!r} is missing")
        if value.dtype not in FLOAT_DTYPES or value.dtype.name != expected.get("dtype"):
            raise ModelFileError(
                f"{self.path} is corrupted: parameter {name!r} has dtype {value.dtype}, "
                f"the header says {expected.get('dtype')}"
            )
        if list(value.shape) != expected.get("shape"):
            raise ModelFileError(
                f"{self.path} is corrupted: parameter {name!r} has shape {value.shape}, "
                f"the header says {tuple(expected.get('shape') or ())}"
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
