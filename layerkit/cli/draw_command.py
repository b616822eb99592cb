"""``layerkit draw``: a network as SVG, from layer sizes or a saved model."""

from __future__ import annotations

from pathlib import Path

import click

from .. import serialization
from ..draw import draw as draw_svg
from .models import _sizes_text
from .options import ACTIVATION, FILE, OUTPUT_ACTIVATION, SIZES, _check_writable, _refuse, _Spec

MAX_UNITS = 100
"""The most units ``--max-units`` may draw per layer."""


@click.command()
@click.option(
    "--model",
    "model_path",
    type=FILE,
    help="A saved model to draw, with its weights, instead of --layers.",
)
@click.option(
    "--layers",
    type=SIZES,
    help="Layer sizes to draw, e.g. 2,4,4,2  [default: 2,3,2 unless --model is given]",
)
@click.option(
    "--activation",
    type=ACTIVATION,
    default="sigmoid",
    help="Hidden activation named in the picture (not with --model).",
)
@click.option(
    "--output-activation",
    type=OUTPUT_ACTIVATION,
    default="sigmoid",
    help="Output activation named in the picture, 'none' for linear (not with --model).",
)
@click.option(
    "-o",
    "--output",
    "output_path",
    type=FILE,
    help="Write the SVG to this file instead of printing it.",
)
@click.option(
    "--labels/--no-labels",
    default=None,
    help="Label every weight  [default: when no layer has more than 16 connections]",
)
@click.option(
    "--max-units",
    type=click.IntRange(3, MAX_UNITS),
    default=12,
    help="A layer with more units shows its first and last few, with ⋮ between.",
)
@click.pass_context
def draw(
    ctx: click.Context,
    model_path: Path | None,
    layers: list[int] | None,
    activation: _Spec,
    output_activation: _Spec,
    output_path: Path | None,
    labels: bool | None,
    max_units: int,
) -> None:
    """Draw a network as SVG: inputs, hidden units, outputs and labelled weights.

    Prints the SVG unless -o names a file. With --model the lines show the saved weights:
    blue positive, red negative, thicker for larger magnitude.
    """
    if model_path is not None:
        _refuse(
            ctx,
            ("layers", "activation", "output_activation"),
            "with --model: the saved model has its own layers and activations",
        )
    _check_writable(output_path, "--output")
    if model_path is not None:
        model = serialization.load(model_path)
        svg = draw_svg(model, labels=labels, max_units=max_units)
        shape = _sizes_text(model)
    else:
        sizes = layers or [2, 3, 2]
        svg = draw_svg(
            sizes,
            activation=activation.name,
            output=None if output_activation.linear else output_activation.name,
            labels=labels,
            max_units=max_units,
        )
        shape = "-".join(map(str, sizes))
    if output_path is None:
        click.echo(svg, nl=False)
        return
    output_path.write_text(svg, encoding="utf-8")
    click.echo(f"wrote {output_path} (a {shape} network)")
