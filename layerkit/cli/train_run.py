"""What ``layerkit train`` does between its checks and its summary: train, evaluate, judge.

``_train`` runs `fit` with the progress bar and records the loss of every epoch; a
divergence is a result here, not an error. ``_evaluate`` computes the loss and accuracy over
any rows of the data, ``_chance`` the accuracy of always giving the most common answer, and
``_judge`` the verdict: None for a good run, or the ``_Problem`` to report.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from .. import datasets
from ..callbacks import Callback
from ..epoch_metrics import evaluate
from ..errors import TrainingDivergedError
from ..layer import Layer
from ..loss import Loss
from ..metric import Metric
from ..optim import Optimizer
from ..training import fit
from . import progress
from .components import LABEL_LOSSES
from .data import Dataset
from .options import _Spec
from .train_defaults import ADAPTIVE_RATES, Defaults

EVALUATION_CHUNK = 1024
"""Samples per forward pass when the loss and accuracy are computed after training."""


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


def _split(
    data: Dataset, fraction: float | None, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Indices of the training and held-out samples: a seeded split, stratified by class."""
    everything = np.arange(len(data.x))
    if fraction is None:
        return everything, None
    rng = np.random.default_rng([seed, 1])  # a stream of its own, apart from the data's
    groups = (
        [everything]
        if data.labels is None
        else [np.flatnonzero(data.labels == label) for label in range(len(data.classes))]
    )
    held = [rng.permutation(group)[: round(fraction * len(group))] for group in groups]
    held_out = np.sort(np.concatenate(held))
    if len(held_out) == 0 or len(held_out) == len(everything):
        raise click.BadParameter(
            f"{fraction:g} of {len(everything)} samples holds out {len(held_out)}: leave at "
            f"least one sample for training and one held out",
            param_hint="'--validation'",
        )
    return np.setdiff1d(everything, held_out), held_out


def _summed(defaults: Defaults, batch_size: int, optimizer: str) -> Defaults:
    """A loss summed over the batch has gradients ``batch_size`` times the mean's.

    An adaptive optimizer (`ADAPTIVE_RATES`) divides each step by the gradient's own size,
    so its rate stays as it is.
    """
    if optimizer in ADAPTIVE_RATES:
        return defaults
    return dataclasses.replace(
        defaults,
        lr=defaults.lr / batch_size,
        reason=f"{defaults.reason}, divided by the batch size for reduction=sum",
    )


@dataclass(frozen=True)
class _Settings:
    optimizer: _Spec
    """The optimizer as given (``sgd`` when not), for the summary."""
    options: dict[str, Any]
    """Every option the optimizer is built with: its spec's, ``lr`` and ``momentum``."""
    epochs: int
    batch_size: int
    patience: int | None = None

    @property
    def lr(self) -> float:
        return float(self.options["lr"])

    @property
    def momentum(self) -> float | None:
        momentum = self.options.get("momentum")
        return None if momentum is None else float(momentum)


def _optimizer_options(
    spec: _Spec, lr: float | None, momentum: float | None, defaults: Defaults
) -> dict[str, Any]:
    """The options to build ``spec``'s optimizer with, refusing what contradicts itself.

    ``--lr`` and ``lr=`` in the spec both set the learning rate, as ``--momentum`` and
    ``momentum=`` the momentum: giving both is a usage error, and so is ``--momentum`` for an
    optimizer without that option. SGD gets the default momentum; another optimizer keeps
    its own default for every option but the learning rate.
    """
    options = dict(spec.options)
    for flag, name, value in (("--lr", "lr", lr), ("--momentum", "momentum", momentum)):
        if value is not None and name in options:
            what = "learning rate" if name == "lr" else name
            raise click.UsageError(
                f"{flag} and {name}= in --optimizer {spec} both set the {what}; give one"
            )
    if momentum is not None and not _takes(spec.name, "momentum"):
        raise click.UsageError(
            f"--momentum does not apply to the optimizer {spec.name!r}, which has no momentum "
            f"option"
        )
    options.setdefault("lr", defaults.lr if lr is None else lr)
    if momentum is not None:
        options["momentum"] = momentum
    elif defaults.momentum is not None and spec.name == "sgd":
        options.setdefault("momentum", defaults.momentum)
    return options


