"""``layerkit train``: train a network on a data set and print a summary."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np

from .. import datasets, plotting, serialization
from ..errors import ConfigurationError
from ..layer import Layer
from ..loss import Loss
from ..optim import SGD
from ..training import fit
from . import render
from .components import LABEL_LOSSES, _check_component, _loss, _network
from .data import BUILTIN as BUILTIN_DATA
from .data import Dataset, load_dataset
from .models import _predicted_classes
from .options import COMPONENT, SIZES, _check_writable, _Spec

SHOW_SAMPLES = 8
"""A data set this small gets its outputs printed, sample by sample, after training."""
PROGRESS_INTERVAL = 0.1
"""Seconds between two redraws of the progress bar."""


@dataclass(frozen=True)
class _Defaults:
    hidden: int
    lr: float
    momentum: float
    epochs: int
    batch_size: int


_HALF_ADDER = _Defaults(hidden=3, lr=2.0, momentum=0.9, epochs=3000, batch_size=1)
_GENERATED = _Defaults(hidden=16, lr=0.5, momentum=0.9, epochs=300, batch_size=16)
_FILE = _Defaults(hidden=16, lr=0.1, momentum=0.9, epochs=200, batch_size=32)


@dataclass
class _Targets:
    """What `fit` gets as targets, and how that was chosen (kept in the model file)."""

    array: np.ndarray
    encoding: str  # "labels", "one_hot", "column" (0/1 of two classes) or "values"
    outputs: list[str]


def _encode(data: Dataset, loss_name: str, last: int | None) -> _Targets:
    if data.task != "classification":
        assert data.values is not None
        return _Targets(data.values, "values", list(data.targets))
    assert data.labels is not None
    target = data.targets[0]
    names = [f"{target}={c}" for c in data.classes]
    if loss_name in LABEL_LOSSES:
        return _Targets(data.labels, "labels", names)
    if last == 1 and len(data.classes) == 2:
        return _Targets(
            data.labels[:, None].astype(np.float64), "column", [f"{target}={data.classes[1]}"]
        )
    return _Targets(datasets.one_hot(data.labels, len(data.classes)), "one_hot", names)


def _accuracy(data: Dataset, outputs: np.ndarray, targets: np.ndarray) -> float | None:
    if data.task == "classification":
        assert data.labels is not None
        predicted = _predicted_classes(outputs)
        return float(np.mean(predicted == data.labels))
    if data.task == "bits":
        return float(np.mean(np.all(np.abs(outputs - targets) < 0.5, axis=1)))
    return None


@click.command()
@click.option(
    "--data",
    default="half_adder",
    show_default=True,
    help=f"A built-in data set ({', '.join(BUILTIN_DATA)}), or a CSV/NPZ file.",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="Target column(s) of a data file; repeat or separate with commas "
    "(default: a column named y, target or label).",
)
@click.option(
    "--task",
    type=click.Choice(["auto", "classification", "regression", "bits"]),
    default="auto",
    show_default=True,
    help="What the targets are; auto: one column of integers or words is a class label.",
)
@click.option("--samples", type=click.IntRange(min=1), help="Size of a generated data set.")
@click.option("--layers", type=SIZES, help="Layer sizes from inputs to outputs, e.g. 2,3,2.")
@click.option(
    "--activation",
    type=COMPONENT,
    default="sigmoid",
    show_default=True,
    help="Hidden activation by name, with options: e.g. leaky_relu:slope=0.1.",
)
@click.option(
    "--output",
    "output",
    type=COMPONENT,
    default="sigmoid",
    show_default=True,
    help="Output activation; 'none' for a linear output.",
)
@click.option(
    "--loss",
    type=COMPONENT,
    default="l2",
    show_default=True,
    help="Loss by name, e.g. cross_entropy or cross_entropy:from_logits=true.",
)
@click.option("--lr", type=click.FloatRange(min=0.0), help="Learning rate η ≥ 0.")
@click.option("--momentum", type=click.FloatRange(0.0, 1.0, max_open=True), help="Momentum μ.")
@click.option("--epochs", type=click.IntRange(min=1), help="Passes over the data.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Samples per step.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed for data, weights, order."
)
@click.option(
    "--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True
)
@click.option(
    "--save", "save_path", type=click.Path(path_type=Path), help="Save the trained model here."
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    help="Write the loss curve as PNG here (and NAME-boundary.png for two-feature data).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def train(
    data: str,
    targets: tuple[str, ...],
    task: str,
    samples: int | None,
    layers: list[int] | None,
    activation: _Spec,
    output: _Spec,
    loss: _Spec,
    lr: float | None,
    momentum: float | None,
    epochs: int | None,
    batch_size: int | None,
    seed: int,
    dtype: str,
    save_path: Path | None,
    plot_path: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Train a network and print a summary (loss, accuracy, time).

    With no options: the derivation's 2-3-2 sigmoid network with the L2 loss learns the
    half adder in a few seconds.
    """
    _check_component("activation", activation)
    _check_component("activation", output)
    _check_component("loss", loss)
    _check_writable(save_path, "--save")
    _check_writable(plot_path, "--plot")
    if plot_path is not None:
        plotting.require_matplotlib()

    target_names = [name.strip() for t in targets for name in t.split(",") if name.strip()]
    dataset = load_dataset(
        data,
        targets=target_names,
        task=None if task == "auto" else task,  # type: ignore[arg-type]
        samples=samples,
        seed=seed,
    )
    defaults = (
        _HALF_ADDER if data == "half_adder" else _GENERATED if data in BUILTIN_DATA else _FILE
    )
    encoded = _encode(dataset, loss.name, layers[-1] if layers else None)
    features = dataset.x.shape[1]
    outputs = 1 if encoded.encoding == "column" else dataset.outputs
    if layers is None:
        layers = [features, defaults.hidden, outputs]
    elif layers[0] != features:
        raise ConfigurationError(
            f"--layers starts with {layers[0]} inputs, but the data has {features} features "
            f"({', '.join(dataset.features)})"
        )
    elif layers[-1] != outputs:
        raise ConfigurationError(
            f"--layers ends with {layers[-1]} outputs, but the targets need {outputs} "
            f"({', '.join(encoded.outputs)})"
        )

    model = _network(layers, activation, output, seed, dtype)
    loss_function = _loss(loss)
    x = dataset.x.astype(dtype)
    t = encoded.array if encoded.encoding == "labels" else encoded.array.astype(dtype)
    optimizer = SGD(
        lr=defaults.lr if lr is None else lr,
        momentum=defaults.momentum if momentum is None else momentum,
    )
    epochs = defaults.epochs if epochs is None else epochs
    batch_size = min(defaults.batch_size if batch_size is None else batch_size, len(x))

    with np.errstate(all="ignore"):  # overflow shows as a diverged loss, reported below
        initial = loss_function.forward(model(x), t)
        started = time.perf_counter()
        history = _fit_with_progress(
            model, x, t, loss_function, optimizer, epochs, batch_size, seed, quiet=quiet or as_json
        )
        seconds = time.perf_counter() - started
        predictions = model(x)
        final = loss_function.forward(predictions, t)
    accuracy = _accuracy(dataset, predictions, t)

    written: list[str] = []
    if save_path is not None:
        metadata = {
            "data": dataset.name,
            "task": dataset.task,
            "features": dataset.features,
            "targets": dataset.targets,
            "classes": dataset.classes,
            "encoding": encoded.encoding,
            "outputs": encoded.outputs,
        }
        serialization.save(model, save_path, loss=loss_function, metadata=metadata)
    if plot_path is not None:
        name = dataset.name if dataset.name in BUILTIN_DATA else Path(dataset.name).name
        written.append(str(plotting.plot_loss(history, plot_path, title=f"{name}: loss per epoch")))
        if features == 2:
            boundary = plotting.boundary_path(plot_path)
            if dataset.task == "classification":
                plotting.plot_decision_boundary(
                    model, x, boundary, labels=dataset.labels, title=name
                )
            else:
                plotting.plot_decision_boundary(
                    model, x, boundary, targets=t, output_names=encoded.outputs, title=name
                )
            written.append(str(boundary))

    summary = {
        "data": dataset.name,
        "samples": len(x),
        "layers": layers,
        "activation": str(activation),
        "output": None if output.linear else str(output),
        "loss": str(loss),
        "lr": optimizer.lr,
        "momentum": optimizer.momentum,
        "epochs": len(history),
        "batch_size": batch_size,
        "seed": seed,
        "initial_loss": initial,
        "final_loss": final,
        "accuracy": accuracy,
        "seconds": seconds,
        "saved": None if save_path is None else str(save_path),
        "plots": written,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    shape = "-".join(map(str, layers))
    hidden = f"{activation} hidden, " if len(layers) > 2 else ""
    functions = f"{hidden}{'linear' if output.linear else output} output"
    click.echo(
        f"trained a {shape} network ({functions}) with the {loss} loss on {dataset.name} "
        f"({len(x)} samples, {len(history)} epochs of SGD lr={optimizer.lr:g} "
        f"momentum={optimizer.momentum:g}, batch {batch_size}) in {seconds:.2f} s"
    )
    rows = [["loss", f"{render.number(initial)} → {render.number(final)}"]]
    if accuracy is not None:
        correct = round(accuracy * len(x))
        rows.append(["accuracy", f"{100 * accuracy:.1f}% ({correct} of {len(x)})"])
    if save_path is not None:
        rows.append(["saved", str(save_path)])
    if written:
        rows.append(["plots", ", ".join(written)])
    click.echo(render.table(rows, gap=3))
    if len(x) <= SHOW_SAMPLES:
        click.echo("inputs → outputs (targets):")
        shown = dataset.values if dataset.values is not None else dataset.labels
        for inputs, outputs, wanted in zip(x, predictions, shown, strict=True):
            click.echo(
                f"  {render.vector(inputs, 3)} → {render.vector(outputs, 3)}  "
                f"({render.vector(np.asarray(wanted), 3)})"
            )


def _fit_with_progress(
    model: Layer,
    x: np.ndarray,
    t: np.ndarray,
    loss: Loss,
    optimizer: SGD,
    epochs: int,
    batch_size: int,
    seed: int,
    *,
    quiet: bool,
) -> list[float]:
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    # Without a terminal for the bar (a log, CI, `make run`), print the loss ten times instead.
    log_every = 0 if quiet or not disable else max(1, epochs // 10)
    with tqdm(
        total=epochs,
        disable=disable,
        unit="epoch",
        desc="training",
        leave=False,
        file=sys.stderr,
        mininterval=PROGRESS_INTERVAL,
    ) as bar:

        def progress(epoch: int, value: float) -> None:
            bar.set_postfix_str(f"loss {value:.5g}", refresh=False)
            bar.update(1)
            if log_every and (epoch == 1 or epoch % log_every == 0):
                click.echo(f"epoch {epoch:>{len(str(epochs))}}/{epochs}   loss {value:.6g}")

        return fit(
            model,
            x,
            t,
            loss=loss,
            optimizer=optimizer,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            callback=progress,
        )
