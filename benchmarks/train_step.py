"""Time one training step of sigmoid MLPs: layerkit against hand-written NumPy, the BLAS floor
and PyTorch, side by side in one process.

Run it with ``make bench`` (or ``.venv/bin/python benchmarks/train_step.py --help``). It is a
benchmark, not a test: pytest never collects it.

What one step is
    forward, L2 loss ½ Σ (y − t)² averaged over the batch, backward, SGD update with lr 0.1,
    on a fixed batch. Every Dense layer is followed by a Sigmoid, the last one too.

The implementations
    layerkit      the public API, as `fit` runs a step: ``with lk.trusted_inputs(): y = net(x);
                  v = loss.forward(y, t)``, then ``net.backward_step(loss.backward(), opt,
                  input_grad=False)`` (no pass over the data or hidden values for NaN, which
                  fit makes once before training and sees in the loss; each layer is
                  updated right after its backward, a Dense layer as W −= xᵀ(ηδ) without
                  storing ∂L/∂W; ∂L/∂x of the data is not computed).
    layerkit split  the four-call form ``...; net.backward(loss.backward()); opt.step(net)``,
                  which keeps every gradient until the step and returns ∂L/∂x; in a second
                  table.
    hand-NumPy    the same formulas written straightforwardly in plain NumPy
                  (``a = h @ W + b; h = 1 / (1 + np.exp(-a)); delta = g * y * (1 - y); ...``).
    matmul-floor  only the three matrix products of each layer (x @ W, xᵀ δ, δ Wᵀ) into
                  preallocated arrays: the BLAS limit no NumPy implementation can beat.
    PyTorch       ``nn.Sequential`` of ``Linear`` + ``Sigmoid``, autograd, ``optim.SGD``; only
                  when ``torch`` is importable.
    All of them compute the first layer's input gradient ∂L/∂x exactly when layerkit's step
    does (when ``backward_step`` returns it), so they do the same work.

The Adam table
    The same step with Adam (PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8), in
    three implementations: layerkit's step as above with ``adam`` from the
    layerkit-optimizers plugin ("not installed" without it); the hand-written NumPy step with
    Adam's update written by hand, in place (`HandAdamTrainer`); ``torch.optim.Adam`` (its
    default implementation on the CPU). Beside them, Adam's update alone (what PyTorch calls
    the optimizer's step): layerkit's ``adam.update`` of every parameter from a given
    gradient against the hand-written update (`LayerkitAdamUpdate`, `HandAdamUpdate`), which
    separates the optimizer's cost from the layers' around it.

How it is timed
    After a check that every implementation gives the same loss on its first two steps as
    the others of its update rule (the second step checks backward and the update too), each
    round times a block of steps of
    every implementation, in an order rotated from round to round; the table quotes the
    median over rounds of the time per step. The garbage collector is off during a block,
    as in ``timeit``.

Threads
    The BLAS libraries read OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS once,
    when NumPy (or PyTorch) loads them, so this script sets them from ``--threads`` *before*
    importing NumPy, and calls ``torch.set_num_threads`` with the same number. The default
    is 1 thread: the machine has 2 cores shared with other work, and one thread keeps the
    timings steady and shows the cost per core; ``--threads 2`` shows the parallel BLAS.
    OPENBLAS_CORETYPE, when set in the environment, is left alone and printed.

Memory
    The peak traced by ``tracemalloc`` while building a network and training it for a few
    steps (NumPy reports its array buffers to tracemalloc; PyTorch does not, so it has no
    memory column). It covers parameters, gradients, cached activations and temporaries, and
    the Python objects of the network. A second column takes the peak of the steps above
    what the built network holds: what training adds, without the objects' fixed cost, which
    is most of the memory of a network as small as the seed's.
"""

from __future__ import annotations

import argparse
import sys

from bench_support import add_run_options, pin_threads  # it imports no NumPy

