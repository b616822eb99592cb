"""The benchmark scripts still run, report what docs/performance.md quotes from them, and
compare like with like.

They are run, not timed: the numbers of one quick round on a shared machine mean nothing, so
only the reports' shape and internal consistency are checked, and that the hand-written
implementations compute what layerkit computes (the ratios compare the same arithmetic).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from benchmark_support import tables
from make_support import make, make_project

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TRAIN_STEP, EPOCH = BENCHMARKS / "train_step.py", BENCHMARKS / "epoch.py"


def run_script(script: Path, *options: object, hide_torch_in: Path | None = None) -> str:
    """Run a benchmark script; return what it printed. ``hide_torch_in``: a directory for a
    fake ``torch`` package that fails to import, as if PyTorch were not installed."""
    environment = dict(os.environ)
    if hide_torch_in is not None:
        (hide_torch_in / "torch").mkdir()
        (hide_torch_in / "torch" / "__init__.py").write_text('raise ImportError("hidden")\n')
        path = environment.get("PYTHONPATH")
        environment["PYTHONPATH"] = os.pathsep.join([str(hide_torch_in), *([path] if path else [])])
    run = subprocess.run(
        [sys.executable, script, *map(str, options)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


RATIO = r"\d+\.\d\d×"
ADAM_PLUGIN = importlib.util.find_spec("layerkit_optimizers") is not None  # layerkit's Adam


def load_script(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (imported, it leaves the thread settings alone)."""
    module_name = f"_layerkit_benchmark_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    sys.path.insert(0, str(BENCHMARKS))  # for bench_support
    try:
        spec = importlib.util.spec_from_file_location(module_name, BENCHMARKS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


# ---------------------------------------------------------------------- the training step
def test_a_quick_step_run_reports_times_ratios_memory_and_the_adam_table(tmp_path):
    output = tmp_path / "report.md"
    options = ["--cases", "seed", "--quick", "--rounds", "2", "--markdown", "--output", output]
    report = run_script(TRAIN_STEP, *options)
    assert output.read_text(encoding="utf-8") == report
    [times], [four_calls], [adam] = tables(report)
    assert times["network"] == "2-3-2" and times["dtype"] == "float64"
    layerkit, hand = (float(times[f"{name} µs"]) for name in ("layerkit", "hand-NumPy"))
    # the ratio comes from the unrounded times: equal to the shown ones' to their rounding
    assert re.fullmatch(RATIO, times["lk/hand"])
    assert float(times["lk/hand"][:-1]) == pytest.approx(layerkit / hand, abs=0.015)
    for column in ("mem lk/hand", "steps lk/hand"):
        assert re.fullmatch(RATIO, times[column]), (column, times[column])
    assert [four_calls["case"], four_calls["layerkit µs"]] == ["seed", times["layerkit µs"]]
    assert adam["case"] == "seed" and adam["SGD lk µs"] == times["layerkit µs"]
    assert "of the elapsed time of one step" in report
    float(adam["hand-NumPy µs"])
    float(adam["update hand µs"])
    if ADAM_PLUGIN:
        for column in ("lk/hand", "mem lk/hand", "update lk/hand"):
            assert re.fullmatch(RATIO, adam[column]), (column, adam[column])
    else:
        assert adam["layerkit µs"] == adam["update lk µs"] == "not installed"
        assert adam["lk/hand"] == adam["update lk/hand"] == "—"


def test_the_step_benchmark_runs_without_pytorch(tmp_path):
    options = ["--cases", "seed", "--quick", "--rounds", "1", "--markdown"]
    report = run_script(TRAIN_STEP, *options, hide_torch_in=tmp_path)
    [times], _, [adam] = tables(report)
    assert times["PyTorch µs"] == adam["PyTorch µs"] == "not installed"
    assert times["lk/torch"] == adam["lk/torch"] == "—"
    assert "PyTorch: torch not installed" in report


def test_hand_written_adam_follows_the_equations(tmp_path):
    """Adam by hand, in place, against its equations written out plainly in float64."""
    script = load_script("train_step")
    trainer = script.HandAdamTrainer(script.make_problem(script.CASES["seed"], False))
    value = trainer.weights[0][0]  # a parameter whose moments the trainer keeps
    expected, m, v = value.copy(), np.zeros_like(value), np.zeros_like(value)
    lr, (beta1, beta2), eps = (script.ADAM_OPTIONS[key] for key in ("lr", "betas", "eps"))
    rng = np.random.default_rng(0)
    for step in range(1, 31):
        grad = rng.normal(size=value.shape) * 10.0 ** rng.integers(-6, 2)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
        expected = expected - lr * m_hat / (np.sqrt(v_hat) + eps)
        trainer.start_step()
        trainer.update(value, grad.copy())
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=0.0)


