"""``layerkit predict``: a saved model's predictions for the rows of a data file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
import numpy as np

from .. import serialization
from .data import load_inputs
from .models import _dense_layers, _model_dtype, _predicted_classes
from .options import _check_writable


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.argument("data_path", metavar="DATA", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "output_path",
    type=click.Path(path_type=Path),
    help="Write the predictions to this CSV file instead of printing them.",
)
def predict(model_path: Path, data_path: Path, output_path: Path | None) -> None:
    """Print a saved model's predictions for the rows of a CSV or NPZ file.

    The input columns are those the model was trained on (when `layerkit train --save` saved
    their names), else every column but the targets. For a classifier, a column with the
    predicted class follows the outputs.
    """
    _check_writable(output_path, "--output")
    saved = serialization.read(model_path)
    metadata = saved.metadata
    model = saved.model
    x, _ = load_inputs(
        data_path,
        inputs=_dense_layers(model)[0].in_features,
        features=metadata.get("features") or (),
        targets=metadata.get("targets") or (),
    )
    with np.errstate(all="ignore"):
        y = np.asarray(model(x.astype(_model_dtype(model))))
    y = y.reshape(len(y), -1)
    names = list(metadata.get("outputs") or [])
    if len(names) != y.shape[1]:
        names = [f"y{k + 1}" for k in range(y.shape[1])]
    header = list(names)
    rows: list[list[str]] = [[repr(float(v)) for v in row] for row in y]
    classes = metadata.get("classes") or []
    if metadata.get("task") == "classification" and classes:
        column = (metadata.get("targets") or ["class"])[0]
        header.append(f"predicted {column}")
        for row, label in zip(rows, _predicted_classes(y), strict=True):
            row.append(str(classes[int(label)]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if output_path is None:
        click.echo(buffer.getvalue(), nl=False)
        return
    output_path.write_text(buffer.getvalue(), encoding="utf-8")
    click.echo(f"wrote {len(rows)} predictions to {output_path}")
