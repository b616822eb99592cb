"""Fuzz the command line: no command line a user can type ends in a traceback.

Hypothesis builds bad command lines for explain, predict, draw, plugins and check from a
vocabulary of option names (right, wrong and from other commands) and values (huge numbers,
NaN, unicode, empty strings, component specs with odd options, files that do not exist, are
directories or are not models). Every run must end with exit status 0, 1 or 2, print no
traceback, and fail with exactly one line on standard error. A second test saves models with
generated metadata, which the public ``save`` accepts, and checks that ``predict`` still
predicts. These would have found the tracebacks of issue 12 (items 12 and 13).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerkit as lk
from layerkit.cli.commands import cli
from layerkit.registry import reset_plugin_manager

pytestmark = pytest.mark.guarantee("command-line")

SETTINGS = settings(
    deadline=None,
    max_examples=150,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

COMMANDS = ["explain", "predict", "draw", "plugins", "check"]
OPTIONS = [
    "--model", "--data", "--layers", "--activation", "--output-activation", "--loss", "--seed",
    "--input", "--target", "--format", "--precision", "--full", "-o", "--output", "--labels",
    "--no-labels", "--max-units", "--all", "--json", "--svg", "--bogus", "-h", "--",
]  # fmt: skip
FILES = [
    "m.npz", "c.npz", "odd.npz", "wide.npz", "f32.npz", "bad.npz", "d.csv", "w.csv", "adir",
    "adir/",
    "missing.npz", "missing/x.svg", "out.svg", "out.csv", "d.csv/x", "-",
]  # fmt: skip
WORDS = [
    "", " ", "0", "1", "-1", "1.5", "1e400", "-1e308", "nan", "inf", "-inf", "10" + "0" * 400,
    "2,3,2", "2", ",", "2,-3", "2,0,2", "2,99999999999,2", "1,1", "2,40,3", "٣,٢",
    "0.05,0.1", "1,0", "0.01,0.99", "2", "0,1,2", "nan,1",
    "sigmoid", "tanh", "relu", "relux", "none", "softmax", "leaky_relu:slope=0.1",
    "leaky_relu:slope=-1", "leaky_relu:slope=nan", "leaky_relu:slope=", "leaky_relu:a=b=c",
    "tanh:x=1,x=2", "tanh:é=1", "elu:alpha=1e308", ":", "sigmoid:",
    "l2", "l3", "huber:delta=1" + "0" * 400, "huber:delta=0", "cross_entropy",
    "cross_entropy:from_logits=true", "binary_cross_entropy", "l2:reduction=sum",
    "json", "markdown", "text", "html", "17", "18", "99999999999999999999",
    "blobs", "half_adder", "spirals", "spiral", "xor", "moons", "circles",
]  # fmt: skip

values = st.one_of(
    st.sampled_from(WORDS + FILES),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)
arguments = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(OPTIONS), values).map(list),
        st.sampled_from(OPTIONS).map(lambda option: [option]),
        values.map(lambda value: [value]),
    ),
    max_size=5,
).map(lambda groups: [part for group in groups for part in group])

# Values shaped like what each option expects: right half of the time, so that a wrong one is
# often the only thing wrong with a line. Wrong: negative and huge integers, sizes no memory
# holds (never between 10**8 and 10**9, which a run could really allocate), component options
# of 400 digits, NaN, empty values, unknown or repeated keys.
huge = st.integers(-(10**500), 10**500)
integers = st.one_of(st.integers(0, 20), st.integers(-5, -1) | huge).map(str)
numbers = st.one_of(
    st.floats(-2, 2).map(lambda value: f"{value:.3g}"),
    huge.map(str) | st.floats().map(repr) | st.sampled_from(["nan", "-inf", "1e400", "", "0x1"]),
)
sizes = st.one_of(
    st.lists(st.integers(1, 40), min_size=2, max_size=4),
    st.lists(st.integers(-2, 40) | st.integers(10**9, 10**30), max_size=5),
).map(lambda values: ",".join(map(str, values)))
NAMES = {
    "activation": ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus"],
    "output": ["sigmoid", "softmax", "none", "tanh"],
    "loss": ["l2", "l1", "huber", "cross_entropy", "binary_cross_entropy"],
}
KNOWN_OPTIONS = {
    "leaky_relu": "slope", "elu": "alpha", "huber": "delta", "cross_entropy": "from_logits",
    "binary_cross_entropy": "from_logits", "l2": "reduction", "l1": "reduction",
}  # fmt: skip
option_values = st.one_of(
    st.sampled_from(["0.1", "1", "true", "false", "mean", "sum"]),
    numbers | st.sampled_from(["a=b", "", "é"]),
)


def components(kind: str) -> st.SearchStrategy[str]:
    """``NAME[:KEY=VALUE,...]``: a registered name with its own option, or something off."""

    def spec(name: str, keys: list[str], values: list[str]) -> str:
        options = ",".join(f"{key}={value}" for key, value in zip(keys, values, strict=False))
        return f"{name}:{options}" if options else name

    names = st.sampled_from(NAMES[kind]) | st.sampled_from(["relux", "", "Sigmoid", "l3", ":"])
    return names.flatmap(
        lambda name: st.builds(
            spec,
            st.just(name),
            st.lists(
                st.sampled_from([KNOWN_OPTIONS.get(name, "slope"), "x", "é", "1a"]), max_size=2
            ),
            st.lists(option_values, min_size=2, max_size=2),
        )
    )


numbers_list = st.lists(numbers, min_size=1, max_size=4).map(",".join)
files = st.sampled_from(FILES) | st.text(max_size=8)
OPTION_VALUES = {
    "--model": files,
    "--data": st.sampled_from(WORDS[-7:]) | files,
    "-o": files,
    "--output": files,
    "--layers": sizes | st.sampled_from(WORDS),
    "--activation": components("activation"),
    "--output-activation": components("output"),
    "--loss": components("loss"),
    "--seed": integers,
    "--input": numbers_list,
    "--target": numbers_list,
    "--format": st.sampled_from(["text", "markdown", "json", "JSON", ""]),
    "--precision": integers,
    "--max-units": integers,
}
FLAGS = ["--full", "--labels", "--no-labels", "--all", "--json", "--help"]
COMMAND_OPTIONS = {
    "explain": ["--model", "--layers", "--activation", "--output-activation", "--loss",
                "--seed", "--input", "--target", "--format", "--precision", "--full"],
    "predict": ["--model", "--data", "-o", "--output"],
    "draw": ["--model", "--layers", "--activation", "--output-activation", "-o", "--output",
             "--labels", "--no-labels", "--max-units"],
}  # fmt: skip


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command and mostly its own options, each with a value of the kind it expects."""
    command = draw(st.sampled_from(list(COMMAND_OPTIONS)))
    line = [command]
    for option in draw(st.lists(st.sampled_from(COMMAND_OPTIONS[command]), max_size=4)):
        line += [option] if option in FLAGS else [option, draw(OPTION_VALUES[option])]
    return line + draw(st.lists(st.sampled_from(FLAGS[:4]), max_size=1))


