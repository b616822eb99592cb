"""Time one training step on a GPU: layerkit on the device's arrays (PyTorch's or CuPy's)
against PyTorch on the same device, per case of ``train_step.py``.

Run it with ``make bench-device`` (or ``.venv/bin/python benchmarks/device.py --help``). It
needs nothing but the device: on a machine without one (no CUDA device, or torch or cupy not
installed) it prints one line saying what is missing and exits 0. It is a benchmark, not a
test: pytest never collects it.

What one step is
    As in ``train_step.py``: forward, L2 loss ½ Σ (y − t)² averaged over the batch, backward,
    SGD update with lr 0.1, on a fixed batch, for its cases (seed, mnist, mlp, deep, wide).

The implementations
    layerkit    the network built from NumPy weights, then moved with
                ``net.to(backend, device=...)``; the step as `fit` runs it:
                ``y = net(x); v = loss.forward(y, t); net.backward_step(loss.backward(), opt,
                input_grad=False)`` (``train_step.LayerkitTrainer``, with its data on the device).
    PyTorch     ``nn.Sequential`` of ``Linear`` + ``Sigmoid`` on the device, autograd,
                ``optim.SGD`` (``train_step.TorchTrainer``).
    Both start from the same weights, and their losses of the first few steps are checked to
    agree before anything is timed.

How it is timed
    As in ``train_step.py`` (interleaved rounds of blocks of steps, the median over rounds),
    with the device synchronised (``torch.cuda.synchronize``, and CuPy's stream) before each
    block starts the clock and before it stops it. Both implementations read the loss back to
    the host every step (layerkit's ``L2Loss.forward`` returns a Python float, PyTorch's step
    calls ``loss.item()``), so each step waits for the device once, in both.

``--device cpu``
    layerkit on PyTorch CPU tensors against PyTorch on the CPU. It exists to run this script's
    code path on machines without a GPU (its tests do); it says nothing about a GPU, and
    ``make bench`` is the CPU benchmark.
"""

from __future__ import annotations

import argparse
import re
import sys

from bench_support import add_run_options, pin_threads  # it imports no NumPy

BACKENDS = ("torch", "cupy")
DEVICE = re.compile(r"cpu|cuda(:\d+)?")
CHECK_STEPS = 3  # steps whose losses must agree before timing


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(
        description="Time one training step of sigmoid MLPs on a GPU: layerkit on the device's "
        "arrays against PyTorch on the same device. Without a device it says so and exits 0.",
    )
    parser.add_argument(
        "--device",
        default=None,
        help='"cuda", "cuda:N" or "cpu" (default: "cuda" when PyTorch sees a CUDA device; '
        "cpu runs the code path on PyTorch CPU tensors, for testing, not a GPU measurement)",
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="torch",
        help="the array library layerkit computes with on the device (default torch)",
    )
    parser.add_argument(
        "--cases",
        default="seed,mnist,mlp,deep,wide",
        help="comma-separated cases of train_step.py to run (default: all of "
        "seed,mnist,mlp,deep,wide)",
    )
    add_run_options(
        parser,
        rounds="timed rounds per case (default: as train_step.py, fewer with --quick)",
        quick="fewer rounds and shorter blocks: a smoke run",
        profile=None,
        clock=False,  # the process's CPU time is not the device's
    )
    return parser


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The options, or exit 2 with the usage for any that cannot work on any machine."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.device is not None and not DEVICE.fullmatch(args.device):
        parser.error(f'--device: expected "cuda", "cuda:N" or "cpu", received {args.device!r}')
    if args.device == "cpu" and args.backend == "cupy":
        parser.error("--backend cupy computes on a CUDA device only; --device cpu needs torch")
    if args.threads < 1 or (args.rounds is not None and args.rounds < 1):
        parser.error("--threads and --rounds must be at least 1")
    return args


if __name__ == "__main__":  # imported by the tests, it leaves the environment alone
    parse_arguments(sys.argv[1:])  # a usage error before the slow imports below
    pin_threads(sys.argv[1:])  # must run before the imports below load a BLAS library

import statistics  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import numpy as np  # noqa: E402
import train_step  # noqa: E402
from bench_support import (  # noqa: E402
    format_table,
    machine_description,
    ratio,
    relative_spread,
)
from train_step import (  # noqa: E402
    CASES,
    FULL_ROUNDS,
    LEARNING_RATE,
    QUICK_ROUNDS,
    Case,
    LayerkitTrainer,
    Problem,
    Result,
    TorchTrainer,
)

from layerkit.namespaces import from_numpy, namespace  # noqa: E402

torch = train_step.torch


# ---------------------------------------------------------------------------- the device
class Device:
    """Where both implementations run, and how to wait for it."""

    def __init__(self, name: str, backend: str, cupy: ModuleType | None = None) -> None:
        assert torch is not None
        self.name, self.backend, self.cupy = name, backend, cupy
        self.is_cuda = torch.device(name).type == "cuda"

    def synchronize(self) -> None:
        """Wait until the work queued on the device is done."""
        if self.is_cuda:
            torch.cuda.synchronize(self.name)
        if self.cupy is not None:
            self.cupy.cuda.get_current_stream().synchronize()

    @property
    def layerkit_device(self) -> str | None:
        """What ``net.to`` and ``from_numpy`` are given: CuPy computes on its current device."""
        return None if self.backend == "cupy" else self.name

    def describe(self) -> str:
        if not self.is_cuda:
            return (
                f"device: cpu, layerkit on {self.backend} CPU tensors against PyTorch on the CPU "
                "(a run of the code path, not a GPU measurement)"
            )
        model = torch.cuda.get_device_name(self.name)
        return f"device: {self.name}, {model}; layerkit on {self.backend}"


