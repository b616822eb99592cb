"""Time one epoch of `fit` on an MNIST-sized data set: layerkit, a hand-written NumPy loop and
PyTorch, side by side in one process, and the memory training needs above the data.

Run it with ``make bench`` (or ``.venv/bin/python benchmarks/epoch.py --help``). It is a
benchmark, not a test: pytest never collects it.

What one epoch is
    60,000 samples of 784 float32 features, uniform in [0, 1), with labels 0–9 given by a
    fixed random linear "teacher" (synthetic and seeded: nothing is downloaded). A 784-128-10
    network: Dense, Sigmoid, Dense, whose 10 outputs are logits. The loss is the softmax
    cross-entropy from the logits, averaged over the batch,
    L = −(1/B) Σ log softmax(z)[label] with log softmax(z) = z − max z − log Σ e^(z − max z).
    SGD with lr 0.1, batches of 64 (937 of them, and one of 32 at the end). Each epoch visits
    the samples in a new random order (a permutation) and gathers each batch as ``x[idx]``.

The implementations
    layerkit    ``lk.fit(net, x, labels, loss=CrossEntropy(from_logits=True), optimizer=SGD(0.1),
                epochs=1, batch_size=64, seed=…)``: everything `fit` does, its checks of the
                data, targets and model before the first step included.
    hand-NumPy  the same formulas in a plain loop, written with care: ``rng.permutation``,
                ``x[idx]``, the sigmoid and the log-softmax in place, and each layer updated
                in place as soon as its δ is known, with η applied to δ (η xᵀδ = xᵀ(ηδ)).
    PyTorch     the idiomatic fast loop: ``torch.randperm``, index tensors, ``nn.Sequential``
                of ``Linear``, ``Sigmoid``, ``Linear``, ``F.cross_entropy``, ``optim.SGD``;
                only when ``torch`` is importable.
    All three start from the same weights. Before timing, the script trains each for one
    epoch in the same sample order (PyTorch is handed NumPy's permutation for that) and
    checks that their epoch losses agree to rounding.

How it is timed
    Each round builds every implementation afresh from the initial weights (not timed) and
    times one epoch of each, in an order rotated from round to round; the table quotes the
    median over rounds. The garbage collector is off during an epoch, as in ``timeit``.
    Threads: 1 by default (``--threads``), set before NumPy and PyTorch load, as in
    ``train_step.py``.

Memory
    The peak traced by ``tracemalloc`` while building the network and training it for one
    epoch; the data exists before tracing starts, so it is what training needs above the data
    itself (parameters, the permutation, batches, activations, temporaries, and whatever
    `fit` keeps). NumPy reports its allocations to tracemalloc, PyTorch does not, so PyTorch
    has no memory column. A second ratio, "training", leaves out the built network (its
    parameters and Python objects).
"""

from __future__ import annotations

import argparse
import sys

from bench_support import add_run_options, pin_threads  # it imports no NumPy

QUICK_ROUNDS, FULL_ROUNDS = 3, 11
QUICK_SAMPLES, FULL_SAMPLES = 2048, 60_000


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(
        description="Time one epoch of fit (784-128-10, batch 64, SGD) against a hand-written "
        "NumPy loop and PyTorch, and compare the memory of training.",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help=f"samples in the data set (default {FULL_SAMPLES:,}, or {QUICK_SAMPLES:,} with "
        "--quick)",
    )
    add_run_options(
        parser,
        rounds=f"timed rounds (default {FULL_ROUNDS}, or {QUICK_ROUNDS} with --quick)",
        quick="a smaller data set and fewer rounds: a smoke run",
        profile="after the table, show where fit spends an epoch (cProfile)",
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
    ratio,
    relative_spread,
)

import layerkit as lk  # noqa: E402

torch = import_torch()

SIZES = (784, 128, 10)
BATCH = 64
LEARNING_RATE = 0.1
SEED = 0  # of the data, the weights and the sample order


# ---------------------------------------------------------------------------------- the data
@dataclass
class Problem:
    """The data set and the initial weights, shared by every implementation."""

    x: np.ndarray  # (samples, 784)
    labels: np.ndarray  # (samples,) int64, 0 … 9
    weights: list[tuple[np.ndarray, np.ndarray]]  # (W, b) per Dense layer, W of shape (in, out)
    batch: int = BATCH
    seed: int = SEED

    @property
    def samples(self) -> int:
        return len(self.x)


