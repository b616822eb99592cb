"""Fuzz ``layerkit train``: no option value ends in a traceback, and a failure writes nothing.

Hypothesis builds train command lines whose option values are often wrong (negative and huge
integers, NaN and infinite rates, sizes no memory holds, fractions outside (0, 1), plot names
that are no image, directories that do not exist, losses that do not fit the data). Every
run must end with exit status 0, 1 or 2, print no traceback, fail with exactly one line on
standard error, and leave no model, plot or temporary file behind when it fails. These would
have found issue 12 item 12 (``--seed -1``, ``--samples 100000000000``, ``--layers
2,99999999999,2``), item 14 (a model and a plot written by a run that exited 1) and issue
13's loss refusals. ``--epochs`` is always small, so that a valid line trains in moments.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layerkit.cli.commands import cli
from layerkit.registry import reset_plugin_manager

pytestmark = pytest.mark.guarantee("command-line")

SETTINGS = settings(
    deadline=None,
    max_examples=60,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

huge = st.integers(-(10**40), 10**40).map(str)
small = st.integers(-3, 3).map(str)
rates = st.sampled_from(
    ["nan", "inf", "-inf", "-1", "0", "1e-300", "1e308", "1e400", "1e6", "0.1", "1", "x", ""]
)
OPTION_VALUES = {
    "--data": st.sampled_from(["half_adder", "moons", "spirals", "blobs", "mnist", "d.csv",
                               "r.csv", "missing.csv", "adir", ""]),
    "--samples": st.one_of(huge, small, st.sampled_from(["20", "30", "1e3", "nan"])),
    "--validation": st.sampled_from(["0", "1", "0.5", "0.25", "0.01", "-0.1", "2", "nan", "inf"]),
    "--layers": st.sampled_from(["2,3,2", "2,4,3", "2,8,1", "2,99999999999,2", "2,0,2", "3,3,2",
                                 "2,5000,5000,2", "2", "a,b", "2,-1,2", ""]),
    "--activation": st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu:slope=-1", "tahn",
                                     "elu:alpha=1e400", "softmax", "none", "gelu:x=1", ""]),
    "--output-activation": st.sampled_from(["sigmoid", "softmax", "none", "tanh", "nope",
                                            "relu", ""]),
    "--loss": st.sampled_from(["l2", "l1", "huber", "huber:delta=0", "huber:delta=1" + "0" * 400,
                               "cross_entropy", "cross_entropy:from_logits=true",
                               "binary_cross_entropy", "binary_cross_entropy:from_logits=true",
                               "l2:reduction=sum", "l3", ":", ""]),
    "--lr": rates,
    "--momentum": st.sampled_from(["0", "0.5", "0.99", "1", "-0.1", "nan", "inf", "x"]),
    "--batch-size": st.one_of(huge, small, st.sampled_from(["1", "4", "16"])),
    "--seed": st.one_of(huge, small, st.sampled_from(["99999999999999999999", "x"])),
    "--dtype": st.sampled_from(["float64", "float32", "float16", ""]),
    "--save": st.sampled_from(["m.npz", "no/dir/m.npz", "adir", "m", "d.csv/m.npz"]),
    "--plot": st.sampled_from(["loss.png", "loss.txt", "loss", "no/dir/l.png", "adir"]),
    "--target": st.sampled_from(["y", "label", "nope", "a,b", ""]),
    "--task": st.sampled_from(["auto", "classification", "regression", "bits", "nope"]),
}  # fmt: skip
EPOCHS = st.sampled_from(["1", "2", "3", "0", "-1", str(10**30), "x", "nan", ""])


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """``train --epochs E`` and a few options, each with a value of the kind it expects."""
    line = ["train", "--epochs", draw(EPOCHS)]
    for option in draw(st.lists(st.sampled_from(list(OPTION_VALUES)), max_size=5)):
        line += [option, draw(OPTION_VALUES[option])]
    return line + draw(st.lists(st.sampled_from(["--json", "-q"]), max_size=1))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Iterator[Path]:
    """The working directory: two small data files and a folder."""
    directory = tmp_path_factory.mktemp("fuzz_train")
    (directory / "d.csv").write_text("a,b,y\n0,1,x\n1,0,x\n0.5,0.5,y\n1,1,y\n")
    (directory / "r.csv").write_text("a,b,y\n0,1,2.5\n1,0,-1.5\n0.5,0.5,0.25\n")
    (directory / "adir").mkdir()
    previous = Path.cwd()
    os.chdir(directory)
    reset_plugin_manager()
    try:
        yield directory
    finally:
        os.chdir(previous)
        reset_plugin_manager()


MADE = {"d.csv", "r.csv", "adir"}


@SETTINGS
@given(line=command_lines())
def test_train_fails_cleanly_and_writes_nothing_when_it_fails(workspace, line):
    result = CliRunner().invoke(cli, line, prog_name="layerkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the defect this test looks for
    assert result.exit_code in (0, 1, 2), (line, result.exit_code)
    assert "Traceback" not in result.stdout + result.stderr
    left = {path.name for path in workspace.iterdir()} - MADE
    try:
        if result.exit_code != 0:
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("layerkit"), (line, result.stderr)
            assert left == set(), (line, left)  # no model, plot or temporary file
        else:
            assert not any(name.startswith(".") for name in left), (line, left)
    finally:
        for name in left:
            (workspace / name).unlink()
