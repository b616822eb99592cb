"""Saving a model to one file and loading it back, bit for bit, without running any code.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

- one array per parameter, named as ``model.parameters()`` names it (``"0.W"``, ``"2.b"``,
  ``"1.0.W"`` inside a nested `Sequential`), in its own dtype, so float32 stays float32;
- the array ``"__layerkit__"``: a JSON header, UTF-8 encoded as ``uint8``, that describes the
  architecture by registered names and constructor options (`Dense` by its ``config()``,
  activations by the name their plugin registered them under), the loss if one was given,
  free-form metadata, and the versions of layerkit and of each plugin that wrote it;
- in a checkpoint, the optimizer's registered name and options, and one array per entry of
  its state (``"__optimizer__.0.W.momentum_buffer"``), described in the header like the
  parameters (see `layerkit.model_optimizer`), and the epoch.

Loading reads the header first and trusts nothing before it has been checked: it refuses a
member the header does not name without reading it, checks every member's size, dtype and
shape against the header before inflating it, never inflates more than the header declares,
never unpickles, and rebuilds the layers through the registry, so a model file can never
execute code or make layerkit use more memory than the model it describes.

Saving writes a temporary file in the same directory, flushes it to disk and renames it over
the target, so a crash in the middle of a save leaves the previous file as it was.

This module holds the public side: `save`, `load`, `read` and the limits. The work is done by
`layerkit.model_description` (the header and arrays of a model), `layerkit.model_optimizer`
(those of its optimizer), `layerkit.atomic_file` (the temporary file and the rename),
`layerkit.model_archive` (reading zip members within their declared sizes) and
`layerkit.model_rebuild` (checking the header and rebuilding the layers).

Examples
--------
>>> import pathlib
>>> import tempfile
>>> import numpy as np
>>> import layerkit as lk
>>> from layerkit import load, save
>>> net = lk.mlp([2, 3, 2], seed=0)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "net.npz"
>>> save(net, path)
>>> copy = load(path)
>>> x = np.array([[0.05, 0.1]])
>>> np.array_equal(copy(x), net(x))
True
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, overload

import numpy as np

from .atomic_file import write_atomically
from .errors import ComponentTypeError, ConfigurationError, UnsavableLayerError
from .layer import Layer
from .loss import Loss
from .model_archive import opened_archive
from .model_description import describe
from .model_format import (
    FORMAT,
    FORMAT_VERSION,
    HEADER,
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    MAX_HEADER_VALUES,
    header_size_problem,
    shown,
)
from .model_rebuild import rebuild
from .optim import Optimizer
from .sequential import Sequential
from .validation import Array

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER",
    "MAX_DEPTH",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_VALUES",
    "Checkpoint",
    "SavedModel",
    "iter_layers",
    "load",
    "read",
    "save",
]

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
    """Each activation, loss and optimizer the file needs: name, kind, plugin, distribution,
    version."""
    optimizer: Optimizer | None = None
    """The saved optimizer with its state, when read ``with_optimizer`` (else ``None``)."""
    epoch: int | None = None
    """The epoch saved with the model, or ``None``."""
    optimizer_name: str | None = None
    """The registered name of the saved optimizer (read or not), or ``None``."""


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
            f"{action} expects a path (a str or os.PathLike), got {shown(path)} of type "
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
    optimizer: Optimizer | None = None,
    epoch: int | None = None,
) -> None:
    """Write ``model`` (architecture and parameters) to ``path`` as a layerkit model file.

    With ``optimizer`` the file is a checkpoint: it also holds the optimizer's registered
    name, its ``config()`` and its state for this model (``optimizer.state_dict(model)``),
    and ``epoch``, the number of epochs trained, so that ``load(path, with_optimizer=True)``
    gives back everything `fit` needs to resume exactly (``initial_epoch=epoch``).

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
    optimizer
        An optimizer to save with its state (it must be registered, as ``lk.optimizer(name)``
        finds it, and its ``config()`` must rebuild it). State it keeps outside ``state_of``
        is not saved.
    epoch
        The number of epochs the model was trained for, returned by ``load(path,
        with_optimizer=True)``; a non-negative integer or ``None``.

    Raises
    ------
    ComponentTypeError
        When ``model`` is not a `Layer`, ``loss`` not a `Loss`, ``optimizer`` not an
        `Optimizer`, ``metadata`` not a mapping, or ``path`` not a path.
    ConfigurationError
        When ``path`` is empty or holds a NUL character, or ``epoch`` is not a non-negative
        integer.
    UnsavableLayerError
        When a layer is not `Dense`, `Sequential` or a registered activation, the loss or the
        optimizer is not registered, the optimizer's state is not arrays of a dtype of
        ``layerkit.model_optimizer.STATE_DTYPES`` shaped like their parameter or scalar, a
        ``config()`` or the metadata is not JSON as described above, a
        ``config()`` does not rebuild its class, a `Dense` layer's ``W`` or ``b`` no longer
        fits its sizes, the file would exceed what `load` reads (`MAX_DEPTH`,
        `MAX_HEADER_BYTES`, `MAX_HEADER_VALUES`), or the registry of plugins cannot be read
        while the model needs it. Nothing is written: everything `save` writes, `load` reads.
    NonFiniteError
        When a parameter or the optimizer's state holds NaN or infinity. Nothing is written.
    OSError
        When the directory does not exist or cannot be written (``FileNotFoundError``,
        ``IsADirectoryError`` when ``path`` is a directory, ``PermissionError``, ...).
    """
    target = _as_path(path, "save")
    header, arrays = describe(model, loss, metadata, optimizer, epoch)
    encoded = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    problem = header_size_problem(encoded)
    if problem is not None:
        raise UnsavableLayerError(
            f"cannot save {shown(model)}: its header (architecture and metadata) {problem}, which "
            f"load refuses; keep large data out of the metadata"
        )
    arrays = {HEADER: np.frombuffer(encoded, dtype=np.uint8), **arrays}
    write_atomically(target, lambda file: _write_npz(file, arrays))


def _write_npz(file: IO[bytes], arrays: dict[str, Array]) -> None:
    """Write the archive (the step a crash can interrupt; the tests make it fail here).

    As ``np.savez`` writes it, without passing the names as keyword arguments: a parameter
    named ``file`` or ``allow_pickle`` would collide with savez's own.
    """
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# ------------------------------------------------------------------------------------ load
class Checkpoint(NamedTuple):
    """What ``load(path, with_optimizer=True)`` returns: everything needed to resume training.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import layerkit as lk
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "checkpoint.npz"
    >>> net, sgd = lk.mlp([2, 1], seed=0), lk.SGD(0.1, momentum=0.9)
    >>> _ = lk.fit(net, [[0.0, 1.0]], [[1.0]], loss="l2", optimizer=sgd, epochs=2)
    >>> lk.save(net, path, optimizer=sgd, epoch=2)
    >>> model, optimizer, epoch = lk.load(path, with_optimizer=True)
    >>> optimizer.config() == sgd.config(), epoch
    (True, 2)
    """

    model: Layer
    """The model, with its parameters bit for bit."""
    optimizer: Optimizer | None
    """The optimizer rebuilt by its registered name, with its state for ``model``, or
    ``None`` when the file holds none."""
    epoch: int | None
    """The ``epoch`` given to `save` (epochs trained), or ``None``."""


@overload
def load(path: PathLike, *, with_optimizer: Literal[False] = False) -> Layer: ...
@overload
def load(path: PathLike, *, with_optimizer: Literal[True]) -> Checkpoint: ...
def load(path: PathLike, *, with_optimizer: bool = False) -> Layer | Checkpoint:
    """Return the model saved in ``path`` by `save`, with its parameters bit for bit.

    With ``with_optimizer=True`` return a `Checkpoint` of the model, the optimizer saved with
    it (rebuilt by its registered name, holding its saved state for this model; ``None`` when
    the file has none) and the saved epoch (or ``None``). Without it, a file's optimizer is
    not built, so its plugin need not be installed.

    The file is checked before it is trusted: its header is read first (at most
    `MAX_HEADER_BYTES`), a member the header does not name is refused unread, and no member
    is inflated beyond the size the header declares for it, so a crafted file cannot make
    loading use more memory than the model it describes.

    Parameters
    ----------
    path
        The model file to read.
    with_optimizer
        Whether to return a `Checkpoint` with the optimizer and epoch instead of the model.

    Raises
    ------
    ModelFileError
        When the file is truncated, corrupted, not a layerkit model file, of a newer format
        version, holds a parameter or optimizer state with NaN or infinity (`save` never
        writes one), or needs an activation, loss or (``with_optimizer``) optimizer the
        registry cannot provide: no plugin registers it, two plugins do, or its plugin was set
        aside. The message gives the registry's reason, as ``lk.activation(name)`` would, and
        the plugin and distribution the file says provided it when it was saved.
    ComponentTypeError
        When ``path`` is not a path (``None``, a number).
    ConfigurationError
        When ``path`` is empty or holds a NUL character.
    OSError
        When the file cannot be opened or read (``FileNotFoundError`` when it does not exist,
        ``IsADirectoryError`` when it is a directory).
    """
    if not isinstance(with_optimizer, bool):
        raise ConfigurationError(
            f"load expects with_optimizer True or False, got with_optimizer={shown(with_optimizer)}"
        )
    saved = read(path, with_optimizer=with_optimizer)
    if with_optimizer:
        return Checkpoint(saved.model, saved.optimizer, saved.epoch)
    return saved.model


def read(path: PathLike, *, with_optimizer: bool = False) -> SavedModel:
    """Return the model, the loss, the metadata and the versions saved in ``path``.

    With ``with_optimizer`` the optimizer too (see `load`). Raises the same errors as `load`.
    """
    path = _as_path(path, "load")
    with opened_archive(path) as (archive, members):
        header, model, loss, optimizer, components = rebuild(
            path, archive, members, with_optimizer=with_optimizer
        )
    return SavedModel(
        model=model,
        loss=loss,
        metadata=header.get("metadata") or {},
        layerkit_version=str(header.get("layerkit_version", "")),
        components=components,
        optimizer=optimizer,
        epoch=header.get("epoch"),
        optimizer_name=(header.get("optimizer") or {}).get("name"),
    )


def iter_layers(model: Layer) -> Iterator[Layer]:
    """Yield the layers of ``model`` in order, descending into nested `Sequential` models.

    Examples
    --------
    >>> from layerkit import Sequential
    >>> from layerkit.serialization import iter_layers
    >>> from layerkit import Dense, Sigmoid
    >>> [repr(layer) for layer in iter_layers(Sequential(Dense(2, 3), Sequential(Sigmoid())))]
    ['Dense(2→3)', 'Sigmoid()']
    """
    if isinstance(model, Sequential):
        for layer in model:
            yield from iter_layers(layer)
    else:
        yield model