def make_problem(
    samples: int, dtype: type[np.floating[Any]] = np.float32, seed: int = SEED
) -> Problem:
    """Uniform inputs, labels from a random linear teacher, Glorot-uniform weights."""
    rng = np.random.default_rng(seed)
    x = rng.random((samples, SIZES[0]), dtype=np.float32).astype(dtype, copy=False)
    teacher = rng.standard_normal((SIZES[0], SIZES[-1])).astype(dtype)
    labels = np.argmax((x - 0.5) @ teacher, axis=1).astype(np.int64)
    weights = []
    for fan_in, fan_out in itertools.pairwise(SIZES):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)
        b = rng.uniform(-0.1, 0.1, size=fan_out).astype(dtype)
        weights.append((W, b))
    return Problem(x, labels, weights, seed=seed)


# --------------------------------------------------------------------------- implementations
class Epoch(Protocol):
    """One implementation: built from the initial weights, ``epoch()`` trains one epoch."""

    name: str

    def epoch(self) -> float: ...  # the mean loss of the epoch's batches, weighted by size


class LayerkitEpoch:
    """``layerkit.fit`` for one epoch."""

    name = "layerkit"

    def __init__(self, problem: Problem) -> None:
        (W1, b1), (W2, b2) = problem.weights
        self.net = lk.Sequential(
            lk.Dense(*W1.shape, W=W1, b=b1), lk.Sigmoid(), lk.Dense(*W2.shape, W=W2, b=b2)
        )
        self.loss = lk.loss("cross_entropy", from_logits=True)
        self.optimizer = lk.SGD(lr=LEARNING_RATE)
        self.problem = problem

    def epoch(self) -> float:
        problem = self.problem
        history = lk.fit(
            self.net,
            problem.x,
            problem.labels,
            loss=self.loss,
            optimizer=self.optimizer,
            epochs=1,
            batch_size=problem.batch,
            seed=problem.seed,
        )
        return history[-1]

    def parameters(self) -> list[np.ndarray]:
        return [parameter.value for parameter in self.net.parameters()]


class HandEpoch:
    """The same epoch written by hand in NumPy, with in-place updates."""

    name = "hand-NumPy"

    def __init__(self, problem: Problem) -> None:
        self.weights = [(W.copy(), b.copy()) for W, b in problem.weights]
        self.problem = problem

    def epoch(self) -> float:
        x, labels, batch = self.problem.x, self.problem.labels, self.problem.batch
        (W1, b1), (W2, b2) = self.weights
        lr = LEARNING_RATE
        order = np.random.default_rng(self.problem.seed).permutation(len(x))
        total = 0.0
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            xb, tb = x[idx], labels[idx]
            rows = np.arange(len(idx))
            h = xb @ W1  # forward: h = σ(x W1 + b1), in place
            h += b1
            np.negative(h, out=h)
            np.exp(h, out=h)
            h += 1.0
            np.divide(1.0, h, out=h)
            z = h @ W2  # logits
            z += b2
            z -= z.max(axis=1, keepdims=True)  # log softmax(z) = z − max z − log Σ e^(z − max z)
            p = np.exp(z)
            sums = p.sum(axis=1, keepdims=True)
            total += float(np.log(sums).sum() - z[rows, tb].sum())  # Σ −log softmax(z)[label]
            p /= sums  # softmax(z)
            p[rows, tb] -= 1.0  # ∂L/∂z = (softmax(z) − onehot) / B
            p /= len(idx)
            dh = p @ W2.T  # ∂L/∂h, with the weights of the forward pass
            p *= lr  # then W2 ← W2 − hᵀ(η ∂L/∂z), b2 ← b2 − Σ η ∂L/∂z
            W2 -= h.T @ p
            b2 -= p.sum(axis=0)
            dh *= h  # δ1 = ∂L/∂h ⊙ h(1 − h)
            np.subtract(1.0, h, out=h)
            dh *= h
            dh *= lr
            W1 -= xb.T @ dh
            b1 -= dh.sum(axis=0)
        return total / len(x)

    def parameters(self) -> list[np.ndarray]:
        return [value for W, b in self.weights for value in (W, b)]