ORIGINALS: dict[str, bytes] = {}
"""The workspace's files as made: a command line's ``-o d.csv`` must not change the next run."""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Iterator[Path]:
    """A directory of models, data files, a corrupt model and a folder; the working directory."""
    directory = tmp_path_factory.mktemp("fuzz_cli")
    lk.serialization.save(
        lk.mlp([2, 3, 2], seed=0),
        directory / "m.npz",
        metadata={"task": "bits", "features": ["a", "b"], "targets": ["sum", "carry"]},
    )
    lk.serialization.save(
        lk.mlp([2, 4, 3], "tanh", None, seed=1),
        directory / "c.npz",
        metadata={"task": "classification", "targets": ["label"], "classes": ["x", "y", "z"]},
    )
    lk.serialization.save(
        lk.mlp([2, 3, 2], seed=2),
        directory / "odd.npz",
        metadata={"task": "classification", "classes": ["only"], "features": 5},
    )
    lk.serialization.save(lk.mlp([2, 32, 32, 3], "tanh", seed=3), directory / "wide.npz")
    lk.serialization.save(lk.mlp([2, 3, 1], seed=4, dtype=np.float32), directory / "f32.npz")
    (directory / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (directory / "d.csv").write_text("a,b\n0,1\n1,0\n0.5,0.5\n")
    (directory / "w.csv").write_text("p,q,r\n1,2,3\n")
    (directory / "adir").mkdir()
    ORIGINALS.update(
        {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}
    )
    previous = Path.cwd()
    os.chdir(directory)
    reset_plugin_manager()
    try:
        yield directory
    finally:
        os.chdir(previous)
        reset_plugin_manager()


def restore_workspace() -> None:
    for name, content in ORIGINALS.items():
        path = Path(name)
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)


