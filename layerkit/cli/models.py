"""What the commands read off a model: its Dense layers, dtype, sizes, classes and metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import serialization
from ..dense import Dense
from ..errors import ConfigurationError
from ..layer import Layer


def _dense_layers(model: Layer) -> list[Dense]:
    found = [layer for layer in serialization.iter_layers(model) if isinstance(layer, Dense)]
    if not found:
        raise ConfigurationError(f"the model has no Dense layer: {model!r}")
    return found


def _model_dtype(model: Layer) -> np.dtype[Any]:
    return _dense_layers(model)[0].W.dtype


def _sizes_text(model: Layer) -> str:
    dense = _dense_layers(model)
    return "-".join(str(n) for n in [dense[0].in_features] + [d.out_features for d in dense])


def _predicted_classes(outputs: np.ndarray) -> np.ndarray:
    outputs = outputs.reshape(len(outputs), -1)
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1)


@dataclass
class _Metadata:
    """What `layerkit predict` reads from a model file's metadata, each entry checked.

    `layerkit train --save` writes these entries, but ``save(metadata=...)`` accepts any JSON
    object: an entry of the wrong kind or size is left out (and named in ``ignored``) so the
    command falls back to what it can show without it.
    """

    task: str | None = None
    features: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


_TASKS = ("classification", "regression", "bits")


def _read_metadata(metadata: Any, inputs: int, outputs: int) -> _Metadata:
    """Check the entries `predict` uses against a model of ``inputs`` inputs and ``outputs``.

    >>> read = _read_metadata({"task": "classification", "classes": ["only"]}, 2, 2)
    >>> read.task, read.classes, read.ignored
    ('classification', ['0', '1'], ["classes (expected 2 distinct class names, got ['only'])"])
    """
    found = _Metadata()
    if not isinstance(metadata, dict):
        found.ignored.append(f"all of it (expected a JSON object, got {_kind(metadata)})")
        return found

    def names(key: str, count: int | None = None, what: str = "names") -> list[str]:
        value = metadata.get(key)
        if value is None or value == []:
            return []
        if (
            isinstance(value, list)
            and all(isinstance(item, (str, int, float)) and _printable(item) for item in value)
            and (count is None or len(value) == count)
            and len(set(map(str, value))) == len(value)
        ):
            return [str(item) for item in value]
        expected = f"{count} distinct {what}" if count is not None else f"a list of {what}"
        found.ignored.append(f"{key} (expected {expected}, got {_kind(value)})")
        return []

    task = metadata.get("task")
    if task in _TASKS:
        found.task = task
    elif task is not None:
        found.ignored.append(f"task (expected one of {', '.join(_TASKS)}, got {_kind(task)})")
    found.features = names("features", inputs)
    found.targets = names("targets")
    found.outputs = names("outputs", outputs)
    if found.task == "classification":
        count = 2 if outputs == 1 else outputs
        found.classes = names("classes", count, "class names") or [str(k) for k in range(count)]
    return found


def _kind(value: Any) -> str:
    text = repr(value)
    if len(text) <= 30:
        return text
    return f"a list of {len(value)}" if isinstance(value, list) else f"a {type(value).__name__}"


def _printable(item: str | int | float) -> bool:
    """A name a table can show on one line: not empty, no control character."""
    text = str(item)
    return bool(text.strip()) and text.isprintable()