class TorchEpoch:
    """PyTorch's idiomatic loop: randperm, index tensors, nn.Sequential, optim.SGD."""

    name = "PyTorch"

    def __init__(self, problem: Problem, numpy_order: bool = False) -> None:
        assert torch is not None
        layers: list[Any] = []
        for W, b in problem.weights:
            linear = torch.nn.Linear(*W.shape, dtype=torch.from_numpy(W).dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch keeps W as (out, in)
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear, torch.nn.Sigmoid()]
        self.model = torch.nn.Sequential(*layers[:-1])  # logits out
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)
        self.x, self.labels = torch.from_numpy(problem.x), torch.from_numpy(problem.labels)
        self.generator = torch.Generator().manual_seed(problem.seed)
        self.problem = problem
        self.numpy_order = numpy_order  # NumPy's permutation, for the check against layerkit

    def epoch(self) -> float:
        samples, batch = len(self.x), self.problem.batch
        if self.numpy_order:
            order = torch.from_numpy(np.random.default_rng(self.problem.seed).permutation(samples))
        else:
            order = torch.randperm(samples, generator=self.generator)
        total = 0.0
        for start in range(0, samples, batch):
            idx = order[start : start + batch]
            loss = torch.nn.functional.cross_entropy(self.model(self.x[idx]), self.labels[idx])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(idx)
        return total / samples

    def parameters(self) -> list[np.ndarray]:
        values = []
        for linear in self.model[::2]:
            values += [linear.weight.detach().numpy().T, linear.bias.detach().numpy()]
        return values


def builders() -> list[Callable[[Problem], Epoch]]:
    """The implementations this run can time (PyTorch when it is installed)."""
    found: list[Callable[[Problem], Epoch]] = [LayerkitEpoch, HandEpoch]
    if torch is not None:
        found.append(TorchEpoch)
    return found


# ------------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class Agreement:
    """How far an implementation ended from layerkit after one epoch in the same order."""

    loss: float  # its epoch loss
    loss_difference: float  # |loss − layerkit's| / layerkit's
    weight_difference: float  # the largest |w − layerkit's w| over every parameter


def compare_with_layerkit(problem: Problem) -> dict[str, Agreement]:
    """Train every implementation one epoch from the same weights in the same sample order."""
    runs: list[Any] = [LayerkitEpoch(problem), HandEpoch(problem)]
    if torch is not None:
        runs.append(TorchEpoch(problem, numpy_order=True))
    losses = {run.name: run.epoch() for run in runs}
    reference, reference_values = losses["layerkit"], runs[0].parameters()
    return {
        run.name: Agreement(
            loss=losses[run.name],
            loss_difference=abs(losses[run.name] - reference) / abs(reference),
            weight_difference=max(
                float(np.max(np.abs(value - expected)))
                for value, expected in zip(run.parameters(), reference_values, strict=True)
            ),
        )
        for run in runs
    }


def check_agreement(agreements: dict[str, Agreement], dtype: type[np.floating[Any]]) -> None:
    """Raise AssertionError unless every epoch loss equals layerkit's to rounding."""
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for name, agreement in agreements.items():
        if not agreement.loss_difference <= rtol:
            raise AssertionError(
                f"{name}'s epoch loss {agreement.loss!r} differs from layerkit's "
                f"{agreements['layerkit'].loss!r} by {agreement.loss_difference:.2g} (relative)"
            )


def time_rounds(
    problem: Problem, found: Sequence[Callable[[Problem], Epoch]], rounds: int, clock: str = "wall"
) -> dict[str, list[float]]:
    """Per implementation, the seconds of one epoch in each round, by ``clock``."""
    now = CLOCKS[clock]
    samples: dict[str, list[float]] = {build.name: [] for build in found}  # type: ignore[attr-defined]
    for round_ in range(rounds):
        shift = round_ % len(found)
        for build in [*found[shift:], *found[:shift]]:
            run = build(problem)
            gc.collect()
            gc.disable()
            try:
                start = now()
                run.epoch()
                samples[run.name].append((now() - start) / 1e9)
            finally:
                gc.enable()
    return samples


@dataclass(frozen=True)
class Memory:
    """Bytes traced by ``tracemalloc`` above the data, for one implementation."""

    peak: int  # the peak over building the network and training it for an epoch
    training: int  # the peak of the epoch above what the built network holds


def measure_memory(build: Callable[[Problem], Epoch], problem: Problem) -> Memory:
    """Build an implementation and train it for one epoch, tracing the memory."""
    gc.collect()
    tracemalloc.start()
    try:
        run = build(problem)
        built, build_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run.epoch()
        epoch_peak = tracemalloc.get_traced_memory()[1]
        return Memory(peak=max(build_peak, epoch_peak), training=epoch_peak - built)
    finally:
        tracemalloc.stop()


@dataclass
class Result:
    """The measurements of a run."""

    seconds: dict[str, float]  # median per implementation
    best: dict[str, float]  # the fastest round per implementation
    spreads: dict[str, float]  # per implementation, interquartile range over median
    memory: dict[str, Memory]  # layerkit's and the hand loop's
    agreements: dict[str, Agreement]