QUICK_ROUNDS, FULL_ROUNDS = 5, 25


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(
        description="Time one training step of sigmoid MLPs: layerkit, hand-written NumPy, "
        "the matmul floor and PyTorch.",
    )
    parser.add_argument(
        "--cases",
        default="seed,mnist,mlp,deep,wide",
        help="comma-separated cases to run (default: all of seed,mnist,mlp,deep,wide)",
    )
    add_run_options(
        parser,
        rounds=f"timed rounds per case (default {FULL_ROUNDS}, or {QUICK_ROUNDS} with --quick)",
        quick="fewer rounds and shorter blocks: a smoke run",
        profile="after the table, show where layerkit spends a step (cProfile, per case)",
    )
    return parser


if __name__ == "__main__":  # imported by the tests, it leaves the environment alone
    pin_threads(sys.argv[1:])  # must run before the imports below load a BLAS library

import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Protocol  # noqa: E402

import numpy as np  # noqa: E402
from bench_support import (  # noqa: E402
    CLOCKS,
    format_bytes,
    format_table,
    import_torch,
    machine_description,
    microseconds,
    ratio,
    relative_spread,
)

import layerkit as lk  # noqa: E402
from layerkit.namespaces import from_numpy, namespace  # noqa: E402

torch = import_torch()

LEARNING_RATE = 0.1
ADAM_OPTIONS = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}  # PyTorch's defaults
MEMORY_STEPS = 5
BLOCK_SECONDS = 0.1  # time of one timed block of steps; QUICK_BLOCK_SECONDS with --quick
QUICK_BLOCK_SECONDS = 0.02
SETTLE_SECONDS = 0.5  # pause before timing a group of implementations (see timing_groups)


# ------------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Case:
    """One network and batch to time."""

    name: str
    sizes: tuple[int, ...]  # layer widths, input first: (2, 3, 2) is a 2-3-2 network
    batch: int
    dtype: type[np.floating[Any]]

    @property
    def network(self) -> str:
        if len(self.sizes) <= 5:
            return "-".join(map(str, self.sizes))
        return f"{self.sizes[0]}-…-{self.sizes[-1]} ({len(self.sizes) - 1} Dense)"


CASES = {
    case.name: case
    for case in (
        Case("seed", (2, 3, 2), 1, np.float64),  # the derivation's per-sample SGD
        Case("mnist", (784, 128, 10), 32, np.float32),
        Case("mlp", (784, 256, 256, 10), 128, np.float32),
        Case("deep", (256,) * 12, 64, np.float32),
        Case("wide", (1024,) * 4, 512, np.float32),
    )
}


@dataclass
class Problem:
    """Initial weights and one batch, shared by every implementation of a case."""

    case: Case
    weights: list[tuple[np.ndarray, np.ndarray]]  # (W, b) per layer, W of shape (in, out)
    x: np.ndarray
    t: np.ndarray
    input_gradient: bool  # whether to compute ∂L/∂x of the first layer, as layerkit does


def make_problem(case: Case, input_gradient: bool, seed: int = 0) -> Problem:
    """Glorot-uniform weights, small random biases, inputs and targets in [0, 1)."""
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in itertools.pairwise(case.sizes):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(case.dtype)
        b = rng.uniform(-0.1, 0.1, size=fan_out).astype(case.dtype)
        weights.append((W, b))
    x = rng.uniform(0.0, 1.0, size=(case.batch, case.sizes[0])).astype(case.dtype)
    t = rng.uniform(0.0, 1.0, size=(case.batch, case.sizes[-1])).astype(case.dtype)
    return Problem(case, weights, x, t, input_gradient)


def layerkit_returns_input_gradient(backend: str = "numpy", device: str | None = None) -> bool:
    """Whether layerkit's step (``backward_step`` as fit calls it) returns, so computes, ∂L/∂x,
    on the arrays of ``backend`` (on ``device``)."""
    xp = namespace(backend)
    net = lk.Sequential(lk.Dense(2, 2, seed=0), lk.Sigmoid()).to(backend, device=device)
    x = from_numpy(np.ones((1, 2)), xp, device)
    net(x)
    grad = from_numpy(np.ones((1, 2)), xp, device)
    returned = net.backward_step(grad, lk.SGD(0.1), input_grad=False)  # as fit
    return returned is not None and tuple(returned.shape) == tuple(x.shape)