def _takes(optimizer: str, option: str) -> bool:
    """Whether the registered ``optimizer``'s constructor has the parameter ``option``."""
    import inspect

    from ..registry import optimizers

    component = optimizers().get(optimizer)
    return component is not None and option in inspect.signature(component.cls).parameters


def _defaulted(
    optimizer: _Spec | None,
    lr: float | None,
    momentum: float | None,
    epochs: int | None,
    batch_size: int | None,
    output: _Spec | None,
) -> list[str]:
    """The names of the settings the command line left out, to be chosen.

    The momentum is a setting only of SGD, which gets a default one.
    """
    spec = optimizer or _Spec("sgd", {})
    left_out = {
        "optimizer": optimizer is None,
        "lr": lr is None and "lr" not in spec.options,
        "momentum": spec.name == "sgd" and momentum is None and "momentum" not in spec.options,
        "epochs": epochs is None,
        "batch_size": batch_size is None,
        "output_activation": output is None,
    }
    return [name for name, chosen in left_out.items() if chosen]


def _metrics(
    names: list[str],
    model: Layer,
    x: np.ndarray,
    t: np.ndarray,
    *,
    threshold: float,
    exact_match: bool,
) -> dict[str, Metric]:
    """The metrics named by ``--metrics``, each checked on the untrained model's first batch.

    A metric with a ``threshold`` or ``exact_match`` option gets the accuracy row's: the
    output's threshold (0 for a loss on logits), and whether a sample of several 0/1 targets
    counts only with every output right (the row counts so). So ``--metrics accuracy`` gives
    the row's number. A metric that cannot measure these targets is a usage error.
    """
    import inspect

    from ..errors import LayerkitError
    from ..registry import metric, metrics

    built: dict[str, Metric] = {}
    for name in names:
        takes = inspect.signature(metrics()[name].cls).parameters
        matching = {"threshold": threshold, "exact_match": exact_match}
        built[name] = metric(name, **{key: matching[key] for key in matching if key in takes})
        with np.errstate(all="ignore"):
            try:
                built[name](model(x[:EVALUATION_CHUNK]), t[:EVALUATION_CHUNK])
            except LayerkitError as error:
                raise click.BadParameter(
                    f"the metric {name!r} cannot measure these outputs and targets: {error}",
                    param_hint="'--metrics'",
                ) from None
    return built


def _measured(
    model: Layer, loss: Loss, metrics: dict[str, Metric], x: np.ndarray, t: np.ndarray
) -> dict[str, float]:
    """Each metric over all of ``x`` and ``t``, with the model as it is now."""
    if not metrics:
        return {}
    with np.errstate(all="ignore"):
        found = evaluate(model, loss, metrics, x, t)
    return {name: found[name] for name in metrics}


# ---------------------------------------------------------------------- training
@dataclass
class _Run:
    initial: float
    history: list[float]
    seconds: float
    diverged: str | None = None
    logs: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    """Every other number `fit` reported per epoch: ``val_loss``, each metric, ..."""
    best_epoch: int | None = None
    """With --patience, the epoch whose weights were kept."""
    stopped_epoch: int | None = None
    """With --patience, the epoch after which training stopped early, or None."""


class _Progress(Callback):
    """Records each epoch's numbers and reports them to the progress bar or log."""

    def __init__(self, report: Callable[..., None]) -> None:
        self.report = report
        self.history: list[float] = []
        self.logs: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.history.append(logs["loss"])
        extra = {name: value for name, value in logs.items() if name != "loss"}
        for name, value in extra.items():
            self.logs.setdefault(name, []).append(value)
        self.report(epoch, logs["loss"], extra)


def _train(
    model: Layer,
    x: np.ndarray,
    t: np.ndarray,
    loss: Loss,
    optimizer: Optimizer,
    settings: _Settings,
    seed: int,
    quiet: bool,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    metrics: Sequence[Metric] = (),
) -> _Run:
    report, bar = progress.epoch_reporter(settings.epochs, quiet=quiet)
    recorder = _Progress(report)
    with np.errstate(all="ignore"):
        initial = _loss_of(model, loss, x, t)
    started = time.perf_counter()
    diverged, best, stopped = None, None, None
    try:
        with bar:  # type: ignore[attr-defined]
            history = fit(
                model,
                x,
                t,
                loss=loss,
                optimizer=optimizer,
                epochs=settings.epochs,
                batch_size=settings.batch_size,
                seed=seed,
                validation_data=validation,
                metrics=list(metrics),
                patience=settings.patience,
                callbacks=[recorder],
            )
        best, stopped = history.best_epoch, history.stopped_epoch
    except TrainingDivergedError:
        epoch = len(recorder.history) + 1
        diverged = f"the loss diverged in epoch {epoch} (it became infinite or NaN)"
    except MemoryError:
        raise click.ClickException(
            "not enough memory to train this network on this data: use smaller --layers, "
            "--batch-size or --samples"
        ) from None
    seconds = time.perf_counter() - started
    return _Run(initial, recorder.history, seconds, diverged, recorder.logs, best, stopped)


