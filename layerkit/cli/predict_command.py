"""``layerkit predict``: a saved model's predictions for a data set or the rows of a data file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
import numpy as np

from .. import serialization
from ..dense import Dense
from ..layer import Layer
from . import render
from .data import BUILTIN, load_dataset, load_inputs
from .models import _dense_layers, _Metadata, _model_dtype, _predicted_classes, _read_metadata
from .options import DATA, FILE, _check_writable, options_not_positional

SHOWN_DECIMALS = 4
"""Decimals printed on the terminal (the CSV file has every digit); tiny or huge outputs are
shown to six significant digits instead."""


@click.command(cls=options_not_positional("model", "data"))
@click.option("--model", "model_path", type=FILE, required=True, help="A saved model.")
@click.option(
    "--data",
    type=DATA,
    required=True,
    help=f"A built-in data set ({', '.join(BUILTIN)}, drawn as `layerkit train` draws it "
    "with its default seed), or a CSV/NPZ file with the model's input columns.",
)
@click.option(
    "-o",
    "--output",
    "output_path",
    type=FILE,
    help="Write the predictions to this CSV file, every digit, instead of printing a table.",
)
def predict(model_path: Path, data: str, output_path: Path | None) -> None:
    """Print a saved model's predictions for a built-in data set or a CSV or NPZ file.

    For a classifier: the probability of each class, rounded, and the predicted class name;
    otherwise the outputs. The input columns of a file are those the model was trained on
    (when `layerkit train --save` saved their names), else every column but the targets.
    """
    _check_writable(output_path, "--output")
    saved = serialization.read(model_path)
    model = saved.model
    dense = _dense_layers(model)
    metadata = _read_metadata(saved.metadata, dense[0].in_features, dense[-1].out_features)
    x = _inputs(data, dense[0].in_features, metadata)
    with np.errstate(all="ignore"):
        y = np.asarray(model(x.astype(_model_dtype(model))), dtype=np.float64)
    y = y.reshape(len(y), -1)
    header, values, predicted = _columns(model, y, metadata)
    if output_path is None:
        click.echo(_table(header, values, predicted))
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for k, row in enumerate(values):
            writer.writerow([repr(float(v)) for v in row] + ([predicted[k]] if predicted else []))
        output_path.write_text(buffer.getvalue(), encoding="utf-8")
        click.echo(f"wrote {len(values)} predictions to {output_path}")
    if metadata.ignored:  # after the predictions: a failure above stays one line
        click.echo(
            f"layerkit predict: note: ignored the model's metadata: {'; '.join(metadata.ignored)}",
            err=True,
        )


def _inputs(data: str, inputs: int, metadata: _Metadata) -> np.ndarray:
    if data in BUILTIN:
        dataset = load_dataset(data, seed=0)
        if dataset.x.shape[1] != inputs:
            raise click.BadParameter(
                f"the model has {inputs} inputs, but the data set {data!r} has "
                f"{dataset.x.shape[1]} features",
                param_hint="'--data'",
            )
        return dataset.x
    x, _ = load_inputs(data, inputs=inputs, features=metadata.features, targets=metadata.targets)
    return x


def _columns(
    model: Layer, y: np.ndarray, metadata: _Metadata
) -> tuple[list[str], np.ndarray, list[str]]:
    """The header, the numbers of each row, and the predicted class names (classifiers)."""
    if metadata.task != "classification":
        names = metadata.outputs or [f"y{k + 1}" for k in range(y.shape[1])]
        return names, y, []
    probabilities = _probabilities(model, y)
    target = metadata.targets[0] if metadata.targets else "class"
    predicted = [metadata.classes[int(k)] for k in _predicted_classes(probabilities)]
    if probabilities.shape[1] == 1:  # the probability of the second class, as trained
        probabilities = np.column_stack([1 - probabilities[:, 0], probabilities[:, 0]])
    inside = bool(np.all((probabilities >= 0) & (probabilities <= 1)))
    shown = "P({})" if inside else "{}"  # a tanh output, say, is no probability
    header = [shown.format(f"{target}={name}") for name in metadata.classes]
    return [*header, f"predicted {target}"], probabilities, predicted


def _probabilities(model: Layer, y: np.ndarray) -> np.ndarray:
    """The outputs as probabilities: as they are from a sigmoid or softmax, else from logits."""
    last = list(serialization.iter_layers(model))[-1]
    if not isinstance(last, Dense) or not np.all(np.isfinite(y)):
        return y
    with np.errstate(all="ignore"):
        if y.shape[1] == 1:
            return 1 / (1 + np.exp(-y))
        shifted = np.exp(y - y.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


def _table(header: list[str], values: np.ndarray, predicted: list[str]) -> str:
    """Right-aligned numbers (to `SHOWN_DECIMALS` when that reads well), then class names."""
    with np.errstate(all="ignore"):
        largest = float(np.max(np.abs(values))) if values.size else 0.0
    rounded = header[0].startswith("P(") or 1e-2 <= largest < 1e6
    rows = []
    for k, row in enumerate(values):
        cells = [f"{v:.{SHOWN_DECIMALS}f}" if rounded else render.number(v) for v in row]
        rows.append(cells + ([predicted[k]] if predicted else []))
    numeric = values.shape[1]
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = []
    for line in [header, *rows]:
        cells = [
            cell.rjust(width) if i < numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