# --------------------------------------------------------------------------- implementations
class Trainer(Protocol):
    """One implementation of the training step; ``step`` returns the loss (None: no loss).

    ``rule`` is the update it takes, ``"sgd"`` or ``"adam"``: only trainers of one rule
    compute the same losses.
    """

    name: str
    rule: str

    def step(self) -> float | None: ...


def layerkit_adam() -> lk.Optimizer | None:
    """layerkit's Adam from the layerkit-optimizers plugin, or None when it is not there.

    By its registered name when the plugin is installed, else imported from the package
    (a checkout with ``plugins/layerkit-optimizers/src`` on ``PYTHONPATH``).
    """
    try:
        return lk.optimizer("adam", **ADAM_OPTIONS)
    except lk.errors.UnknownComponentError:
        pass
    try:
        from layerkit_optimizers import Adam
    except ImportError:
        return None
    return Adam(**ADAM_OPTIONS)


class LayerkitTrainer:
    """layerkit through its public API, as ``fit`` runs a step."""

    name = "layerkit"
    rule = "sgd"

    def __init__(self, problem: Problem) -> None:
        layers: list[lk.Layer] = []
        for W, b in problem.weights:
            layers += [lk.Dense(W.shape[0], W.shape[1], W=W, b=b), lk.Sigmoid()]
        self.net = lk.Sequential(*layers)
        self.loss = lk.L2Loss()
        self.optimizer = self.make_optimizer()
        self.x, self.t = problem.x, problem.t

    def make_optimizer(self) -> lk.Optimizer:
        return lk.SGD(lr=LEARNING_RATE)

    def step(self) -> float:
        with lk.trusted_inputs():  # as fit: the data was checked once, before training
            y = self.net(self.x)
            value = self.loss.forward(y, self.t)
        self.net.backward_step(self.loss.backward(), self.optimizer, input_grad=False)
        return value


class LayerkitAdamTrainer(LayerkitTrainer):
    """layerkit's step as ``fit`` runs it, with Adam from the layerkit-optimizers plugin."""

    name = "layerkit Adam"
    rule = "adam"

    def make_optimizer(self) -> lk.Optimizer:
        optimizer = layerkit_adam()
        assert optimizer is not None, "build_trainers builds this trainer only with Adam"
        return optimizer


class LayerkitSplitTrainer(LayerkitTrainer):
    """layerkit's four-call form: every gradient is kept from backward until the step."""

    name = "layerkit split"

    def step(self) -> float:
        y = self.net(self.x)
        value = self.loss.forward(y, self.t)
        self.net.backward(self.loss.backward())
        self.optimizer.step(self.net)
        return value


class HandNumpyTrainer:
    """The same formulas written by hand, the way a competent person writes them first."""

    name = "hand-NumPy"
    rule = "sgd"

    def __init__(self, problem: Problem) -> None:
        self.weights = [(W.copy(), b.copy()) for W, b in problem.weights]
        self.x, self.t = problem.x, problem.t
        self.input_gradient = problem.input_gradient

    def step(self) -> float:
        outputs = [self.x]  # h⁽⁰⁾ = x, then each layer's sigmoid output
        for W, b in self.weights:
            a = outputs[-1] @ W + b
            outputs.append(1.0 / (1.0 + np.exp(-a)))
        batch = len(self.x)
        difference = outputs[-1] - self.t
        loss = 0.5 * float(np.sum(difference**2)) / batch
        g = difference / batch  # ∂L/∂y
        for layer in reversed(range(len(self.weights))):
            W, b = self.weights[layer]
            y = outputs[layer + 1]
            delta = g * y * (1 - y)
            dW = outputs[layer].T @ delta
            db = delta.sum(axis=0)
            if layer > 0 or self.input_gradient:
                g = delta @ W.T
            self.update(W, dW)
            self.update(b, db)
        return loss

    def update(self, value: np.ndarray, grad: np.ndarray) -> None:
        """Move one parameter in place; ``grad`` is a new array, free to overwrite."""
        value -= LEARNING_RATE * grad