def _loss_of(model: Layer, loss: Loss, x: np.ndarray, t: np.ndarray) -> float:
    """The mean loss over every sample, computed in chunks so memory stays small."""
    total = 0.0
    mean = getattr(loss, "reduction", "mean") == "mean"
    for start in range(0, len(x), EVALUATION_CHUNK):
        part = slice(start, start + EVALUATION_CHUNK)
        value = loss.forward(model(x[part]), t[part])
        total += value * len(x[part]) if mean else value
    return total / len(x) if mean else total


@dataclass
class _Evaluation:
    loss: float
    accuracy: float | None
    outputs: np.ndarray


def _evaluate(
    model: Layer,
    loss: Loss,
    data: Dataset,
    x: np.ndarray,
    t: np.ndarray,
    rows: np.ndarray,
    threshold: float,
) -> _Evaluation:
    with np.errstate(all="ignore"):
        value = _loss_of(model, loss, x[rows], t[rows])
        outputs = np.concatenate(
            [
                model(x[rows[i : i + EVALUATION_CHUNK]])
                for i in range(0, len(rows), EVALUATION_CHUNK)
            ]
        )
    accuracy = None
    if data.task == "classification":
        assert data.labels is not None
        if outputs.shape[1] == 1:
            predicted = (outputs[:, 0] >= threshold).astype(np.int64)
        else:
            predicted = np.argmax(outputs, axis=1)
        accuracy = float(np.mean(predicted == data.labels[rows]))
    elif data.task == "bits":
        assert data.values is not None
        bits = (outputs >= threshold).astype(np.float64)
        accuracy = float(np.mean(np.all(bits == data.values[rows], axis=1)))
    return _Evaluation(value, accuracy, outputs)


def _chance(data: Dataset, rows: np.ndarray) -> float | None:
    """The accuracy of always giving the most common answer: a class, or a row of bits."""
    if data.task == "classification":
        assert data.labels is not None
        return float(np.bincount(data.labels[rows]).max() / len(rows))
    if data.task == "bits":
        assert data.values is not None
        _, counts = np.unique(data.values[rows], axis=0, return_counts=True)
        return float(counts.max() / len(rows))
    return None


@dataclass(frozen=True)
class _Problem:
    text: str
    advice: str

    def message(self, save_path: Path | None, plot_path: Path | None) -> str:
        unwritten = [str(p) for p in (save_path, plot_path) if p is not None]
        kept = f"; did not write {' or '.join(unwritten)}" if unwritten else ""
        return f"training failed: {self.text}{kept}. {self.advice}"


def _judge(
    run: _Run, after: _Evaluation, chance: float | None, settings: _Settings
) -> _Problem | None:
    now = f"{settings.lr:.4g}"
    lower = f"Try a lower --lr (now {now}), e.g. --lr {settings.lr / 10:.4g}"
    longer = (
        f"Train longer (--epochs, now {settings.epochs}), or change --lr (now {now}) "
        f"or --activation"
    )
    if run.diverged is not None:
        return _Problem(run.diverged, lower)
    if after.loss > run.initial or not math.isfinite(after.loss):
        return _Problem(
            f"the loss rose from {run.initial:.6g} before training to {after.loss:.6g} after",
            lower,
        )
    if not after.loss < run.initial:
        return _Problem(f"the loss did not fall from {run.initial:.6g}", longer)
    accuracy = after.accuracy
    if accuracy is not None and chance is not None and accuracy <= chance and accuracy < 1:
        return _Problem(
            f"the accuracy, {100 * accuracy:.1f}%, is no better than chance "
            f"({100 * chance:.1f}%, always giving the most common answer)",
            longer,
        )
    return None
