"""``layerkit explain``: every number of one forward and backward pass, with its formula."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import numpy as np

from .. import datasets, serialization
from ..explain import explain as explain_sample
from ..explain import worked_example
from ..l2loss import L2Loss
from ..loss import Loss
from ..registry import losses
from . import render
from .components import LABEL_LOSSES, _check_component, _loss, _network
from .models import _dense_layers
from .options import COMPONENT, NUMBERS, SIZES, _Spec


@click.command()
@click.option("--layers", type=SIZES, help="Layer sizes, e.g. 2,4,4,2 (weights drawn from --seed).")
@click.option("--activation", type=COMPONENT, help="Hidden activation (default sigmoid).")
@click.option("--output", type=COMPONENT, help="Output activation (default sigmoid; 'none').")
@click.option("--loss", type=COMPONENT, help="Loss (default l2, or the one saved with --model).")
@click.option("--seed", type=int, help="Seed for the weights and the sample.")
@click.option("--model", "model_path", type=click.Path(path_type=Path), help="A saved model.")
@click.option("--input", "sample", type=NUMBERS, help="The input, e.g. 0.05,0.1.")
@click.option("--target", type=NUMBERS, help="The target, e.g. 0.01,0.99 (or one class number).")
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option("--precision", type=click.IntRange(1, 17), default=6, show_default=True)
def explain(
    layers: list[int] | None,
    activation: _Spec | None,
    output: _Spec | None,
    loss: _Spec | None,
    seed: int | None,
    model_path: Path | None,
    sample: list[float] | None,
    target: list[float] | None,
    form: str,
    precision: int,
) -> None:
    """Print every step of one forward and backward pass, each with its formula.

    By default: the derivation's 2-3-2 sigmoid network with its fixed weights, input
    x = (0.05, 0.1) and target t = (0.01, 0.99). The numbers are computed by the library's
    own layers, so they are exactly its gradients.
    """
    built = layers or activation or output or seed is not None
    if model_path is not None and built:
        raise click.UsageError(
            "--model cannot be combined with --layers, --activation, --output or --seed"
        )
    _check_component("activation", activation)
    _check_component("activation", output)
    _check_component("loss", loss)
    rng = np.random.default_rng(seed or 0)
    default_x = default_t = None
    loss_function: Loss | None = None
    if model_path is not None:
        saved = serialization.read(model_path)
        model, loss_function = saved.model, saved.loss
        description = f"the model in {model_path}"
    elif built:
        model = _network(
            layers or [2, 3, 2],
            activation or _Spec("sigmoid", {}),
            output or _Spec("sigmoid", {}),
            seed or 0,
            None,
        )
        description = "a network with weights drawn from seed " + str(seed or 0)
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
                f"the network has {inputs} inputs, got {len(sample)} numbers", param_hint="--input"
            )
        x = np.array(sample, dtype=dtype)
    elif default_x is not None:
        x = default_x
    else:
        x = rng.uniform(0.0, 1.0, inputs).round(2).astype(dtype)
    label_loss = _registered_name(loss_function) in LABEL_LOSSES
    if target is not None:
        t = _explain_target(target, outputs, label_loss, dtype)
    elif default_t is not None:
        t = default_t
    elif label_loss:
        t = np.array(rng.integers(outputs))
    else:
        t = rng.uniform(0.01, 0.99, outputs).round(2).astype(dtype)

    explanation = explain_sample(model, x, t, loss_function)
    chain = " → ".join(repr(layer) for layer in serialization.iter_layers(model))
    title = f"One sample through {description}: {chain}, loss {loss_function!r}"
    if form == "json":
        click.echo(
            render.explanation_json(explanation, network=chain, loss_function=repr(loss_function))
        )
    elif form == "markdown":
        click.echo(render.explanation_markdown(explanation, title, precision))
    else:
        click.echo(render.explanation_text(explanation, title, precision))


def _explain_target(target: list[float], outputs: int, label_loss: bool, dtype: Any) -> np.ndarray:
    if len(target) == outputs:
        return np.array(target, dtype=dtype)
    if len(target) == 1 and float(target[0]).is_integer() and 0 <= target[0] < outputs:
        label = int(target[0])
        return (
            np.array(label)
            if label_loss
            else datasets.one_hot(np.array([label]), outputs)[0].astype(dtype)
        )
    raise click.BadParameter(
        f"the network has {outputs} outputs: give {outputs} numbers, or one class number "
        f"from 0 to {outputs - 1}; got {len(target)} numbers",
        param_hint="--target",
    )


def _registered_name(loss: Loss) -> str | None:
    for name, component in losses().items():
        if type(loss) is component.cls:
            return name
    return None