class HandAdamTrainer(HandNumpyTrainer):
    """The same step with Adam written by hand in NumPy, in place, as PyTorch states it.

    m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε),
    in 13 in-place passes over each parameter and no temporary array: the gradient, which
    the backward pass has just made, is the scratch space.
    """

    name = "hand-NumPy Adam"
    rule = "adam"

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.moments = {
            id(value): (np.zeros_like(value), np.zeros_like(value))
            for W, b in self.weights
            for value in (W, b)
        }
        self.steps = 0

    def step(self) -> float:
        self.start_step()
        return super().step()

    def start_step(self) -> None:
        """Count the step, and compute the bias corrections that all parameters share."""
        self.steps += 1
        beta1, beta2 = ADAM_OPTIONS["betas"]
        self.step_size = ADAM_OPTIONS["lr"] / (1 - beta1**self.steps)
        self.correction2_sqrt = math.sqrt(1 - beta2**self.steps)

    def update(self, value: np.ndarray, grad: np.ndarray) -> None:
        beta1, beta2 = ADAM_OPTIONS["betas"]
        m, v = self.moments[id(value)]
        m -= grad  # m ← m + (1 − β₁)(g − m), as g + β₁(m − g): no temporary
        m *= beta1
        m += grad
        grad *= grad  # g², into g, which is not needed any more
        grad *= 1 - beta2
        v *= beta2
        v += grad
        denominator = np.sqrt(v, out=grad)
        denominator /= self.correction2_sqrt
        denominator += ADAM_OPTIONS["eps"]
        step = np.divide(m, denominator, out=grad)
        step *= self.step_size
        value -= step


class AdamUpdate:
    """Adam's update alone, what ``torch.optim.Adam.step()`` is: every parameter moved once
    from a fixed gradient (copied into a work array first, which the update may overwrite,
    as the backward pass's fresh gradient is). No forward, no backward, no loss."""

    rule = "adam update"

    def __init__(self, values: list[np.ndarray]) -> None:
        rng = np.random.default_rng(1)
        self.values = values  # the parameters, in the implementation's own arrays
        self.gradients = [
            (1e-3 * rng.standard_normal(value.shape)).astype(value.dtype) for value in self.values
        ]
        self.work = [np.empty_like(value) for value in self.values]

    def step(self) -> None:
        self.start_step()
        for value, gradient, work in zip(self.values, self.gradients, self.work, strict=True):
            np.copyto(work, gradient)
            self.update(value, work)

    def start_step(self) -> None:
        """What the implementation does once per step, before its first parameter."""

    def update(self, value: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError


class LayerkitAdamUpdate(AdamUpdate):
    """layerkit's ``adam.update(value, grad, overwrite_grad=True)``, as ``backward_step``
    calls it for each parameter."""

    name = "layerkit Adam update"

    def __init__(self, problem: Problem) -> None:
        super().__init__([value.copy() for W, b in problem.weights for value in (W, b)])
        optimizer = layerkit_adam()
        assert optimizer is not None, "builders() builds this trainer only with Adam"
        self.optimizer = optimizer

    def update(self, value: np.ndarray, grad: np.ndarray) -> None:
        self.optimizer.update(value, grad, overwrite_grad=True)


class HandAdamUpdate(AdamUpdate):
    """`HandAdamTrainer`'s update, by hand in NumPy."""

    name = "hand-NumPy Adam update"

    def __init__(self, problem: Problem) -> None:
        self.hand = HandAdamTrainer(problem)  # whose moments are kept by its own arrays
        super().__init__([value for W, b in self.hand.weights for value in (W, b)])

    def start_step(self) -> None:
        self.hand.start_step()

    def update(self, value: np.ndarray, grad: np.ndarray) -> None:
        self.hand.update(value, grad)


class MatmulFloor:
    """Only the three matrix products per layer, into preallocated arrays (no update)."""

    name = "matmul-floor"
    rule = "none"

    def __init__(self, problem: Problem) -> None:
        rng = np.random.default_rng(1)
        dtype, batch = problem.case.dtype, problem.case.batch

        def filled(*shape: int) -> np.ndarray:
            return rng.uniform(0.0, 1.0, size=shape).astype(dtype)

        self.layers = []
        for index, (W, _) in enumerate(problem.weights):
            fan_in, fan_out = W.shape
            needs_dx = index > 0 or problem.input_gradient
            self.layers.append(
                (
                    filled(batch, fan_in),  # input x
                    W.copy(),
                    np.empty((batch, fan_out), dtype),  # output a = x W
                    filled(batch, fan_out),  # δ
                    np.empty_like(W),  # ∂L/∂W = xᵀ δ
                    np.empty((batch, fan_in), dtype) if needs_dx else None,  # ∂L/∂x = δ Wᵀ
                )
            )

    def step(self) -> None:
        for x, W, a, _, _, _ in self.layers:
            np.matmul(x, W, out=a)
        for x, W, _, delta, dW, dx in reversed(self.layers):
            np.matmul(x.T, delta, out=dW)
            if dx is not None:
                np.matmul(delta, W.T, out=dx)


class TorchTrainer:
    """PyTorch on the CPU (or on ``device``: see device.py): nn.Sequential, autograd, optim.SGD."""

    name = "PyTorch"
    rule = "sgd"

    def __init__(self, problem: Problem, device: str = "cpu") -> None:
        assert torch is not None
        dtype = {np.float32: torch.float32, np.float64: torch.float64}[problem.case.dtype]
        layers: list[torch.nn.Module] = []
        for W, b in problem.weights:
            linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype, device=device)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch keeps W as (out, in)
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear, torch.nn.Sigmoid()]
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = self.make_optimizer()
        self.x = torch.from_numpy(problem.x.copy()).to(device)
        self.x.requires_grad_(problem.input_gradient)
        self.t = torch.from_numpy(problem.t.copy()).to(device)
        self.batch = problem.case.batch

    def step(self) -> float:
        self.optimizer.zero_grad()
        self.x.grad = None
        y = self.model(self.x)
        loss = 0.5 * torch.nn.functional.mse_loss(y, self.t, reduction="sum") / self.batch
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def make_optimizer(self) -> Any:
        return torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)


