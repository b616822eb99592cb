"""The commands of ``layerkit``, parsed with click; the work happens in the library.

Every failure the user can cause (a bad option, a missing or malformed file, an unknown
activation, training that diverges) ends the command with one line on standard error and a
non-zero exit status: 2 for a usage error, 1 for everything else. Tracebacks are for bugs.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click
import numpy as np

from .. import __version__, datasets, plotting, serialization
from ..dense import Dense
from ..draw import draw as draw_svg
from ..errors import ConfigurationError, LayerkitError, UnknownComponentError
from ..explain import explain as explain_sample
from ..explain import worked_example
from ..l2loss import L2Loss
from ..layer import Layer
from ..loss import Loss
from ..mlp import mlp
from ..optim import SGD
from ..registry import BUILTIN, activations, failed_plugins, losses, plugin_manager
from ..registry import activation as build_activation
from ..registry import loss as build_loss
from ..testing import ConformanceError, registered_checks
from ..training import fit
from . import render
from .data import BUILTIN as BUILTIN_DATA
from .data import Dataset, load_dataset, load_inputs

__all__ = ["cli"]

# Names of the losses that take integer class labels as targets rather than one-hot rows.
LABEL_LOSSES = frozenset({"cross_entropy"})
SHOW_SAMPLES = 8
"""A data set this small gets its outputs printed, sample by sample, after training."""
PROGRESS_INTERVAL = 0.1
"""Seconds between two redraws of the progress bar."""
LINEAR = ("none", "linear")
"""``--output`` values for a network without an output activation."""


# ------------------------------------------------------------------------- errors
def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _fail(message: str, code: int) -> NoReturn:
    click.echo(_one_line(message), err=True)
    sys.exit(code)


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    message = str(error) or type(error).__name__
    notes = getattr(error, "__notes__", None)
    return f"{message} ({'; '.join(notes)})" if notes else message


# Raised (click >= 8.2) for a group run without a command: its message is the whole help.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """A group whose errors are one line: ``layerkit train: error: ...``, exit 2 or 1."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _NO_ARGS_IS_HELP as error:  # `layerkit` alone: the help, as click shows it
            error.show()
            sys.exit(error.exit_code)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "layerkit"
            _fail(
                f"{where}: error: {error.format_message()} (see '{where} --help')",
                error.exit_code,
            )
        except click.ClickException as error:
            _fail(f"layerkit: error: {error.format_message()}", error.exit_code)
        except click.Abort:
            _fail("layerkit: interrupted", 130)
        except (LayerkitError, OSError) as error:
            _fail(f"layerkit: error: {_describe(error)}", 1)
        sys.exit(code if isinstance(code, int) else 0)


# ---------------------------------------------------------------------- parameters
class _Sizes(click.ParamType):
    name = "SIZES"

    def convert(self, value: Any, param: Any, ctx: Any) -> list[int]:
        if isinstance(value, list):
            return value
        parts = [part.strip() for part in str(value).split(",")]
        try:
            sizes = [int(part) for part in parts]
        except ValueError:
            sizes = []
        if len(sizes) < 2 or any(size <= 0 for size in sizes):
            self.fail(
                f"expected at least two comma-separated positive integers such as 2,3,2, "
                f"got {value!r}",
                param,
                ctx,
            )
        return sizes


class _Numbers(click.ParamType):
    name = "NUMBERS"

    def convert(self, value: Any, param: Any, ctx: Any) -> list[float]:
        if isinstance(value, list):
            return value
        try:
            numbers = [float(part) for part in str(value).split(",")]
        except ValueError:
            numbers = []
        if not numbers or not all(math.isfinite(n) for n in numbers):
            self.fail(
                f"expected comma-separated numbers such as 0.05,0.1, got {value!r}", param, ctx
            )
        return numbers


SIZES, NUMBERS = _Sizes(), _Numbers()


@dataclass(frozen=True)
class _Spec:
    """A component named on the command line, with options: ``leaky_relu:slope=0.1``."""

    name: str
    options: dict[str, Any]

    @property
    def linear(self) -> bool:
        return self.name.lower() in LINEAR

    def __str__(self) -> str:
        options = ",".join(f"{key}={value}" for key, value in self.options.items())
        return f"{self.name}:{options}" if options else self.name


class _Component(click.ParamType):
    name = "NAME[:OPTION=VALUE,...]"

    def convert(self, value: Any, param: Any, ctx: Any) -> _Spec:
        if isinstance(value, _Spec):
            return value
        name, _, rest = str(value).partition(":")
        options: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in rest.split(","))):
            key, equals, text = item.partition("=")
            if not equals or not key.strip().isidentifier():
                self.fail(
                    f"expected NAME or NAME:OPTION=VALUE,... such as leaky_relu:slope=0.1, "
                    f"got {value!r}",
                    param,
                    ctx,
                )
            options[key.strip()] = _option_value(text.strip())
        return _Spec(name.strip(), options)