def measure(problem: Problem, rounds: int, clock: str = "wall") -> Result:
    agreements = compare_with_layerkit(problem)  # also warms every implementation up
    check_agreement(agreements, problem.x.dtype.type)
    found = builders()
    samples = time_rounds(problem, found, rounds, clock)
    memory = {build.name: measure_memory(build, problem) for build in (LayerkitEpoch, HandEpoch)}
    return Result(
        seconds={name: statistics.median(values) for name, values in samples.items()},
        best={name: min(values) for name, values in samples.items()},
        spreads={name: relative_spread(values) for name, values in samples.items()},
        memory=memory,
        agreements=agreements,
    )


def profile_fit(problem: Problem) -> str:
    """cProfile of one epoch of fit: the functions with the most time of their own."""
    run = LayerkitEpoch(problem)
    profiler = cProfile.Profile()
    profiler.runcall(run.epoch)
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(20)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(lines[start:])


# -------------------------------------------------------------------------------- reporting
HEADERS = (
    "samples",
    "layerkit ms",
    "hand-NumPy ms",
    "PyTorch ms",
    "lk/hand",
    "lk/torch",
    "best lk/hand",
    "peak lk",
    "peak hand",
    "mem lk/hand",
    "training lk/hand",
    "spread",
)


def table_row(result: Result, samples: int) -> list[str]:
    seconds, memory = result.seconds, result.memory
    layerkit, hand = memory["layerkit"], memory["hand-NumPy"]
    return [
        f"{samples:,}",
        *(
            f"{1e3 * seconds[name]:,.1f}" if name in seconds else "not installed"
            for name in ("layerkit", "hand-NumPy", "PyTorch")
        ),
        ratio(seconds["layerkit"], seconds["hand-NumPy"]),
        ratio(seconds["layerkit"], seconds.get("PyTorch")),
        ratio(result.best["layerkit"], result.best["hand-NumPy"]),
        format_bytes(layerkit.peak),
        format_bytes(hand.peak),
        ratio(layerkit.peak, hand.peak),
        ratio(layerkit.training, hand.training),
        f"±{50 * max(result.spreads.values()):.0f}%",
    ]


def notes(result: Result, rounds: int, clock: str) -> list[str]:
    agreement = ", ".join(
        f"{name} {value.loss:.6f} (weights within {value.weight_difference:.1e})"
        for name, value in result.agreements.items()
    )
    return [
        f"ms: median over {rounds} interleaved rounds of the "
        f"{'elapsed time' if clock == 'wall' else 'CPU time'} of one epoch: "
        f"{'-'.join(map(str, SIZES))} (sigmoid hidden units, logits out), softmax "
        f"cross-entropy from the logits, SGD lr "
        f"{LEARNING_RATE}, batch {BATCH}, a new permutation per epoch and x[idx] gathering "
        "included; ratios above 1× mean layerkit is slower.",
        "best lk/hand: the ratio of each one's fastest round. Other programs on the machine "
        "only ever add time to a round, so the fastest rounds come closest to the cost of the "
        "work itself (timeit's advice); on a quiet machine it equals the ratio of the medians.",
        f"loss after one epoch in the same sample order: {agreement}.",
        "peak: tracemalloc peak over building the network and one epoch of training, above the "
        "data (created before tracing); PyTorch's allocations are not traced. training: the "
        "peak of the epoch above the built network (parameters and Python objects).",
        "spread: the widest interquartile range of the rounds, as ± half of it over the median, "
        "over the implementations.",
    ]


def report(result: Result, args: argparse.Namespace, samples: int, rounds: int) -> str:
    bullet = "- " if args.markdown else "  "
    parts = [
        "layerkit epoch benchmark",
        *(bullet + line for line in machine_description(args.threads, torch)),
        "",
        format_table([table_row(result, samples)], args.markdown, HEADERS, left=()),
        "",
        *(bullet + line for line in notes(result, rounds, args.clock)),
    ]
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    samples = (
        args.samples if args.samples is not None else QUICK_SAMPLES if args.quick else FULL_SAMPLES
    )
    rounds = args.rounds if args.rounds is not None else QUICK_ROUNDS if args.quick else FULL_ROUNDS
    if min(args.threads, rounds, samples) < 1:
        sys.exit("--threads, --rounds and --samples must be at least 1")
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"measuring one epoch of {samples:,} samples …", file=sys.stderr, flush=True)
    problem = make_problem(samples)
    result = measure(problem, rounds, args.clock)
    text = report(result, args, samples, rounds)
    if args.profile:
        text += (
            "\nWhere fit spends an epoch (cProfile, sorted by own time; NumPy operators such "
            "as @ and * count towards the function whose line runs them)\n\n"
        )
        text += profile_fit(problem) + "\n"
    print(text, end="")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