def find_device(args: argparse.Namespace) -> Device | str:
    """The device to measure on, or one line saying what is missing."""
    if torch is None:
        return (
            "PyTorch is not installed: torch is what layerkit is compared with; nothing to measure"
        )
    name = args.device
    if name is None:
        if not torch.cuda.is_available():
            return f"no CUDA device: torch {torch.__version__} sees none; nothing to measure"
        name = "cuda"
    if name == "cpu":
        return Device(name, args.backend)
    if not torch.cuda.is_available():
        return f"no CUDA device: torch {torch.__version__} sees none; nothing to measure"
    cupy = None
    if args.backend == "cupy":
        try:
            import cupy
        except ImportError:
            return "CuPy is not installed (pip install cupy-cuda12x); nothing to measure"
        if cupy.cuda.runtime.getDeviceCount() == 0:
            return f"no CUDA device: CuPy {cupy.__version__} sees none; nothing to measure"
        cupy.cuda.Device(torch.device(name).index or 0).use()
    return Device(name, args.backend, cupy)


# --------------------------------------------------------------------------- implementations
class DeviceLayerkitTrainer(LayerkitTrainer):
    """train_step's layerkit step, with the network and the batch moved to the device."""

    def __init__(self, problem: Problem, device: Device) -> None:
        super().__init__(problem)
        where, xp = device.layerkit_device, namespace(device.backend)
        self.net.to(device.backend, device=where)
        self.x, self.t = from_numpy(problem.x, xp, where), from_numpy(problem.t, xp, where)


def measure(
    case: Case, device: Device, rounds: int, block_seconds: float, input_gradient: bool
) -> tuple[Result, dict[str, list[float]]]:
    """Time one case; also return the losses of the steps checked before timing."""
    problem = train_step.make_problem(case, input_gradient)
    trainers = [DeviceLayerkitTrainer(problem, device), TorchTrainer(problem, device.name)]
    losses = train_step.check_same_losses(trainers, case.dtype, steps=CHECK_STEPS)
    samples = train_step.time_rounds(
        trainers, rounds, block_seconds, synchronize=device.synchronize
    )
    medians = {name: statistics.median(values) for name, values in samples.items()}
    spreads = {name: relative_spread(values) for name, values in samples.items()}
    return Result(case, medians, spreads, memory={}), losses


# -------------------------------------------------------------------------------- reporting
NAMES = ("layerkit", "PyTorch")
HEADERS = ("case", "network", "batch", "dtype", "layerkit µs", "PyTorch µs", "lk/torch", "spread")


def table_row(result: Result) -> list[str]:
    case, times = result.case, result.microseconds
    return [
        case.name,
        case.network,
        str(case.batch),
        np.dtype(case.dtype).name,
        *(train_step._time_of(result, name) for name in NAMES),
        ratio(times["layerkit"], times["PyTorch"]),
        train_step._spread(result, NAMES),
    ]


def loss_line(case: Case, losses: dict[str, list[float]]) -> str:
    shown = ", ".join(f"{name} {values[-1]:.7g}" for name, values in losses.items())
    return f"{case.name}: {shown}"


def notes(device: Device, rounds: int, input_gradient: bool) -> list[str]:
    computed = "computes" if input_gradient else "skips"
    return [
        f"µs: median over {rounds} interleaved rounds of the elapsed time of one step (forward, "
        f"L2 loss, backward, SGD lr {LEARNING_RATE}), each block of steps timed between two "
        "synchronisations of the device; ratios above 1× mean layerkit is slower.",
        f"layerkit: the network moved with net.to({device.backend!r}), the step as fit runs it: "
        "net.backward_step(loss.backward(), sgd, input_grad=False). PyTorch: nn.Sequential of "
        "Linear and Sigmoid, autograd, optim.SGD, on the same device from the same weights; "
        f"it {computed} the first layer's ∂L/∂x, as layerkit's step returns it or not.",
        "Both read the loss back to the host every step (L2Loss.forward returns a float, the "
        "PyTorch step calls loss.item()), so each step waits for the device once in both.",
        "spread: the wider interquartile range of the rounds of the two, as ± half of it over "
        "the median.",
    ]


def report(
    results: Sequence[tuple[Result, dict[str, list[float]]]],
    device: Device,
    args: argparse.Namespace,
    rounds: int,
    input_gradient: bool,
) -> str:
    bullet = "- " if args.markdown else "  "
    rows = [table_row(result) for result, _ in results]
    parts = [
        "layerkit device benchmark",
        *(bullet + line for line in [device.describe(), *machine_description(args.threads, torch)]),
        "",
        format_table(rows, args.markdown, HEADERS, (0, 1, 3)),
        "",
        *(bullet + line for line in notes(device, rounds, input_gradient)),
        "",
        f"The loss after {CHECK_STEPS} steps, checked to agree before timing:",
        "",
        *(bullet + loss_line(result.case, losses) for result, losses in results),
    ]
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    names = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASES]
    if unknown:
        build_parser().error(f"unknown case {', '.join(unknown)}; available: {', '.join(CASES)}")
    device = find_device(args)
    if isinstance(device, str):
        print(device)
        return
    torch.set_num_threads(args.threads)
    rounds = args.rounds if args.rounds is not None else QUICK_ROUNDS if args.quick else FULL_ROUNDS
    block_seconds = train_step.QUICK_BLOCK_SECONDS if args.quick else train_step.BLOCK_SECONDS
    input_gradient = train_step.layerkit_returns_input_gradient(
        device.backend, device.layerkit_device
    )

    results = []
    for name in names:
        print(f"measuring {name} on {device.name} …", file=sys.stderr, flush=True)
        results.append(measure(CASES[name], device, rounds, block_seconds, input_gradient))
    text = report(results, device, args, rounds, input_gradient)
    print(text, end="")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