class TorchAdamTrainer(TorchTrainer):
    """PyTorch's step with torch.optim.Adam (its default implementation on the CPU)."""

    name = "PyTorch Adam"
    rule = "adam"

    def make_optimizer(self) -> Any:
        return torch.optim.Adam(self.model.parameters(), **ADAM_OPTIONS)


def builders() -> list[Callable[[Problem], Trainer]]:
    """The implementations this run can time: PyTorch's and layerkit's Adam when installed."""
    found: list[Callable[[Problem], Trainer]] = [
        LayerkitTrainer,
        LayerkitSplitTrainer,
        HandNumpyTrainer,
        MatmulFloor,
    ]
    if layerkit_adam() is not None:
        found += [LayerkitAdamTrainer, LayerkitAdamUpdate]
    found += [HandAdamTrainer, HandAdamUpdate]
    if torch is not None:
        found += [TorchTrainer, TorchAdamTrainer]
    return found


# ------------------------------------------------------------------------------- measuring
def check_same_losses(
    trainers: Sequence[Trainer], dtype: type[np.floating[Any]], steps: int = 2
) -> dict[str, list[float]]:
    """Assert the first ``steps`` losses of every implementation match the first one of its
    rule's; return them by implementation.

    The first step checks the forward pass, the second the backward pass and the update.
    """
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    references: dict[str, tuple[str, list[float]]] = {}
    losses: dict[str, list[float]] = {}
    for trainer in trainers:
        values = [trainer.step() for _ in range(steps)]
        if values[0] is None:
            continue  # the matmul floor computes no loss
        losses[trainer.name] = values
        name, reference = references.setdefault(trainer.rule, (trainer.name, values))
        if not np.allclose(values, reference, rtol=rtol, atol=0.0):
            raise AssertionError(f"{trainer.name} losses {values} differ from {name}'s {reference}")
    return losses


def seconds_per_step(trainer: Trainer, budget: float) -> float:
    """A rough time per step, from steps run for about ``budget`` seconds."""
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < budget or steps < 2:
        trainer.step()
        steps += 1
    return elapsed / steps


