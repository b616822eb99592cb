"""What ``layerkit train`` chooses when an option is not given, and which losses it refuses.

The learning rate, epochs, batch size and hidden width come from a table keyed by the data
set and by how the loss's gradient reaches the last layer (`gradient_kind`): through a
squashing output's slope, undamped as cross-entropy's ``p − t``, or through a linear output.
The values were found by training every built-in data set with every first-party hidden
activation (see the grid in ``tests/cli/test_cli_train_defaults.py``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Literal

import click
import numpy as np

from .data import Dataset
from .options import _Spec

GradientKind = Literal["squashed", "softmax", "cross_entropy", "linear", "constant"]

SQUASHING_OUTPUTS = frozenset({"sigmoid", "softmax"})
"""Output activations whose values are probabilities in (0, 1)."""
CROSS_ENTROPY_LOSSES = frozenset({"cross_entropy", "binary_cross_entropy"})
DISTANCE_LOSSES = frozenset({"l2", "l1", "huber"})


@dataclass(frozen=True)
class Defaults:
    """The training settings used for every option the command line leaves out."""

    hidden: int
    lr: float
    momentum: float | None
    """SGD's momentum; None for an optimizer that gets no momentum by default."""
    epochs: int
    batch_size: int
    reason: str
    """Why, as the summary and ``--help`` say it: ``for moons with a sigmoid output``."""


# Why these numbers (the grid each was picked from is in the test module's docstring):
# - "squashed": a sigmoid or softmax output multiplies the loss's gradient by its slope, at
#   most 1/4, so large steps are safe and needed: lr 1 reaches 99-100% on every built-in set.
# - "softmax": l2 or huber through a softmax, whose outputs share one sum: lr 0.3 (at 1
#   softplus and elu units stalled on xor at 54% and 76%; 0.3 trained all seven on xor,
#   moons and spirals).
# - "cross_entropy": the gradient reaching the last layer is p − t, not damped by a slope;
#   lr 0.1 is the largest rate that trained every hidden activation on every set (at 0.3
#   relu and gelu nets sometimes stalled on moons, at 1 many got stuck at chance).
# - "linear": l2 or huber through a linear output, undamped: lr 0.1 (0.03 left sigmoid
#   hidden units at 80% on spirals).
# - "constant": L1's gradient keeps its size however close the output is, so it overshoots:
#   lr 0.03 (0.1 stalled relu at 67% on blobs and elu at 74% on spirals).
# The half adder keeps the derivation's 2-3-2 network. Its four samples fit in one batch, so
# full-batch steps cost a quarter of the per-sample ones and train as well: every rate from
# 0.5 to 4 reached 100% by epoch 333 with a sigmoid output; cross-entropy at 2 stalled relu
# at 75% (0.5 did not); a linear output 0.1, L1 0.03 (at 0.1 relu and leaky_relu stalled).
_RATES: dict[GradientKind, float] = {
    "squashed": 1.0,
    "softmax": 0.3,
    "cross_entropy": 0.1,
    "linear": 0.1,
    "constant": 0.03,
}
_RATES_FOR: dict[tuple[str, GradientKind], float] = {
    ("half_adder", "squashed"): 2.0,
    ("half_adder", "cross_entropy"): 0.5,
    ("half_adder", "linear"): 0.1,
    ("half_adder", "constant"): 0.03,
}
MOMENTUM = 0.9
"""SGD's momentum μ for every data set: it smooths the noise of mini-batch steps."""

# The first-party optimizers that divide each step by a running size of the gradient, so
# that a step is about lr whatever the loss and the output activation do to the gradient's
# scale: one rate per optimizer, not per gradient kind, and a summed loss needs no smaller
# one. PyTorch's defaults (1e-3 for adam and adamw, 1e-2 for rmsprop and adagrad) are made
# for long runs on large data; in the 300 epochs of 13-19 steps here they stop short. Grid:
# lr 0.001 to 0.3, the default sigmoid network and l2 loss on every built-in set (full size),
# then the rate kept for all seven hidden activations and every loss that suits the targets
# on 32-sample sets (245 runs each), judged as tests/cli/test_cli_train_defaults.py judges
# SGD's; the only misses were l1 on spirals with sigmoid, elu or softplus units (62-66%),
# which SGD misses on 32 samples too and trains at full size:
# - adam, adamw: 0.03 (adam missed none, adamw two; at 0.01 moons stayed at 88% with
#   sigmoid units, at 0.003 the half adder at 75%; 0.1 and 0.3 also trained the default
#   network: 0.03 is in the middle of the good range);
# - rmsprop: 0.03 (two misses; at 0.3 xor and spirals stalled at chance, 0.01 left moons at
#   90%);
# - adagrad: 0.3 (three misses), because its steps only shrink as the sum of squares grows:
#   at 0.1 moons stayed at 88% and spirals at 84%, at 0.01 xor and the half adder did not
#   learn at all.
ADAPTIVE_RATES: dict[str, float] = {
    "adam": 0.03,
    "adamw": 0.03,
    "rmsprop": 0.03,
    "adagrad": 0.3,
}


def adaptive_rates_text() -> str:
    """``0.01 for adam, adamw and rmsprop, 0.1 for adagrad``, from `ADAPTIVE_RATES`."""
    by_rate: dict[float, list[str]] = {}
    for name, rate in ADAPTIVE_RATES.items():
        by_rate.setdefault(rate, []).append(name)
    parts = []
    for rate, names in by_rate.items():
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        parts.append(f"{rate:g} for {listed}")
    return ", ".join(parts)


