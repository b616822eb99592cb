"""``layerkit train``: train a network, judge the result, and only then save and plot it.

Every option is checked before any work starts (a bad value is a usage error, exit 2). A run
whose loss diverged, ended above where it started, or whose accuracy is no better than
chance is a failure: the command says so and what to change, writes nothing, and exits 1.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from .. import plotting, serialization
from ..errors import ConfigurationError, UnknownComponentError
from ..layer import Layer
from ..registry import optimizer as build_optimizer
from . import progress, render
from .components import _check_component, _loss, _network
from .data import BUILTIN as BUILTIN_DATA
from .data import Dataset, load_dataset
from .options import COMPONENT, METRICS, OPTIMIZER, SIZES, _check_writable, _Spec
from .train_defaults import (
    Defaults,
    adaptive_rates_text,
    check_loss_fits,
    choose,
    default_output,
)
from .train_run import (
    _chance,
    _defaulted,
    _encode,
    _evaluate,
    _Evaluation,
    _judge,
    _measured,
    _metrics,
    _optimizer_options,
    _Run,
    _Settings,
    _split,
    _summed,
    _Targets,
    _train,
)

SHOW_SAMPLES = 8
"""A data set this small gets its outputs printed, sample by sample, after training."""
MAX_SAMPLES = 1_000_000
MAX_EPOCHS = 1_000_000
MAX_SEED = 2**32 - 1
MAX_WIDTH = 10_000
"""Units in one layer, at most: wider layers would not fit in memory for a batch."""
MAX_PARAMETERS = 10_000_000
MAX_STEP_VALUES = 50_000_000
"""Batch size × widest layer, at most: the activations one step keeps (400 MB in float64)."""
PLOT_SUFFIXES = (".png",)
LR_MOMENTUM = ("lr", "momentum")
"""Optimizer options the settings line shows on their own, not in the optimizer's spec."""
INPUT_SCALE = 10.0
"""Inputs larger than this saturate sigmoid units: a failed run then suggests scaling."""