def time_rounds(
    trainers: Sequence[Trainer],
    rounds: int,
    block_seconds: float,
    clock: str = "wall",
    synchronize: Callable[[], None] = lambda: None,
) -> dict[str, list[float]]:
    """Per implementation, the microseconds per step of each round's block, by ``clock``.

    ``synchronize`` waits for a device's queued work: it is called before a block starts the
    clock and before it stops it, so a block times work done, not work launched.
    """
    now = CLOCKS[clock]
    block = {
        t.name: max(1, round(block_seconds / seconds_per_step(t, 0.2 * block_seconds)))
        for t in trainers
    }
    samples: dict[str, list[float]] = {t.name: [] for t in trainers}
    gc.collect()
    gc.disable()
    try:
        for round_ in range(rounds):
            shift = round_ % len(trainers)
            for trainer in [*trainers[shift:], *trainers[:shift]]:
                step, steps = trainer.step, block[trainer.name]
                synchronize()
                start = now()
                for _ in range(steps):
                    step()
                synchronize()
                samples[trainer.name].append((now() - start) / steps / 1e3)
    finally:
        gc.enable()
    return samples


MEMORY_NAMES = ("layerkit", "layerkit split", "hand-NumPy", "layerkit Adam", "hand-NumPy Adam")


@dataclass(frozen=True)
class Memory:
    """Bytes traced by ``tracemalloc`` for one implementation."""

    peak: int  # the peak over building the network and training it
    training: int  # the peak of the training steps above what the built network holds


def measure_memory(build: Callable[[], Trainer], steps: int) -> Memory:
    """Build an implementation and train it for ``steps``, tracing the memory."""
    gc.collect()
    tracemalloc.start()
    try:
        trainer = build()
        built, build_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(steps):
            trainer.step()
        steps_peak = tracemalloc.get_traced_memory()[1]
        return Memory(peak=max(build_peak, steps_peak), training=steps_peak - built)
    finally:
        tracemalloc.stop()


@dataclass
class Result:
    """The measurements of one case."""

    case: Case
    microseconds: dict[str, float]  # median per implementation
    spreads: dict[str, float]  # per implementation, interquartile range over median
    memory: dict[str, Memory]  # for the implementations in MEMORY_NAMES that ran


def timing_groups(trainers: Sequence[Trainer], threads: int) -> list[list[Trainer]]:
    """The implementations to interleave: all together, or with several threads PyTorch apart.

    After a call, OpenBLAS's worker threads and PyTorch's OpenMP ones keep spinning for a
    while; with more than one thread each, they take the cores from each other, and
    interleaving the two libraries would time their contention instead of their speed.
    """
    if threads == 1:
        return [list(trainers)]
    pytorch = [trainer for trainer in trainers if trainer.name.startswith("PyTorch")]
    return [[trainer for trainer in trainers if trainer not in pytorch], pytorch]


def measure(
    case: Case, rounds: int, block_seconds: float, input_gradient: bool, args: argparse.Namespace
) -> Result:
    problem = make_problem(case, input_gradient)
    found = builders()
    trainers = [build(problem) for build in found]
    check_same_losses(trainers, case.dtype)
    samples: dict[str, list[float]] = {}
    for group in timing_groups(trainers, args.threads):
        time.sleep(SETTLE_SECONDS)  # let the other library's worker threads fall asleep
        samples |= time_rounds(group, rounds, block_seconds, args.clock)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    spreads = {name: relative_spread(values) for name, values in samples.items()}
    memory = {
        build.name: measure_memory(lambda build=build: build(problem), MEMORY_STEPS)
        for build in found
        if build.name in MEMORY_NAMES
    }
    return Result(case, medians, spreads, memory)


def profile_layerkit(
    case: Case, input_gradient: bool, build: type[LayerkitTrainer], seconds: float = 1.0
) -> str:
    """cProfile of layerkit steps: the functions with the most time of their own."""
    trainer = build(make_problem(case, input_gradient))
    steps = max(1, round(seconds / seconds_per_step(trainer, 0.2)))
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [trainer.step() for _ in range(steps)])
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(14)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return f"{case.name}, {trainer.name}: {steps} steps\n" + "\n".join(lines[start:])