def optimizer_rate(optimizer: str, sgd_rate: float) -> float:
    """The default learning rate of ``optimizer``, given the one SGD would get.

    A first-party adaptive optimizer has its own from `ADAPTIVE_RATES`; another optimizer
    its constructor's default ``lr``, or else SGD's rate.

    Examples
    --------
    >>> optimizer_rate("sgd", 0.3), optimizer_rate("adam", 0.3)
    (0.3, 0.03)
    """
    if optimizer in ADAPTIVE_RATES:
        return ADAPTIVE_RATES[optimizer]
    if optimizer != "sgd":
        from ..registry import optimizers

        component = optimizers().get(optimizer)
        lr = inspect.signature(component.cls).parameters.get("lr") if component else None
        if lr is not None and isinstance(lr.default, (int, float)) and lr.default > 0:
            return float(lr.default)
    return sgd_rate


def gradient_kind(loss: str, output: _Spec) -> GradientKind:
    """How the loss's gradient reaches the last layer: it picks the learning rate.

    Examples
    --------
    >>> from layerkit.cli.options import _Spec
    >>> gradient_kind("l2", _Spec("sigmoid", {})), gradient_kind("l2", _Spec("none", {}))
    ('squashed', 'linear')
    >>> gradient_kind("cross_entropy", _Spec("softmax", {})), gradient_kind("l1", _Spec("none", {}))
    ('cross_entropy', 'constant')
    """
    if loss in CROSS_ENTROPY_LOSSES:
        return "cross_entropy"
    if loss == "l1":
        return "constant"
    if output.linear:
        return "linear"
    if output.name == "softmax":
        return "softmax"
    return "squashed"


def choose(
    data: Dataset, builtin: bool, loss: str, output: _Spec, optimizer: str = "sgd"
) -> Defaults:
    """The defaults for training on ``data`` with ``loss``, the ``output`` activation and the
    registered ``optimizer`` (SGD with momentum unless another is named)."""
    kind = gradient_kind(loss, output)
    described = f"{'linear' if output.linear else output.name} output and the {loss} loss"
    trained = "" if optimizer == "sgd" else f"{optimizer} on "
    name = "half_adder" if builtin and data.name == "half_adder" else data.name
    name = name if builtin else "a data file"
    sgd_rate = _RATES_FOR.get((name, kind), _RATES[kind])
    return Defaults(
        hidden=3 if name == "half_adder" else 16,
        lr=optimizer_rate(optimizer, sgd_rate),
        momentum=MOMENTUM if optimizer == "sgd" else None,
        epochs=1000 if name == "half_adder" else 300 if builtin else 200,
        batch_size=4 if name == "half_adder" else 16,
        reason=f"for {trained}{name} with a {described}",
    )


def default_output(loss: str, from_logits: bool, data: Dataset) -> _Spec:
    """The output activation for ``loss`` when ``--output-activation`` is not given.

    A loss on logits (``from_logits=true``) and regression want a linear output; categorical
    cross-entropy wants softmax probabilities; L1 a linear output too, because its gradient
    of constant size drives a sigmoid into saturation, where it stops learning.
    """
    if from_logits or data.task == "regression" or loss == "l1":
        return _Spec("none", {})
    if loss == "cross_entropy":
        return _Spec("softmax", {})
    return _Spec("sigmoid", {})


def check_loss_fits(data: Dataset, loss: str, from_logits: bool, output: _Spec) -> None:
    """Refuse, as a usage error, a loss or output activation that cannot fit the targets.

    Components from outside plugins are not judged: only the first-party names are known.
    """
    where = data.name
    if loss == "cross_entropy" and data.task == "bits":
        _refuse(
            "--loss",
            f"{where} has {data.outputs} independent 0/1 targets per sample (multi-label); "
            f"cross_entropy needs one class per sample: use binary_cross_entropy or l2",
        )
    if loss in CROSS_ENTROPY_LOSSES and data.task == "regression":
        assert data.values is not None
        if loss == "cross_entropy" or not np.all((data.values >= 0) & (data.values <= 1)):
            _refuse(
                "--loss",
                f"{where} has values to fit (regression), not classes; {loss} needs "
                f"{'class labels' if loss == 'cross_entropy' else 'targets in [0, 1]'}: "
                f"use l2, l1 or huber",
            )
    if loss in CROSS_ENTROPY_LOSSES:
        wanted = "softmax" if loss == "cross_entropy" else "sigmoid"
        if from_logits and not output.linear:
            _refuse(
                "--output-activation",
                f"{loss}:from_logits=true applies the {wanted} itself and needs a linear "
                f"output: use --output-activation none (not {output})",
            )
        if not from_logits and (output.linear or output.name not in SQUASHING_OUTPUTS):
            _refuse(
                "--output-activation",
                f"{loss} takes probabilities, but a {output} output does not give them: use "
                f"--output-activation {wanted}, or {loss}:from_logits=true with "
                f"--output-activation none",
            )
        if loss == "cross_entropy" and output.name == "sigmoid":
            _refuse(
                "--output-activation",
                "cross_entropy needs outputs that sum to 1 over the classes; sigmoid outputs "
                "do not: use --output-activation softmax",
            )
    if output.name == "softmax" and data.task == "bits":
        _refuse(
            "--output-activation",
            f"softmax outputs sum to 1, but {where}'s targets are independent 0/1 values: "
            f"use sigmoid",
        )
    if data.task == "regression" and output.name in SQUASHING_OUTPUTS:
        assert data.values is not None
        low, high = float(data.values.min()), float(data.values.max())
        if low < 0 or high > 1:
            _refuse(
                "--output-activation",
                f"{output.name} outputs lie between 0 and 1, but {where}'s targets range from "
                f"{low:g} to {high:g}: use --output-activation none",
            )


def _refuse(option: str, reason: str) -> None:
    raise click.UsageError(f"{option}: {reason}")
