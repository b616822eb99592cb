"""benchmarks/device.py runs its code path without a GPU (``--device cpu``), says what is
missing and exits 0 where there is no device, and refuses options that cannot work.

As for the other benchmark scripts, the numbers of a quick run are not checked, only the
report's shape, its ratios, and that both implementations compute the loss a hand-written
NumPy step computes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from benchmark_support import tables
from make_support import make, make_project
from test_benchmark_script import load_script

DEVICE = Path(__file__).resolve().parent.parent / "benchmarks" / "device.py"
torch = pytest.importorskip("torch")


def run_device(*options: object, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, DEVICE, *map(str, options)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **environment},
    )


def test_a_cpu_run_times_both_and_checks_their_losses_against_numpy(tmp_path):
    output = tmp_path / "report.md"
    options = ["--device", "cpu", "--quick", "--rounds", "2", "--cases", "seed,mlp"]
    run = run_device(*options, "--markdown", "--output", output)
    assert run.returncode == 0, run.stderr
    assert output.read_text(encoding="utf-8") == run.stdout
    [rows] = tables(run.stdout)
    assert [(row["case"], row["network"], row["dtype"]) for row in rows] == [
        ("seed", "2-3-2", "float64"),
        ("mlp", "784-256-256-10", "float32"),
    ]
    for row in rows:
        layerkit, pytorch = (
            float(row[f"{name} µs"].replace(",", "")) for name in ("layerkit", "PyTorch")
        )
        assert float(row["lk/torch"][:-1]) == pytest.approx(layerkit / pytorch, rel=0.02)
        assert re.fullmatch(r"±\d+%", row["spread"])
    assert "device: cpu, layerkit on torch CPU tensors" in run.stdout
    assert "not a GPU measurement" in run.stdout

    losses = {
        case: pair
        for case, *pair in re.findall(
            r"- (seed|mlp): layerkit (\S+), PyTorch (\S+)$", run.stdout, re.M
        )
    }
    assert set(losses) == {"seed", "mlp"}
    # the third step's loss of train_step's hand-written NumPy step, from the same weights
    train_step = load_script("train_step")
    for case, shown in losses.items():
        problem = train_step.make_problem(train_step.CASES[case], input_gradient=False)
        hand = train_step.HandNumpyTrainer(problem)
        expected = [hand.step() for _ in range(3)][-1]
        rtol = 1e-6 if case == "seed" else 1e-4  # shown to 7 digits; float32 for mlp
        np.testing.assert_allclose([float(value) for value in shown], expected, rtol=rtol)


def test_without_a_cuda_device_it_says_so_and_exits_0():
    run = run_device(CUDA_VISIBLE_DEVICES="")
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        f"no CUDA device: torch {torch.__version__} sees none; nothing to measure\n"
    )


def test_without_pytorch_it_says_so_and_exits_0(tmp_path):
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text('raise ImportError("hidden")\n')
    path = os.pathsep.join([str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])])
    run = run_device("--device", "cpu", PYTHONPATH=path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "PyTorch is not installed: torch is what layerkit is compared with; nothing to measure"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--backend", "jax"], "argument --backend: invalid choice: 'jax'"),
        (["--device", "tpu"], '--device: expected "cuda", "cuda:N" or "cpu", received \'tpu\''),
        (["--device", "cpu", "--backend", "cupy"], "--backend cupy computes on a CUDA device"),
        (["--device", "cpu", "--rounds", "0"], "--threads and --rounds must be at least 1"),
        (["--device", "cpu", "--cases", "seed,huge"], "unknown case huge; available: seed,"),
    ],
)
def test_an_option_that_cannot_work_is_a_usage_error(options, message):
    run = run_device(*options)
    assert run.returncode == 2
    assert run.stderr.startswith("usage: device.py")
    assert message in run.stderr


def test_every_block_is_timed_between_two_synchronisations():
    train_step = load_script("train_step")
    events: list[str] = []

    class Counting:
        name, rule = "counting", "sgd"

        def step(self) -> None:
            events.append("step")

    train_step.time_rounds([Counting()], 3, 0.0, synchronize=lambda: events.append("sync"))
    timed = events[events.index("sync") :]  # after the untimed estimate of the block size
    assert timed == ["sync", "step", "sync"] * 3


def test_make_bench_device_runs_the_script_with_its_arguments(tmp_path):
    project = make_project(tmp_path / "project")
    planned = make(project, "-n", "bench-device", "DEVICE_ARGS=--backend cupy").stdout
    lines = planned.splitlines()
    assert any('"torch==2.13.0"' in line for line in lines), lines
    assert any(line.endswith("benchmarks/device.py --backend cupy") for line in lines), lines