# -------------------------------------------------------------------------------- reporting
NAMES = ("layerkit", "hand-NumPy", "matmul-floor", "PyTorch")
HEADERS = (
    "case",
    "network",
    "batch",
    "dtype",
    *(f"{name} µs" for name in NAMES),
    "lk/hand",
    "lk/floor",
    "lk/torch",
    "peak lk",
    "peak hand",
    "mem lk/hand",
    "steps lk/hand",
    "spread",
)


def table_row(result: Result) -> list[str]:
    case, times = result.case, result.microseconds
    layerkit_memory, hand_memory = result.memory["layerkit"], result.memory["hand-NumPy"]
    return [
        case.name,
        case.network,
        str(case.batch),
        np.dtype(case.dtype).name,
        *(_time_of(result, name) for name in NAMES),
        ratio(times["layerkit"], times.get("hand-NumPy")),
        ratio(times["layerkit"], times.get("matmul-floor")),
        ratio(times["layerkit"], times.get("PyTorch")),
        format_bytes(layerkit_memory.peak),
        format_bytes(hand_memory.peak),
        ratio(layerkit_memory.peak, hand_memory.peak),
        ratio(layerkit_memory.training, hand_memory.training),
        _spread(result, NAMES),
    ]


SPLIT_HEADERS = (
    "case",
    "layerkit µs",
    "split µs",
    "split/layerkit",
    "peak split",
    "mem split/hand",
)


def split_row(result: Result) -> list[str]:
    """The four-call form (backward, then SGD.step) next to fit's backward_step."""
    times, memory = result.microseconds, result.memory
    return [
        result.case.name,
        microseconds(times["layerkit"]),
        microseconds(times["layerkit split"]),
        ratio(times["layerkit split"], times["layerkit"]),
        format_bytes(memory["layerkit split"].peak),
        ratio(memory["layerkit split"].peak, memory["hand-NumPy"].peak),
    ]


ADAM_NAMES = ("layerkit Adam", "hand-NumPy Adam", "PyTorch Adam")
ADAM_HEADERS = (
    "case",
    "layerkit µs",
    "hand-NumPy µs",
    "PyTorch µs",
    "lk/hand",
    "lk/torch",
    "update lk µs",
    "update hand µs",
    "update lk/hand",
    "SGD lk µs",
    "peak lk",
    "peak hand",
    "mem lk/hand",
    "spread",
)


def adam_row(result: Result) -> list[str]:
    """The step with Adam: layerkit's plugin, by hand in NumPy, torch.optim.Adam."""
    times, memory = result.microseconds, result.memory
    layerkit, hand = times.get("layerkit Adam"), times["hand-NumPy Adam"]
    layerkit_memory, hand_memory = memory.get("layerkit Adam"), memory["hand-NumPy Adam"]
    return [
        result.case.name,
        *(_time_of(result, name) for name in ADAM_NAMES),
        ratio(layerkit, hand),
        ratio(layerkit, times.get("PyTorch Adam")),
        _time_of(result, "layerkit Adam update"),
        _time_of(result, "hand-NumPy Adam update"),
        ratio(times.get("layerkit Adam update"), times["hand-NumPy Adam update"]),
        microseconds(times["layerkit"]),
        format_bytes(layerkit_memory.peak) if layerkit_memory else "not installed",
        format_bytes(hand_memory.peak),
        ratio(layerkit_memory.peak if layerkit_memory else None, hand_memory.peak),
        _spread(result, ADAM_NAMES),
    ]


def _time_of(result: Result, name: str) -> str:
    times = result.microseconds
    return microseconds(times[name]) if name in times else "not installed"


def _spread(result: Result, names: Sequence[str]) -> str:
    """± half the widest interquartile range of the rounds over the median, among ``names``."""
    widest = max(result.spreads[name] for name in names if name in result.spreads)
    return f"±{50 * widest:.0f}%"


