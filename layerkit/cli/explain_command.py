"""``layerkit explain``: every number of one forward and backward pass, with its formula."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import numpy as np

from .. import datasets, serialization
from ..atomic_file import write_atomically
from ..errors import ShapeError, TargetError
from ..explain import explain as explain_sample
from ..explain import worked_example
from ..explain_html import explanation_page
from ..l2loss import L2Loss
from ..loss import Loss
from ..registry import registered_name
from . import render
from .components import LABEL_LOSSES, _loss, _network
from .models import _dense_layers
from .options import (
    ACTIVATION,
    FILE,
    LOSS,
    NUMBERS,
    OUTPUT_ACTIVATION,
    SEED,
    SIZES,
    _check_writable,
    _given,
    _refuse,
    _Spec,
)
from .train_command import _Number

_BUILD_OPTIONS = ("layers", "activation", "output_activation", "seed")


@click.command()
@click.option(
    "--model",
    "model_path",
    type=FILE,
    help="A saved model to explain (instead of building one from --layers).",
)
@click.option(
    "--layers",
    type=SIZES,
    help="Layer sizes of a network with weights drawn from --seed, e.g. 2,4,4,2  "
    "[default: the derivation's 2-3-2 network and weights; 2,3,2 when --seed, "
    "--activation or --output-activation is given]",
)
@click.option(
    "--activation",
    type=ACTIVATION,
    default="sigmoid",
    help="Hidden activation: NAME or NAME:OPTION=VALUE,... (not with --model).",
)
@click.option(
    "--output-activation",
    type=OUTPUT_ACTIVATION,
    default="sigmoid",
    help="Output activation, 'none' for a linear output (not with --model).",
)
@click.option(
    "--loss",
    type=LOSS,
    help="Loss: NAME or NAME:OPTION=VALUE,...  [default: the one saved with --model, else l2]",
)
@click.option(
    "--seed",
    type=SEED,
    default=0,
    help="Seed for the weights and for an input or target not given.",
)
@click.option(
    "--input",
    "sample",
    type=NUMBERS,
    help="The input, e.g. 0.05,0.1  [default: 0.05,0.1 for the derivation's network, else "
    "drawn from --seed]",
)
@click.option(
    "--target",
    type=NUMBERS,
    help="The target, e.g. 0.01,0.99, or one class number  [default: 0.01,0.99 for the "
    "derivation's network, else drawn from --seed]",
)
@click.option("--format", "form", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option(
    "--precision",
    type=click.IntRange(1, 17),
    default=6,
    help="Significant digits (text and markdown; JSON has every digit).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Print every number of large layers (text and markdown; JSON has them all).",
)
@click.option(
    "--html",
    "html_path",
    type=FILE,
    help="Write the pass drawn on the network, with a step control, to this self-contained "
    "HTML file instead of printing it.",
)
@click.option(
    "--lr",
    type=_Number(0.0, None, low_open=True, high_open=False),
    help="Learning rate η of the drawing's update stage (with --html)  [default: 0.5]",
)
@click.pass_context
def explain(
    ctx: click.Context,
    model_path: Path | None,
    layers: list[int] | None,
    activation: _Spec,
    output_activation: _Spec,
    loss: _Spec | None,
    seed: int,
    sample: list[float] | None,
    target: list[float] | None,
    form: str,
    precision: int,
    full: bool,
    html_path: Path | None,
    lr: float | None,
) -> None:
    """Print every step of one forward and backward pass, each with its formula.

    By default: the derivation's 2-3-2 sigmoid network with its fixed weights, input
    x = (0.05, 0.1) and target t = (0.01, 0.99). The numbers are computed by the library's
    own layers, so they are exactly its gradients. Layers too large for a 100-column line
    are summarised (shape, norm, min, max, first entries) unless --full is given.

    With --html FILE the same numbers are drawn on the network in one HTML file that needs no
    network: activations and δ on the units, ∂L/∂w and the update w − η ∂L/∂w on the weights,
    and a step control (forward, loss, output δ, hidden δ, gradients, update) that shows each
    stage's formulas and values.
    """
    if html_path is not None:
        _refuse(ctx, ("form", "full"), "to --html, which draws the pass instead of printing it")
    else:
        _refuse(ctx, ("lr",), "without --html: it sets η of the drawing's update stage")
    _check_writable(html_path, "--html")
    if form == "json":
        _refuse(ctx, ("precision", "full"), "to --format json, which has every digit")
    if model_path is not None:
        _refuse(
            ctx,
            ("layers", "activation", "output_activation"),
            "with --model: the saved model has its own layers and activations",
        )
        if sample is not None and target is not None:
            _refuse(ctx, ("seed",), "with --model, --input and --target: nothing is drawn")
    rng = np.random.default_rng(seed)
    default_x = default_t = None
    loss_function: Loss | None = None
    if model_path is not None:
        saved = serialization.read(model_path)
        model, loss_function = saved.model, saved.loss
        description = f"the model in {model_path}"
    elif _given(ctx, *_BUILD_OPTIONS):
        model = _network(layers or [2, 3, 2], activation, output_activation, seed, None)
        description = f"a network with weights drawn from seed {seed}"
    else:
        model, default_x, default_t = worked_example()
        description = "the derivation's 2-3-2 network"
    if loss is not None:
        loss_function = _loss(loss)
    loss_function = loss_function or L2Loss()
    dense = _dense_layers(model)
    inputs, outputs = dense[0].in_features, dense[-1].out_features
    dtype = dense[0].W.dtype

    if sample is not None:
        if len(sample) != inputs:
            raise click.BadParameter(
                f"the network has {inputs} inputs, got {_count(sample)}", param_hint="'--input'"
            )
        x = _in_dtype(sample, dtype, "'--input'")
    elif default_x is not None:
        x = default_x
    else:
        x = rng.uniform(0.0, 1.0, inputs).round(2).astype(dtype)
    label_loss = registered_name(loss_function) in LABEL_LOSSES
    if target is not None:
        t = _explain_target(target, outputs, label_loss, dtype)
    elif default_t is not None:
        t = default_t
    elif label_loss:
        t = np.array(rng.integers(outputs))
    else:
        t = rng.uniform(0.01, 0.99, outputs).round(2).astype(dtype)

    try:
        with np.errstate(all="ignore"):
            explanation = explain_sample(model, x, t, loss_function)
    except (TargetError, ShapeError) as error:
        hint = "'--target'" if target is not None else "'--loss'"
        raise click.BadParameter(str(error), param_hint=hint) from error
    chain = " → ".join(repr(layer) for layer in serialization.iter_layers(model))
    title = f"One sample through {description}: {chain}, loss {loss_function!r}"
    if html_path is not None:
        page = explanation_page(
            explanation, title, learning_rate=0.5 if lr is None else lr, precision=precision
        )
        write_atomically(html_path, lambda file: file.write(page.encode("utf-8")))
        sizes = "-".join(str(n) for n in (inputs, *(layer.out_features for layer in dense)))
        click.echo(f"wrote {html_path} (one pass through a {sizes} network, in 6 stages)")
    elif form == "json":
        click.echo(
            render.explanation_json(explanation, network=chain, loss_function=repr(loss_function))
        )
    elif form == "markdown":
        click.echo(render.explanation_markdown(explanation, title, precision, full))
    else:
        click.echo(render.explanation_text(explanation, title, precision, full))


def _explain_target(target: list[float], outputs: int, label_loss: bool, dtype: Any) -> np.ndarray:
    if len(target) == outputs:
        return _in_dtype(target, dtype, "'--target'")
    if len(target) == 1 and float(target[0]).is_integer() and 0 <= target[0] < outputs:
        label = int(target[0])
        return (
            np.array(label)
            if label_loss
            else datasets.one_hot(np.array([label]), outputs)[0].astype(dtype)
        )
    raise click.BadParameter(
        f"the network has {outputs} outputs: give {outputs} numbers, or one class number "
        f"from 0 to {outputs - 1}; got {_count(target)}",
        param_hint="'--target'",
    )


def _in_dtype(numbers: list[float], dtype: Any, option: str) -> np.ndarray:
    """``numbers`` as an array of the model's dtype; a usage error for one it cannot hold."""
    with np.errstate(over="ignore"):
        array = np.array(numbers, dtype=dtype)
    if not np.all(np.isfinite(array)):
        largest = np.finfo(dtype).max
        raise click.BadParameter(
            f"the model computes in {np.dtype(dtype).name}, whose largest number is "
            f"{largest:.4g}; got {', '.join(map(str, numbers))}",
            param_hint=option,
        )
    return array


def _count(numbers: list[float]) -> str:
    return f"{len(numbers)} number" + ("" if len(numbers) == 1 else "s")
