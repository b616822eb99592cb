"""``layerkit draw``: a network as SVG, from layer sizes or a saved model."""

from __future__ import annotations

from pathlib import Path

import click

from .. import serialization
from ..draw import draw as draw_svg
from .components import _check_component
from .models import _sizes_text
from .options import COMPONENT, SIZES, _check_writable, _Spec


@click.command()
@click.option("--layers", type=SIZES, help="Layer sizes (default 2,3,2).")
@click.option("--activation", type=COMPONENT, default="sigmoid", show_default=True)
@click.option("--output", type=COMPONENT, default="sigmoid", show_default=True)
@click.option("--model", "model_path", type=click.Path(path_type=Path), help="A saved model.")
@click.option(
    "-o", "--svg", "svg_path", type=click.Path(path_type=Path), help="Write the SVG here."
)
@click.option(
    "--labels/--no-labels", default=None, help="Label every weight (default: small nets only)."
)
@click.option("--max-units", type=click.IntRange(min=3), default=12, show_default=True)
def draw(
    layers: list[int] | None,
    activation: _Spec,
    output: _Spec,
    model_path: Path | None,
    svg_path: Path | None,
    labels: bool | None,
    max_units: int,
) -> None:
    """Draw a network as SVG: inputs, hidden units, outputs and labelled weights.

    Prints the SVG unless -o names a file. With --model the lines show the saved weights:
    blue positive, red negative, thicker for larger magnitude.
    """
    if model_path is not None and layers is not None:
        raise click.UsageError("give --layers or --model, not both")
    _check_writable(svg_path, "--svg")
    if model_path is not None:
        model = serialization.load(model_path)
        svg = draw_svg(model, labels=labels, max_units=max_units)
        shape = _sizes_text(model)
    else:
        _check_component("activation", activation)
        _check_component("activation", output)
        sizes = layers or [2, 3, 2]
        svg = draw_svg(
            sizes,
            activation=activation.name,
            output=None if output.linear else output.name,
            labels=labels,
            max_units=max_units,
        )
        shape = "-".join(map(str, sizes))
    if svg_path is None:
        click.echo(svg, nl=False)
        return
    svg_path.write_text(svg, encoding="utf-8")
    click.echo(f"wrote {svg_path} (a {shape} network)")
