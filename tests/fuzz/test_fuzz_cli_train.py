"""Fuzz ``layerkit train``: no option value ends in a traceback, and a failure writes nothing.

Hypothesis builds train command lines whose option values are often wrong (negative and huge
integers, NaN and infinite rates, sizes no memory holds, fractions outside (0, 1), plot names
that are no image, directories that do not exist, losses that do not fit the data). Every
run must end with exit status 0, 1 or 2, print no traceback, fail with exactly one line on
standard error, and leave no model, plot or temporary file behind when it fails. These would
have found issue 12 item 12 (``--seed -1``, ``--samples 100000000000``, ``--layers
2,99999999999,2``), item 14 (a model and a plot written by a run that exited 1) and issue
13's loss refusals. ``--epochs`` is at most 30, so that a valid line trains in moments.
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
# For each option, values it accepts and values it must refuse: two thirds of the drawn values
# are good, so that a line often reaches training, the verdict and the writing of files.
GOOD_AND_BAD = {
    "--data": (["half_adder", "moons", "spirals", "blobs", "d.csv", "r.csv"],
               ["mnist", "missing.csv", "adir", "", "Moons"]),
    "--samples": (["20", "30", "7"], ["0", "-1", "100000000000", "1e3", "nan"]),
    "--validation": (["0.5", "0.25"], ["0", "1", "0.01", "-0.1", "2", "nan", "inf"]),
    "--layers": (["2,3,2", "2,4,3", "2,8,1", "2,5,5,2"],
                 ["2,99999999999,2", "2,0,2", "3,3,2", "2,5000,5000,2", "2", "a,b", ""]),
    "--activation": (["sigmoid", "tanh", "relu", "leaky_relu:slope=0.1", "elu", "gelu"],
                     ["leaky_relu:slope=-1", "tahn", "elu:alpha=1e400", "none", "gelu:x=1", ""]),
    "--output-activation": (["sigmoid", "softmax", "none"], ["tanh", "nope", "relu", ""]),
    "--loss": (["l2", "l1", "huber", "cross_entropy", "cross_entropy:from_logits=true",
                "binary_cross_entropy", "binary_cross_entropy:from_logits=true",
                "l2:reduction=sum"],
               ["huber:delta=0", "huber:delta=1" + "0" * 400, "l3", ":", ""]),
    "--lr": (["0.1", "1", "1e6", "1e300", "1e-300"],
             ["nan", "inf", "-inf", "-1", "0", "1e400", "x", ""]),
    "--momentum": (["0", "0.5", "0.99"], ["1", "-0.1", "nan", "inf", "x"]),
    "--batch-size": (["1", "4", "16", str(10**40)], ["0", "-1", "x"]),
    "--seed": (["0", "7", "4294967295"], ["-1", "4294967296", "99999999999999999999", "x"]),
    "--dtype": (["float64", "float32"], ["float16", ""]),
    "--save": (["m.npz", "m"], ["no/dir/m.npz", "adir", "d.csv/m.npz"]),
    "--plot": (["loss.png"], ["loss.txt", "loss", "no/dir/l.png", "adir"]),
    "--target": (["y"], ["label", "nope", "a,b", ""]),
    "--task": (["auto"], ["classification", "regression", "bits", "nope"]),
}  # fmt: skip
OPTION_VALUES = {
    option: st.one_of(st.sampled_from(good), st.sampled_from(good), st.sampled_from(bad) | huge)
    for option, (good, bad) in GOOD_AND_BAD.items()
}
GOOD_EPOCHS = st.sampled_from(["1", "3", "30"])
EPOCHS = st.one_of(
    GOOD_EPOCHS, GOOD_EPOCHS, GOOD_EPOCHS, st.sampled_from(["0", "-1", str(10**30), "x", ""])
)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """``train --epochs E`` and a few options, each with a value of the kind it expects."""
    line = ["train", "--epochs", draw(EPOCHS)]
    for option in draw(st.lists(st.sampled_from(list(OPTION_VALUES)), max_size=3)):
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
