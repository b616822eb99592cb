"""``layerkit exercise``: the files it writes, and how ``check`` grades right and wrong work.

The "done when" of issue 15 §1: a fresh exercise reports every function not done; right
solutions pass; each listed mistake, planted alone, fails naming the function and the
mistake; a solution that writes into its inputs fails; a syntax error is one line.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner

from layerkit.cli.commands import cli
from layerkit.exercise import check, start
from layerkit.exercise.function_grader import FUNCTIONS

from .solutions import (
    DENSE,
    DENSE_MEAN_BIAS,
    DENSE_W_NOT_TRANSPOSED,
    MISTAKES,
    TANH,
    TANH_WRONG_DERIVATIVE,
    replace,
)
from .solutions import (
    FUNCTIONS as RIGHT,
)


def layerkit(*args: str):
    result = CliRunner().invoke(cli, list(args), prog_name="layerkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def write(folder: Path, level: str = "functions", **code: str) -> Path:
    """Start an exercise in ``folder`` and replace the named functions or classes by ``code``."""
    start(folder, level, force=True)
    path = folder / "exercise.py"
    source = path.read_text(encoding="utf-8")
    for name, body in code.items():
        source = replace(source, name, body)
    path.write_text(source, encoding="utf-8")
    return path


def test_start_then_check_reports_every_function_not_done(tmp_path):
    started = layerkit("exercise", "start", str(tmp_path / "ex"))
    assert started.exit_code == 0
    assert (tmp_path / "ex" / "README.md").is_file()
    run = layerkit("exercise", "check", str(tmp_path / "ex"))
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[:7] == [f"· {name}: not done yet" for name in FUNCTIONS]
    assert lines[7] == "0 of 7 pass, 7 not done yet"


def test_the_template_states_each_formula_and_links_the_derivation(tmp_path):
    source = write(tmp_path).read_text(encoding="utf-8")
    for formula in ["y(1 − y)", "δ⁽²⁾ = (y − t) ⊙ y(1 − y)", "δ⁽²⁾ uᵀ", "xᵀδ", "w − η ∂L/∂w"]:
        assert formula in source
    assert source.count("    raise NotImplementedError\n") == 7
    assert source.count("See math/backpropagation.md#") == 7


def test_start_refuses_to_overwrite_without_force(tmp_path):
    path = write(tmp_path, sigmoid=RIGHT["sigmoid"])
    run = layerkit("exercise", "start", str(tmp_path))
    assert run.exit_code == 1
    assert run.stderr.count("\n") == 1 and "--force" in run.stderr
    assert "np.exp(-a)" in path.read_text(encoding="utf-8")  # the work is still there
    assert layerkit("exercise", "start", str(tmp_path), "--force").exit_code == 0
    assert "np.exp(-a)" not in path.read_text(encoding="utf-8")


def test_right_solutions_pass_and_train_the_half_adder(tmp_path):
    write(tmp_path, **RIGHT)
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 0, run.stdout
    lines = run.stdout.splitlines()
    assert lines[:8] == [f"✓ {name}" for name in FUNCTIONS] + ["7 of 7 pass"]
    losses = [float(line.split()[-1]) for line in lines if line.strip().startswith("epoch")]
    assert len(losses) >= 4
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < losses[0] / 100


@pytest.mark.parametrize(("name", "code", "hint"), MISTAKES, ids=[m[2] for m in MISTAKES])
def test_each_mistake_fails_naming_the_function_and_the_mistake(tmp_path, name, code, hint):
    write(tmp_path, **{**RIGHT, name: code})
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 1
    failed = [line for line in run.stdout.splitlines() if line.startswith("✗")]
    assert len(failed) == 1, run.stdout
    assert failed[0].startswith(f"✗ {name}: ")
    assert hint in failed[0]
    assert "smallest failing case" in run.stdout
    assert "expected" in run.stdout and "got" in run.stdout
    assert "training" not in run.stdout


def test_the_mistakes_listed_by_the_issue_are_all_planted():
    hints = " ".join(hint for _, _, hint in MISTAKES)
    for mistake in ["missing y(1 − y)", "u instead of uᵀ", "mean instead of sum", "a sign"]:
        assert mistake in hints
    assert "modified its input" in hints


def test_check_grades_float32_and_not_only_float64(tmp_path):
    code = "def sigmoid(a):\n    return 1 / (1 + np.exp(-a.astype(np.float64)))\n"
    write(tmp_path, sigmoid=code)
    run = layerkit("exercise", "check", str(tmp_path), "--only", "sigmoid")
    assert run.exit_code == 1
    assert "✗ sigmoid: returned float64 for float32 arguments" in run.stdout


def test_only_grades_one_function_and_refuses_an_unknown_name(tmp_path):
    write(tmp_path, sigmoid=RIGHT["sigmoid"])
    run = layerkit("exercise", "check", str(tmp_path), "--only", "sigmoid")
    assert run.exit_code == 0
    assert run.stdout.splitlines() == ["✓ sigmoid", "1 of 1 pass"]
    wrong = layerkit("exercise", "check", str(tmp_path), "--only", "softmax")
    assert wrong.exit_code == 2
    assert wrong.stderr.count("\n") == 1 and "sigmoid_derivative" in wrong.stderr


def test_a_syntax_error_is_reported_in_one_line(tmp_path):
    path = write(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "exercise.py, line" in run.stderr and "Traceback" not in run.stderr


def test_an_import_error_and_a_missing_file_are_one_line(tmp_path):
    path = write(tmp_path)
    path.write_text("import numpyy\n", encoding="utf-8")
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 1 and run.stderr.count("\n") == 1
    assert "ModuleNotFoundError" in run.stderr
    missing = layerkit("exercise", "check", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "exercise start" in missing.stderr


def test_the_learners_functions_are_graded_on_the_seeds_numbers(tmp_path):
    # right everywhere except at the seed's input: only the seed case can catch it
    code = (
        "def sigmoid(a):\n"
        "    if a.shape == (3,) and abs(float(a[0]) - 0.3775) < 1e-3:\n"
        "        return np.zeros_like(a)\n"
        "    return 1 / (1 + np.exp(-a))\n"
    )
    write(tmp_path, sigmoid=code)
    level, grades = check(tmp_path, only="sigmoid")
    assert level == "functions"
    assert grades[0].status == "fail"
    assert "the seed's 2-3-2 numbers, one sample" in grades[0].details[0]


# ---------------------------------------------------------------------------- level two
def test_layers_start_then_check_reports_both_not_done(tmp_path):
    assert layerkit("exercise", "start", str(tmp_path), "--level", "layers").exit_code == 0
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 1
    assert run.stdout.splitlines() == [
        "· Tanh: not done yet",
        "· Dense: not done yet",
        "0 of 2 pass, 2 not done yet",
    ]


def test_a_right_tanh_and_dense_pass(tmp_path):
    write(tmp_path, "layers", Tanh=TANH, Dense=DENSE)
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 0, run.stdout
    assert run.stdout.splitlines() == ["✓ Tanh", "✓ Dense", "2 of 2 pass"]


@pytest.mark.parametrize(
    ("tanh", "dense", "failed", "hint"),
    [
        (TANH_WRONG_DERIVATIVE, DENSE, "✗ Tanh: backward:", "a missing square"),
        (TANH, DENSE_W_NOT_TRANSPOSED, "✗ Dense: backward:", "W instead of Wᵀ"),
        (TANH, DENSE_MEAN_BIAS, "✗ Dense: db:", "mean instead of sum"),
    ],
)
def test_a_broken_layer_fails_naming_the_mistake(tmp_path, tanh, dense, failed, hint):
    write(tmp_path, "layers", Tanh=tanh, Dense=dense)
    run = layerkit("exercise", "check", str(tmp_path))
    assert run.exit_code == 1
    lines = [line for line in run.stdout.splitlines() if line.startswith("✗")]
    assert len(lines) == 1 and lines[0].startswith(failed) and hint in lines[0], run.stdout


def test_a_tanh_writing_into_its_input_fails_the_conformance_kit(tmp_path):
    tanh = TANH.replace("self.y = np.tanh(x)", "self.y = np.tanh(x, out=x)")
    write(tmp_path, "layers", Tanh=tanh, Dense=DENSE)
    run = layerkit("exercise", "check", str(tmp_path), "--only", "Tanh")
    assert run.exit_code == 1
    assert run.stdout.startswith("✗ Tanh: forward modified its input")