def _option_value(text: str) -> Any:
    """``"true"`` → True, ``"0.1"`` → 0.1, ``"3"`` → 3, anything else stays a string."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


COMPONENT = _Component()


def _check_component(kind: str, spec: _Spec | None) -> None:
    """Fail early, before loading data, for an activation or loss that is not registered."""
    if spec is None or (kind == "activation" and spec.linear):
        return
    registered = activations() if kind == "activation" else losses()
    if spec.name not in registered:
        build = build_activation if kind == "activation" else build_loss
        build(spec.name)  # raises UnknownComponentError, listing the registered names


@contextlib.contextmanager
def _building(what: str) -> Iterator[None]:
    """Turn the TypeError of a constructor given unknown options into a one-line error."""
    try:
        yield
    except TypeError as error:
        raise ConfigurationError(f"cannot build {what}: {error}") from error


def _network(sizes: list[int], activation: _Spec, output: _Spec, seed: int, dtype: Any) -> Layer:
    with _building(f"the network ({activation} hidden, {output} output)"):
        return mlp(
            sizes,
            activation.name,
            None if output.linear else output.name,
            activation_options=activation.options,
            output_options=output.options,
            seed=seed,
            dtype=dtype,
        )


def _loss(spec: _Spec) -> Loss:
    with _building(f"the loss {spec}"):
        return build_loss(spec.name, **spec.options)


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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="layerkit", message="%(prog)s %(version)s")
def cli() -> None:
    """layerkit: train small networks and watch backpropagation at work.

    Start with `layerkit train` (the derivation's 2-3-2 network on the half adder) and
    `layerkit explain` (every δ of one sample, next to its formula).
    """


# --------------------------------------------------------------------------- train
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


def _predicted_classes(outputs: np.ndarray) -> np.ndarray:
    outputs = outputs.reshape(len(outputs), -1)
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(np.int64)
    return np.argmax(outputs, axis=1)


def _check_writable(path: Path | None, option: str) -> None:
    if path is None:
        return
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"{option}: the directory {str(directory)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{option}: {str(path)!r} is a directory")


@cli.command()
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


# ------------------------------------------------------------------------- explain
@cli.command()
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


# ------------------------------------------------------------------------- predict
@cli.command()
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


# ---------------------------------------------------------------------------- draw
@cli.command()
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


# ------------------------------------------------------------------------- plugins
@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Include layerkit's built-in components.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(show_all: bool, as_json: bool) -> None:
    """List the installed plugins, their versions and the components each provides."""
    from .. import __version__ as version

    found: dict[str, dict[str, Any]] = {}
    for name, _ in plugin_manager().list_name_plugin():
        if name is not None:
            found[name] = {
                "name": name,
                "distribution": "layerkit" if name == BUILTIN else None,
                "version": version if name == BUILTIN else None,
                "activations": [],
                "losses": [],
            }
    for kind, components in (("activations", activations()), ("losses", losses())):
        for component in components.values():
            entry = found.setdefault(
                component.plugin,
                {"name": component.plugin, "activations": [], "losses": []},
            )
            entry[kind].append(component.name)
            if component.plugin != BUILTIN:
                entry["distribution"] = component.distribution
                entry["version"] = component.version
    listed = [entry for name, entry in found.items() if show_all or name != BUILTIN]
    listed.sort(key=lambda entry: (entry["name"] != BUILTIN, entry["name"]))
    failed = failed_plugins()
    if as_json:
        report = {
            "plugins": listed,
            "failed": [{"name": name, "reason": reason} for name, reason in sorted(failed.items())],
        }
        click.echo(json.dumps(report, indent=2))
        return
    if listed:
        rows = [["plugin", "distribution", "version", "activations", "losses"]]
        for entry in listed:
            rows.append(
                [
                    entry["name"],
                    entry.get("distribution") or "(registered at run time)",
                    entry.get("version") or "-",
                    ", ".join(sorted(entry["activations"])) or "-",
                    ", ".join(sorted(entry["losses"])) or "-",
                ]
            )
        click.echo(render.table(rows))
    else:
        click.echo("no plugins installed; `layerkit plugins --all` also lists the built-ins")
    if failed:
        click.echo("\nfailed to load:")
        for name, reason in sorted(failed.items()):
            click.echo(f"  {name}: {_one_line(reason)}")


# --------------------------------------------------------------------------- check
@cli.command()
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def check(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    """Run the conformance kit on every registered activation and loss (or on NAMES).

    Exits with status 1 when any component fails a check.
    """
    registered = {
        **{f"activation {n!r}": n for n in activations()},
        **{f"loss {n!r}": n for n in losses()},
    }
    unknown = sorted(set(names) - set(registered.values()))
    if unknown:
        raise UnknownComponentError(
            f"no activation or loss named {', '.join(map(repr, unknown))}; registered: "
            f"{', '.join(sorted(set(registered.values())))}"
        )
    results: dict[str, dict[str, Any]] = {}
    for item in registered_checks():
        if names and registered.get(item.component) not in names:
            continue
        result = results.setdefault(
            item.component, {"component": item.component, "checks": 0, "failures": []}
        )
        result["checks"] += 1
        failure = _run_check(item)
        if failure is not None:
            result["failures"].append({"check": item.check, "message": failure})
    failed = [r for r in results.values() if r["failures"]]
    if as_json:
        for result in results.values():
            result["passed"] = not result["failures"]
        click.echo(json.dumps({"components": list(results.values())}, indent=2))
    else:
        rows = [["component", "result", "checks"]]
        for result in results.values():
            status = "FAIL" if result["failures"] else "pass"
            rows.append([result["component"], status, str(result["checks"])])
        click.echo(render.table(rows))
        for result in failed:
            for failure in result["failures"]:
                click.echo(f"  {result['component']}, {failure['check']}: {failure['message']}")
        click.echo(
            f"{len(results)} components: {len(results) - len(failed)} passed, {len(failed)} failed"
        )
    if failed:
        ctx.exit(1)


def _run_check(item: Callable[[], None]) -> str | None:
    """Run one check; return why it failed, or None. A crash is a failure too."""
    try:
        item()
    except ConformanceError as error:
        return _one_line(str(error))
    except Exception as error:  # a component that crashes fails its check
        return _one_line(f"{type(error).__name__}: {error}")
    return None
