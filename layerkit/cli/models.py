"""What the commands read off a model: its Dense layers, dtype, sizes and predicted classes."""

from __future__ import annotations

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
