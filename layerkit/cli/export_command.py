"""``layerkit export``: a saved model as an ONNX file, with its metadata."""

from __future__ import annotations

from pathlib import Path

import click

from .. import serialization
from ..onnx_export import export_onnx
from .options import FILE, _check_writable, options_not_positional


@click.command(cls=options_not_positional("model", "output"))
@click.option("--model", "model_path", type=FILE, required=True, help="A saved model.")
@click.option(
    "-o",
    "--output",
    "output_path",
    type=FILE,
    required=True,
    help="The ONNX file to write (an existing file is replaced).",
)
def export(model_path: Path, output_path: Path) -> None:
    """Write a saved model as an ONNX file, for ONNX Runtime and other ONNX tools.

    The graph takes "x", a batch of the model's inputs, and gives "y", its outputs, in the
    model's dtype. The metadata `layerkit train --save` keeps (class names, feature names)
    goes into the ONNX model's metadata, beside the layerkit version and the architecture.
    Needs the onnx package (the `onnx` extra).
    """
    _check_writable(output_path, "--output")
    saved = serialization.read(model_path)
    export_onnx(saved.model, output_path, metadata=saved.metadata)
    click.echo(f"wrote {output_path}")