def check_run(args: list[str]) -> None:
    restore_workspace()
    result = CliRunner().invoke(cli, args, prog_name="layerkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"layerkit {args!r} raised") from result.exception
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.output, args
    errors = result.stderr.splitlines()
    if result.exit_code == 0:
        assert len(errors) <= 1, (args, result.stderr)  # at most a note
    else:
        assert len(errors) == 1, (args, result.stderr)
        assert errors[0].startswith("layerkit"), (args, errors[0])


@SETTINGS
@given(line=command_lines())
def test_command_lines_with_values_of_each_kind(workspace, line):
    check_run(line)


@settings(SETTINGS, max_examples=60)
@given(command=st.sampled_from(COMMANDS[:3]), args=arguments)
def test_command_lines_from_a_vocabulary(workspace, command, args):
    check_run([command, *args])


@settings(SETTINGS, max_examples=25)
@given(command=st.sampled_from(COMMANDS[3:]), args=arguments)
def test_plugins_and_check_command_lines(workspace, command, args):
    check_run([command, *args])


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
metadata_entries = {
    "task": st.sampled_from(["classification", "regression", "bits", "", "CLASSIFICATION"])
    | json_values,
    "classes": st.lists(st.text(max_size=3) | st.integers(0, 5), max_size=4) | json_values,
    "features": st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=3) | json_values,
    "targets": st.lists(st.text(max_size=3), max_size=2) | json_values,
    "outputs": st.lists(st.text(max_size=3), max_size=4) | json_values,
}
metadata = st.fixed_dictionaries({}, optional=metadata_entries).flatmap(
    lambda fixed: st.dictionaries(st.text(max_size=5), json_values, max_size=2).map(
        lambda extra: {**extra, **fixed}
    )
)


@settings(SETTINGS, max_examples=35)
@given(
    entries=metadata,
    shape=st.sampled_from([([2, 3, 2], "sigmoid"), ([2, 3, 1], "sigmoid"), ([2, 3, 3], None)]),
    data=st.sampled_from(["d.csv", "xor"]),
)
def test_predict_works_with_any_metadata_save_accepts(workspace, entries, shape, data):
    restore_workspace()
    sizes, output = shape
    net = lk.mlp(sizes, output=output, seed=0)
    lk.serialization.save(net, "meta.npz", metadata=entries)
    result = CliRunner().invoke(
        cli, ["predict", "--model", "meta.npz", "--data", data], prog_name="layerkit"
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"predict failed on metadata {entries!r}") from result.exception
    assert result.exit_code == 0, (entries, result.stderr)
    assert len(result.stderr.splitlines()) <= 1
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == (3 if data == "d.csv" else len(lk.datasets.load("xor", seed=0)[0]))
    assert np.all(np.isfinite(np.array([row.split()[0] for row in rows], dtype=float)))