def notes(input_gradient: bool, rounds: int, args: argparse.Namespace) -> list[str]:
    computed = "computes" if input_gradient else "skips"
    interleaved = (
        "interleaved rounds"
        if args.threads == 1
        else "interleaved rounds (PyTorch in rounds of its own, see timing_groups)"
    )
    clock = "elapsed time" if args.clock == "wall" else "CPU time"
    return [
        f"µs: median over {rounds} {interleaved} of the {clock} of one step (forward, L2 loss, "
        f"backward, SGD lr {LEARNING_RATE}); ratios above 1× mean layerkit is slower. layerkit "
        "runs the step as fit does: forward and the loss inside lk.trusted_inputs(), then "
        "net.backward_step(loss.backward(), sgd, input_grad=False).",
        f"Every implementation {computed} the first layer's input gradient ∂L/∂x, because "
        f"layerkit's step, as fit runs it, {'computes' if input_gradient else 'does not need'} it.",
        "matmul-floor: only x@W, xᵀδ and δWᵀ per layer into preallocated arrays (the BLAS limit).",
        f"peak: tracemalloc peak over building the network and {MEMORY_STEPS} steps (PyTorch's "
        "allocations are not traced). steps: the peak of those steps above the memory of the "
        "built network (parameters and Python objects), what training adds to it: gradients, "
        "cached activations, temporaries.",
        "spread: the widest interquartile range of the rounds, as ± half of it over the median, "
        "over the implementations.",
    ]


def report(
    results: list[Result], args: argparse.Namespace, rounds: int, input_gradient: bool
) -> str:
    bullet = "- " if args.markdown else "  "
    parts = [
        "layerkit training-step benchmark",
        *(bullet + line for line in machine_description(args.threads, torch)),
        "",
        format_table([table_row(result) for result in results], args.markdown, HEADERS, (0, 1, 3)),
        "",
        *(bullet + line for line in notes(input_gradient, rounds, args)),
        "",
        "The four-call form, net.backward(loss.backward()) then sgd.step(net), timed in the "
        "same rounds: it keeps every layer's gradient until the step, and computes the first "
        "layer's ∂L/∂x, which backward returns.",
        "",
        format_table([split_row(result) for result in results], args.markdown, SPLIT_HEADERS),
        "",
        "The same step with Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8), timed in the same "
        "rounds: layerkit's Adam from the layerkit-optimizers plugin through backward_step as "
        "fit runs it; Adam by hand in NumPy, in place with the gradient as scratch; "
        "torch.optim.Adam. update: Adam's update alone, what torch's optimizer.step() is "
        "(every parameter moved once from a given gradient; layerkit's adam.update against the "
        "hand-written one). SGD lk: layerkit's step with SGD, from the first table.",
        "",
        format_table([adam_row(result) for result in results], args.markdown, ADAM_HEADERS),
    ]
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    names = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASES]
    if unknown:
        sys.exit(f"unknown case {', '.join(unknown)}; available: {', '.join(CASES)}")
    if args.threads < 1 or (args.rounds is not None and args.rounds < 1):
        sys.exit("--threads and --rounds must be at least 1")
    if torch is not None:
        torch.set_num_threads(args.threads)
    rounds = args.rounds if args.rounds is not None else QUICK_ROUNDS if args.quick else FULL_ROUNDS
    block_seconds = QUICK_BLOCK_SECONDS if args.quick else BLOCK_SECONDS
    input_gradient = layerkit_returns_input_gradient()

    results = []
    for name in names:
        print(f"measuring {name} …", file=sys.stderr, flush=True)
        results.append(measure(CASES[name], rounds, block_seconds, input_gradient, args))
    text = report(results, args, rounds, input_gradient)
    if args.profile:
        text += (
            "\nWhere layerkit spends a step (cProfile, sorted by own time; NumPy operators "
            "such as @ and * count towards the function whose line runs them)\n\n"
        )
        profiled = [LayerkitTrainer] + [LayerkitAdamTrainer] * (layerkit_adam() is not None)
        text += "\n\n".join(
            profile_layerkit(CASES[name], input_gradient, build)
            for name in names
            for build in profiled
        )
        text += "\n"
    print(text, end="")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