class _Number(click.ParamType):
    """A finite float in an interval; NaN and infinity are refused (click's FloatRange lets
    NaN through)."""

    name = "FLOAT"

    def __init__(self, low: float, high: float | None, *, low_open: bool, high_open: bool):
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        above = number > self.low if self.low_open else number >= self.low
        below = self.high is None or (number < self.high if self.high_open else number <= self.high)
        if not (math.isfinite(number) and above and below):
            self.fail(f"expected a finite number {self._interval()}, got {value!r}", param, ctx)
        return number

    def _interval(self) -> str:
        low = f"{self.low:g} {'<' if self.low_open else '≤'} x"
        if self.high is None:
            return f"with {low}"
        return f"with {low} {'<' if self.high_open else '≤'} {self.high:g}"


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
@click.option(
    "--samples",
    type=click.IntRange(1, MAX_SAMPLES),
    help="Size of a generated data set [default: the data set's own, 200 or 300].",
)
@click.option(
    "--validation",
    type=_Number(0.0, 1.0, low_open=True, high_open=True),
    help="Hold out this fraction of the samples (seeded by --seed, stratified by class) and "
    "report their loss and accuracy beside the training ones [default: none held out].",
)
@click.option(
    "--layers",
    type=SIZES,
    help="Layer sizes from inputs to outputs, e.g. 2,3,2 [default: inputs, 3 hidden units "
    "for half_adder or 16 otherwise, outputs].",
)
@click.option(
    "--activation",
    type=COMPONENT,
    default="sigmoid",
    show_default=True,
    help="Hidden activation by name, with options: e.g. leaky_relu:slope=0.1.",
)
@click.option(
    "--output-activation",
    "output_activation",
    type=COMPONENT,
    help="Output activation; 'none' for a linear output [default: chosen from the loss: "
    "softmax for cross_entropy, none for from_logits=true, l1 or regression, else sigmoid].",
)
@click.option(
    "--loss",
    type=COMPONENT,
    default="l2",
    show_default=True,
    help="Loss by name, e.g. cross_entropy or cross_entropy:from_logits=true.",
)
@click.option(
    "--optimizer",
    type=OPTIMIZER,
    help="Optimizer by name, with options: e.g. adam or adam:lr=1e-3 [default: sgd, with "
    "--momentum 0.9].",
)
@click.option(
    "--lr",
    type=_Number(0.0, None, low_open=True, high_open=False),
    help="Learning rate η > 0 [default: for sgd, chosen from the data set and how the loss's "
    "gradient reaches the output: 1 through a sigmoid output with l2/huber (0.3 softmax), 0.1 "
    "for cross-entropy or a linear output, 0.03 for l1; 2, 0.5, 0.1 and 0.03 for half_adder; "
    f"{adaptive_rates_text()}; another optimizer's own default].",
)
@click.option(
    "--momentum",
    type=_Number(0.0, 1.0, low_open=False, high_open=True),
    help="Momentum μ, 0 ≤ μ < 1, for an optimizer with a momentum option [default: 0.9 for "
    "sgd, else the optimizer's own].",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, MAX_EPOCHS),
    help="Passes over the data [default: 1000 for half_adder, 300 for the other built-in "
    "data sets, 200 for a file].",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Samples per step [default: 4 (all) for half_adder, else 16].",
)
@click.option(
    "--metrics",
    type=METRICS,
    help="Metrics to report after each epoch and at the end, registered names separated by "
    "commas: e.g. accuracy,mse [default: none].",
)
@click.option(
    "--patience",
    type=click.IntRange(0, MAX_EPOCHS),
    help="Stop after this many epochs without a lower loss on the --validation data (on the "
    "training data without it) and keep the weights of the best epoch [default: train every "
    "epoch].",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=0,
    show_default=True,
    help="Seed for the data, the weights, the order and the --validation split.",
)
@click.option(
    "--dtype",
    type=click.Choice(["float64", "float32"]),
    default="float64",
    show_default=True,
    help="The dtype of the parameters and the data.",
)
@click.option(
    "--save",
    "save_path",
    type=click.Path(path_type=Path),
    help="Save the trained model here, if training succeeded.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    help="Write the loss curve as a PNG here, if training succeeded (and NAME-boundary.png "
    "for two-feature data).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or progress lines.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def train(
    data: str,
    targets: tuple[str, ...],
    task: str,
    samples: int | None,
    validation: float | None,
    layers: list[int] | None,
    activation: _Spec,
    output_activation: _Spec | None,
    loss: _Spec,
    optimizer: _Spec | None,
    lr: float | None,
    momentum: float | None,
    epochs: int | None,
    batch_size: int | None,
    metrics: list[str] | None,
    patience: int | None,
    seed: int,
    dtype: str,
    save_path: Path | None,
    plot_path: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Train a network, print a summary (loss, accuracy, time) and a chart of the loss.

    With no options: the derivation's 2-3-2 sigmoid network with the L2 loss learns the
    half adder in well under a second.

    Options not given are chosen from the data set, the loss and the output activation,
    and the summary says which were chosen and why. A run that diverged, whose loss ended
    above where it started, or whose accuracy is no better than chance, fails (exit 1)
    and writes no model and no plot.
    """
    for option, kind, spec in (
        ("--activation", "activation", activation),
        ("--output-activation", "activation", output_activation),
        ("--loss", "loss", loss),
    ):
        _usage(lambda kind=kind, spec=spec: _check_component(kind, spec), option)
    _check_outputs(save_path, plot_path, data)

    dataset = _load(data, targets, task, samples, seed)
    loss_function = _usage(lambda: _loss(loss), "--loss")
    from_logits = bool(getattr(loss_function, "from_logits", False))
    output = output_activation or default_output(loss.name, from_logits, dataset)
    check_loss_fits(dataset, loss.name, from_logits, output)
    trainer = optimizer or _Spec("sgd", {})
    defaults = choose(dataset, data in BUILTIN_DATA, loss.name, output, trainer.name)
    encoded = _encode(dataset, loss.name, layers[-1] if layers else None)
    layers = _check_layers(layers, dataset, encoded, defaults, output)

    x = dataset.x.astype(dtype)
    t = encoded.array if encoded.encoding == "labels" else encoded.array.astype(dtype)
    training, held_out = _split(dataset, validation, seed)
    batch = min(defaults.batch_size if batch_size is None else batch_size, len(training))
    if getattr(loss_function, "reduction", "mean") == "sum":
        defaults = _summed(defaults, batch, trainer.name)
    settings = _Settings(
        optimizer=trainer,
        options=_optimizer_options(trainer, lr, momentum, defaults),
        epochs=defaults.epochs if epochs is None else epochs,
        batch_size=batch,
        patience=patience,
    )
    _check_step_size(settings.batch_size, layers)
    model = _usage(lambda: _network(layers, activation, output, seed, dtype), "--activation")
    updates = _usage(lambda: build_optimizer(trainer.name, **settings.options), "--optimizer")

    threshold = 0.0 if from_logits else 0.5  # where a 0/1 output flips, for the accuracy
    measures = _metrics(
        metrics or [],
        model,
        x[training],
        t[training],
        threshold=threshold,
        exact_match=dataset.task == "bits",
    )
    validation = None if held_out is None else (x[held_out], t[held_out])
    run = _train(
        model,
        x[training],
        t[training],
        loss_function,
        updates,
        settings,
        seed,
        quiet or as_json,
        validation,
        list(measures.values()),
    )
    after = _evaluate(model, loss_function, dataset, x, t, training, threshold)
    measured = _measured(model, loss_function, measures, x[training], t[training])
    held, held_measured = None, None
    if held_out is not None:
        held = _evaluate(model, loss_function, dataset, x, t, held_out, threshold)
        held_measured = _measured(model, loss_function, measures, *validation)  # type: ignore[misc]
    chance = _chance(dataset, training)
    problem = _judge(run, after, chance, settings)
    largest = float(np.max(np.abs(x))) if x.size else 0.0
    if problem is not None and largest > INPUT_SCALE:
        problem = dataclasses.replace(
            problem,
            advice=f"{problem.advice}; the inputs reach {largest:.3g}, and scaling them to "
            f"about -1 to 1 often helps",
        )

    written: list[str] = []
    if problem is None:
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
            written = _plot(model, dataset, x, t, encoded.outputs, run.history, plot_path)

    summary = {
        "ok": problem is None,
        "problem": None if problem is None else problem.text,
        "data": dataset.name,
        "samples": len(x),
        "training_samples": len(training),
        "held_out_samples": 0 if held_out is None else len(held_out),
        "layers": layers,
        "activation": str(activation),
        "output_activation": None if output.linear else str(output),
        "loss": str(loss),
        "optimizer": str(trainer),
        "optimizer_options": settings.options,
        "lr": settings.lr,
        "momentum": settings.momentum,
        "epochs": len(run.history),
        "batch_size": settings.batch_size,
        "seed": seed,
        "defaults": _defaulted(optimizer, lr, momentum, epochs, batch_size, output_activation),
        "defaults_reason": defaults.reason,
        "initial_loss": run.initial,
        "final_loss": after.loss,
        "accuracy": after.accuracy,
        "chance_accuracy": chance,
        "held_out_loss": None if held is None else held.loss,
        "held_out_accuracy": None if held is None else held.accuracy,
        "metrics": measured,
        "held_out_metrics": held_measured,
        "patience": patience,
        "best_epoch": run.best_epoch,
        "stopped_epoch": run.stopped_epoch,
        "epoch_losses": run.history,
        "epoch_logs": run.logs,
        "seconds": run.seconds,
        "saved": None if save_path is None or problem else str(save_path),
        "plots": written,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(
            summary,
            activation,
            output,
            loss,
            dataset,
            run,
            held,
            x,
            model,
            defaults,
            settings.epochs,
        )
    if problem is not None:
        raise click.ClickException(problem.message(save_path, plot_path))


# -------------------------------------------------------------------------- checks
def _usage(action: Callable[[], Any], option: str) -> Any:
    """Run ``action``; an unknown name or a bad component option is a usage error (exit 2)."""
    try:
        return action()
    except (UnknownComponentError, ConfigurationError) as error:
        raise click.BadParameter(str(error), param_hint=f"'{option}'") from error


def _check_outputs(save_path: Path | None, plot_path: Path | None, data: str) -> None:
    """Refuse before any work a --plot name that is no PNG, a directory not writable, and an
    output that would overwrite the data file or the other output."""
    if plot_path is not None and plot_path.suffix.lower() not in PLOT_SUFFIXES:
        raise click.BadParameter(
            f"the loss curve is written as a PNG image: give a file name ending in .png, "
            f"not {str(plot_path)!r}",
            param_hint="'--plot'",
        )
    outputs: list[tuple[Path | None, str]] = [(save_path, "--save"), (plot_path, "--plot")]
    if plot_path is not None:
        outputs.append((plotting.boundary_path(plot_path), "--plot (its boundary picture)"))
    seen = {_same_file_key(Path(data)): "--data"} if data not in BUILTIN_DATA else {}
    for path, option in outputs:
        if path is None:
            continue
        key = _same_file_key(path)
        if key in seen:
            raise click.BadParameter(
                f"{str(path)!r} is also {seen[key]}: writing it would overwrite that file",
                param_hint=f"'{option.split()[0]}'",
            )
        seen[key] = option
    for path, option in ((save_path, "--save"), (plot_path, "--plot")):
        if path is None:
            continue
        _check_writable(path, option)
        directory = path.parent
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(
                f"{option}: cannot write to the directory {str(directory)!r} (permission denied)"
            )
    if plot_path is not None:
        plotting.require_matplotlib()


def _same_file_key(path: Path) -> str:
    """One spelling per file, ``./m.npz`` and ``m.npz`` alike (the file need not exist)."""
    return os.path.normcase(os.path.abspath(path))


def _load(
    data: str, targets: tuple[str, ...], task: str, samples: int | None, seed: int
) -> Dataset:
    names = [name.strip() for t in targets for name in t.split(",") if name.strip()]
    if data in BUILTIN_DATA and names:
        raise click.BadParameter(
            f"--target names a column of a data file; the built-in data set {data!r} has "
            f"its own targets",
            param_hint="'--target'",
        )
    if data in BUILTIN_DATA and task != "auto":
        raise click.BadParameter(
            f"--task says what a data file's targets are; the built-in data set {data!r} "
            f"knows its own",
            param_hint="'--task'",
        )
    if samples is not None and data == "half_adder":
        raise click.BadParameter(
            "the half adder has exactly four samples; drop --samples", param_hint="'--samples'"
        )
    if samples is not None and data not in BUILTIN_DATA:
        raise click.BadParameter(
            "--samples sets the size of a built-in data set, not of a file",
            param_hint="'--samples'",
        )
    return _usage(
        lambda: load_dataset(
            data,
            targets=names,
            task=None if task == "auto" else task,  # type: ignore[arg-type]
            samples=samples,
            seed=seed,
        ),
        "--data",
    )


def _check_layers(
    layers: list[int] | None, data: Dataset, encoded: _Targets, defaults: Defaults, output: _Spec
) -> list[int]:
    features = data.x.shape[1]
    outputs = 1 if encoded.encoding == "column" else data.outputs
    if layers is None:
        layers = [features, defaults.hidden, outputs]
    elif layers[0] != features:
        raise click.BadParameter(
            f"--layers starts with {layers[0]} inputs, but the data has {features} features "
            f"({', '.join(data.features)})",
            param_hint="'--layers'",
        )
    elif layers[-1] != outputs:
        raise click.BadParameter(
            f"--layers ends with {layers[-1]} outputs, but the targets need {outputs} "
            f"({', '.join(encoded.outputs)})",
            param_hint="'--layers'",
        )
    if output.name == "softmax" and outputs == 1:
        raise click.BadParameter(
            "a softmax over one output is always 1: end --layers with one output per class, "
            "or use --output-activation sigmoid",
            param_hint="'--output-activation'",
        )
    widest = max(layers)
    parameters = sum((a + 1) * b for a, b in itertools.pairwise(layers))
    if widest > MAX_WIDTH or parameters > MAX_PARAMETERS:
        raise click.BadParameter(
            f"{','.join(map(str, layers))} has {parameters:,} parameters and a layer of "
            f"{widest:,} units; at most {MAX_PARAMETERS:,} parameters and {MAX_WIDTH:,} units "
            f"per layer",
            param_hint="'--layers'",
        )
    return layers


def _check_step_size(batch_size: int, layers: list[int]) -> None:
    if batch_size * max(layers) > MAX_STEP_VALUES:
        raise click.BadParameter(
            f"a batch of {batch_size:,} samples through a layer of {max(layers):,} units "
            f"needs more memory than a step should take: use at most "
            f"{MAX_STEP_VALUES // max(layers):,}",
            param_hint="'--batch-size'",
        )


# ------------------------------------------------------------------------ output
def _plot(
    model: Layer,
    data: Dataset,
    x: np.ndarray,
    t: np.ndarray,
    output_names: list[str],
    history: list[float],
    plot_path: Path,
) -> list[str]:
    name = data.name if data.name in BUILTIN_DATA else Path(data.name).name
    written = [plot_path]
    _write_atomically(
        plot_path, lambda path: plotting.plot_loss(history, path, title=f"{name}: loss per epoch")
    )
    if x.shape[1] == 2:
        boundary = plotting.boundary_path(plot_path)
        if data.task == "classification":
            draw = lambda path: plotting.plot_decision_boundary(  # noqa: E731
                model, x, path, labels=data.labels, title=name
            )
        else:
            draw = lambda path: plotting.plot_decision_boundary(  # noqa: E731
                model, x, path, targets=t, output_names=output_names, title=name
            )
        _write_atomically(boundary, draw)
        written.append(boundary)
    return [str(path) for path in written]


def _write_atomically(path: Path, write: Callable[[Path], Any]) -> None:
    """Write through a short temporary name in the same directory, then rename in one step."""
    temporary = path.with_name(f".layerkit-{secrets.token_hex(4)}{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _print_summary(
    summary: dict[str, Any],
    activation: _Spec,
    output: _Spec,
    loss: _Spec,
    data: Dataset,
    run: _Run,
    held: _Evaluation | None,
    x: np.ndarray,
    model: Layer,
    defaults: Defaults,
    epochs: int,
) -> None:
    layers = summary["layers"]
    shape = "-".join(map(str, layers))
    hidden = f"{activation} hidden, " if len(layers) > 2 else ""
    functions = f"{hidden}{'linear' if output.linear else output} output"
    verb = "trained" if summary["ok"] else "training FAILED for"
    click.echo(
        f"{verb} a {shape} network ({functions}) with the {loss} loss on {data.name} "
        f"({_count(summary['training_samples'], 'sample')}, {_count(summary['epochs'], 'epoch')}) "
        f"in {summary['seconds']:.2f} s"
    )
    rows = [["settings", _settings_text(summary, epochs, defaults)]]
    rows.append([
        "loss",
        f"{summary['initial_loss']:.6g} before training → "
        f"{summary['final_loss']:.6g} after (training data)",
    ])  # fmt: skip
    if summary["accuracy"] is not None:
        rows.append(
            [
                "accuracy",
                _accuracy_text(summary["accuracy"], summary["training_samples"])
                + f" of the training data (chance {100 * summary['chance_accuracy']:.1f}%)",
            ]
        )
    if held is not None:
        rows.append(["held-out loss", f"{held.loss:.6g} (not trained on)"])
        if held.accuracy is not None:
            rows.append(["held-out accuracy",
                         _accuracy_text(held.accuracy, summary["held_out_samples"])
                         + " of the held-out data"])  # fmt: skip
    for name, value in summary["metrics"].items():
        held_value = (summary["held_out_metrics"] or {}).get(name)
        held_text = "" if held_value is None else f", {held_value:.4f} on the held-out data"
        rows.append([f"{name} (metric)", f"{value:.4f} on the training data{held_text}"])
    if run.best_epoch is not None:
        rows.append(["early stopping", _early_stopping_text(run, held is not None)])
    if summary["saved"] is not None:
        rows.append(["saved", summary["saved"]])
    if summary["plots"]:
        rows.append(["plots", ", ".join(summary["plots"])])
    click.echo(render.table(rows, gap=3))
    for line in progress.loss_chart(run.history):
        click.echo(line)
    if len(x) <= SHOW_SAMPLES and summary["held_out_samples"] == 0:
        click.echo("inputs → outputs (targets):")
        shown = data.values if data.values is not None else data.labels
        with np.errstate(all="ignore"):
            outputs = model(x)
        for inputs, out, wanted in zip(x, outputs, shown, strict=True):  # type: ignore[arg-type]
            click.echo(f"  {_short(inputs)} → {_short(out)}  ({_short(np.asarray(wanted))})")


def _early_stopping_text(run: _Run, validation: bool) -> str:
    """Which epoch was best, when training stopped, and that the best weights were kept."""
    assert run.best_epoch is not None
    best = run.best_epoch
    what = "held-out loss" if validation else "epoch-mean loss"
    value = (run.logs["val_loss"] if validation else run.history)[best - 1]
    if run.stopped_epoch is None:
        ran = f"all {len(run.history)} epochs ran"
    else:
        ran = f"stopped after epoch {run.stopped_epoch}"
    return f"epoch {best} had the lowest {what} ({value:.6g}); {ran}, epoch {best}'s weights kept"


def _short(values: np.ndarray) -> str:
    """``[0.0116, 1e+300]``: three significant digits, an exponent only where needed."""
    return "[" + ", ".join(f"{value:.3g}" for value in np.ravel(values)) + "]"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _accuracy_text(accuracy: float, samples: int) -> str:
    return f"{100 * accuracy:.1f}% ({round(accuracy * samples)} of {samples})"


def _settings_text(summary: dict[str, Any], epochs: int, defaults: Defaults) -> str:
    """``adam, lr 0.1 (given); epochs 300, batch 16 (defaults for ...)``."""
    name, _, options = summary["optimizer"].partition(":")
    others = [part for part in options.split(",") if part and part.split("=")[0] not in LR_MOMENTUM]
    values = {
        "optimizer": ":".join([name, ",".join(others)]) if others else name,
        "lr": f"lr {summary['lr']:.4g}",
        "momentum": f"momentum {summary['momentum'] or 0:.4g}",
        "epochs": f"epochs {epochs}",
        "batch_size": f"batch {summary['batch_size']}",
    }
    if summary["momentum"] is None:  # an optimizer without one
        del values["momentum"]
    chosen = summary["defaults"]
    if "optimizer" in chosen:  # SGD, as before --optimizer existed: its momentum says so
        del values["optimizer"]
    given = [text for name, text in values.items() if name not in chosen]
    default = [text for name, text in values.items() if name in chosen]
    if "output_activation" in chosen:
        default.append(f"{summary['output_activation'] or 'linear'} output")
    parts = []
    if given:
        parts.append(", ".join(given) + " (given)")
    if default:
        parts.append(", ".join(default) + f" (defaults {defaults.reason})")
    return "; ".join(parts)