@pytest.mark.skipif(not ADAM_PLUGIN, reason="layerkit's Adam is the layerkit-optimizers plugin")
@pytest.mark.parametrize("case", ["seed", "mnist"])
def test_the_adam_updates_alone_move_the_parameters_alike(case):
    """The update-only rows time the same arithmetic: after 5 updates from the same
    gradients, layerkit's parameters are the hand-written update's to rounding."""
    script = load_script("train_step")
    problem = script.make_problem(script.CASES[case], False)
    ours, hand = script.LayerkitAdamUpdate(problem), script.HandAdamUpdate(problem)
    start = [value.copy() for value in ours.values]
    for _ in range(5):
        ours.step()
        hand.step()
    rtol = 1e-12 if case == "seed" else 1e-5
    for mine, theirs, before in zip(ours.values, hand.values, start, strict=True):
        assert not np.array_equal(mine, before)
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-7 if case == "mnist" else 0)


@pytest.mark.parametrize("rule", ["sgd", "adam"])
def test_every_step_implementation_of_a_rule_computes_the_same_losses(rule):
    """Ten steps of the seed network in float64: as check_same_losses does for two."""
    script = load_script("train_step")
    problem = script.make_problem(script.CASES["seed"], False)
    trainers = [build(problem) for build in script.builders() if build.rule == rule]
    names = {trainer.name for trainer in trainers}
    expected = {"sgd": {"layerkit", "layerkit split", "hand-NumPy"}, "adam": {"hand-NumPy Adam"}}
    assert (
        expected[rule] | ({"layerkit Adam"} if rule == "adam" and ADAM_PLUGIN else set()) <= names
    )
    losses = {trainer.name: [trainer.step() for _ in range(10)] for trainer in trainers}
    first, *others = losses.values()
    for values in others:
        np.testing.assert_allclose(values, first, rtol=1e-10, atol=0.0)
    assert first[-1] < first[0]


# -------------------------------------------------------------------------------- the epoch
def test_a_quick_epoch_run_reports_times_ratios_and_memory(tmp_path):
    output = tmp_path / "report.md"
    options = ["--quick", "--samples", "300", "--rounds", "2", "--markdown", "--output", output]
    report = run_script(EPOCH, *options, "--clock", "cpu")
    assert output.read_text(encoding="utf-8") == report
    [[row]] = tables(report)
    assert row["samples"] == "300" and "of the CPU time of one epoch" in report
    layerkit, hand = (
        float(row[f"{name} ms"].replace(",", "")) for name in ("layerkit", "hand-NumPy")
    )
    assert re.fullmatch(RATIO, row["lk/hand"])
    assert float(row["lk/hand"][:-1]) == pytest.approx(layerkit / hand, rel=0.1)
    for column in ("best lk/hand", "mem lk/hand", "training lk/hand"):
        assert re.fullmatch(RATIO, row[column]), (column, row[column])
    # the check before timing: each implementation's loss after the same epoch
    losses = re.findall(r"(layerkit|hand-NumPy|PyTorch) (\d\.\d{6})", report)
    assert len({loss for _, loss in losses}) == 1 and len(losses) >= 2, losses


def test_the_epoch_benchmark_runs_without_pytorch(tmp_path):
    options = ["--quick", "--samples", "200", "--rounds", "1", "--markdown"]
    report = run_script(EPOCH, *options, hide_torch_in=tmp_path)
    [[row]] = tables(report)
    assert row["PyTorch ms"] == "not installed" and row["lk/torch"] == "—"


def test_the_hand_loop_and_pytorch_end_an_epoch_where_fit_does():
    """In float64 and one sample order, one epoch (5 batches, the last a short one)."""
    script = load_script("epoch")
    agreements = script.compare_with_layerkit(script.make_problem(300, np.float64))
    expected = {"layerkit", "hand-NumPy"} | ({"PyTorch"} if script.torch is not None else set())
    assert set(agreements) == expected
    for name, agreement in agreements.items():
        assert agreement.loss_difference <= 1e-13, (name, agreement)
        assert agreement.weight_difference <= 1e-13, (name, agreement)
    assert math.isclose(agreements["layerkit"].loss, math.log(10), rel_tol=0.1)  # ten classes
    script.check_agreement(agreements, np.float64)


def test_the_agreement_check_refuses_more_than_rounding():
    script = load_script("epoch")
    same = script.Agreement(loss=2.3, loss_difference=0.0, weight_difference=0.0)
    off = script.Agreement(loss=2.3001, loss_difference=1e-3 / 2.3, weight_difference=1e-4)
    script.check_agreement({"layerkit": same, "hand-NumPy": same}, np.float32)
    with pytest.raises(AssertionError, match=r"hand-NumPy's epoch loss 2\.3001 differs"):
        script.check_agreement({"layerkit": same, "hand-NumPy": off}, np.float32)


# ------------------------------------------------------------------------------- make bench
def test_make_bench_runs_both_benchmarks_with_their_own_arguments(tmp_path):
    project = make_project(tmp_path / "project")
    planned = make(project, "-n", "bench", "BENCH_ARGS=--quick", "EPOCH_ARGS=--samples 10")
    lines = planned.stdout.splitlines()
    assert any(line.endswith("benchmarks/train_step.py --quick") for line in lines), lines
    assert any(line.endswith("benchmarks/epoch.py --samples 10") for line in lines), lines
