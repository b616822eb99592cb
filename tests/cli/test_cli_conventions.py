"""One command line: the same option names, the exit-code rule, defaults in --help, no tracebacks.

The conventions (docs/cli.md): ``--model PATH`` reads a saved model, ``--data NAME|FILE``,
``--output-activation`` for the output units, ``-o/--output FILE`` for the file written; exit
status 0 on success, 2 for a usage error (one line ``layerkit CMD: error: ...``), 1 for
everything else (one line ``layerkit: error: ...``).
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pytest

import layerkit as lk
from layerkit.cli.commands import cli
from layerkit.cli.options import DATA

from .cli_support import assert_one_line_error

pytestmark = pytest.mark.guarantee("command-line")

MY_COMMANDS = ("explain", "predict", "draw")


@pytest.fixture
def model_file(tmp_path):
    """A 2-3-2 sigmoid network saved as m.npz in the test's directory."""
    lk.serialization.save(lk.mlp([2, 3, 2], seed=0), tmp_path / "m.npz")
    return tmp_path / "m.npz"


# ------------------------------------------------------------------ values refused up front
@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["explain", "--seed", "-1"], ["--seed", "-1"]),  # was a NumPy ValueError traceback
        (["explain", "--seed", "1.5"], ["--seed"]),
        (["explain", "--loss", "huber:delta=1" + "0" * 400], ["--loss", "401 digits"]),
        (["explain", "--activation", "leaky_relu:slope=nan"], ["finite"]),
        (["explain", "--activation", "leaky_relu:slope=-inf"], ["finite"]),
        (["explain", "--activation", "leaky_relu:slope="], ["a value after '='"]),
        (["explain", "--activation", "leaky_relu:slope=a=b"], ["NAME:OPTION=VALUE"]),
        (["explain", "--activation", "leaky_relu:slope=1,slope=2"], ["'slope' is given twice"]),
        (["explain", "--activation", "leaky_relu:1x=1"], ["NAME:OPTION=VALUE"]),
        (["explain", "--activation", "leaky_relu:bogus=1"], ["bogus"]),
        (["explain", "--activation", ":slope=1"], ["expected a name"]),
        (["explain", "--activation", "none"], ["only for --output-activation"]),
        (["explain", "--loss", "l2:reduction=bogus"], ["--loss", "bogus"]),
        (["draw", "--activation", "leaky_relu:slope=-1"], ["--activation", "slope"]),
        (["explain", "--input", "nan,1"], ["--input", "finite"]),
        (["explain", "--input", "1e400,1"], ["--input", "finite"]),
        (["explain", "--input", ""], ["--input"]),
        (["draw", "--max-units", "1000000"], ["--max-units"]),
        (["predict", "--model", "", "--data", "xor"], ["--model", "a file name"]),
        (["draw", "-o", ""], ["--output", "a file name"]),
    ],
)
def test_bad_values_are_usage_errors(layerkit, arguments, fragments):
    assert_one_line_error(
        layerkit(*arguments), f"layerkit {arguments[0]}: error:", *fragments, code=2
    )


@pytest.mark.parametrize("command", ["explain", "draw"])
@pytest.mark.parametrize(
    ("sizes", "fragment"),
    [
        ("2,99999999999,2", "499,999,999,997 weights and biases"),  # was a MemoryError
        ("2", "at least two"),
        (",", "at least two"),
        ("2,-3", "positive"),
        ("2,3,2,", "at least two"),
        (",".join(["2"] * 1001), "at most 1000"),
    ],
)
def test_layer_sizes_are_checked_and_capped(layerkit, command, sizes, fragment):
    assert_one_line_error(layerkit(command, "--layers", sizes), "--layers", fragment, code=2)


@pytest.mark.parametrize(
    ("arguments", "suggestion"),
    [
        (["explain", "--activation", "relux"], "Did you mean 'relu'?"),
        (["explain", "--output-activation", "sigmoit"], "Did you mean 'sigmoid'?"),
        (["explain", "--loss", "l3"], "no loss named 'l3'"),
        (["draw", "--activation", "tanhh"], "Did you mean 'tanh'?"),
        (["predict", "--model", "m.npz", "--data", "spiral"], "Did you mean 'spirals'?"),
    ],
)
def test_a_misspelled_name_is_a_usage_error_with_a_suggestion(
    layerkit, model_file, arguments, suggestion
):
    # Exit 1, without the option's name, before: the registry's error went through as a
    # LayerkitError.
    assert_one_line_error(layerkit(*arguments), suggestion, code=2)


def test_an_unknown_name_reaching_a_command_is_still_a_usage_error(layerkit, monkeypatch):
    """Whatever command looks a name up late, the group reports it as that command's usage."""
    from layerkit.cli import explain_command

    def unknown(*args, **kwargs):
        raise lk.errors.UnknownComponentError("no activation named 'x'")

    monkeypatch.setattr(explain_command, "_network", unknown)
    run = layerkit("explain", "--seed", "1")
    assert_one_line_error(run, "layerkit explain: error: no activation named 'x'", code=2)


# ------------------------------------------------------------- options that do not apply
@pytest.mark.parametrize(
    ("arguments", "refused"),
    [
        (["draw", "--model", "m.npz", "--activation", "leaky_relu:slope=0.1"], "--activation"),
        (["draw", "--model", "m.npz", "--output-activation", "none"], "--output-activation"),
        (["draw", "--model", "m.npz", "--layers", "2,3,2"], "--layers"),
        (["explain", "--model", "m.npz", "--layers", "2,3,2"], "--layers"),
        (["explain", "--model", "m.npz", "--activation", "tanh"], "--activation"),
        (["explain", "--model", "m.npz", "--input", "1,0", "--target", "0,1", "--seed", "3"],
         "--seed"),
        (["explain", "--format", "json", "--precision", "3"], "--precision"),
        (["explain", "--format", "json", "--full"], "--full"),
    ],
)  # fmt: skip
def test_options_that_do_not_apply_are_refused(layerkit, model_file, arguments, refused):
    # Before: silently ignored (draw drew the model, explain printed every digit of JSON).
    assert_one_line_error(layerkit(*arguments), f"{refused} does not apply", code=2)


def test_the_same_option_at_its_default_value_is_still_refused(layerkit, model_file):
    run = layerkit("draw", "--model", "m.npz", "--activation", "sigmoid")
    assert_one_line_error(run, "--activation does not apply with --model", code=2)


def test_seed_applies_with_a_model_when_something_is_drawn(layerkit, model_file):
    first = layerkit("explain", "--model", "m.npz", "--seed", "3", "--format", "json")
    second = layerkit("explain", "--model", "m.npz", "--seed", "4", "--format", "json")
    assert first.code == second.code == 0, first.err + second.err
    assert first.out != second.out  # the input is drawn from the seed


# ---------------------------------------------------------------------- option names
def test_output_means_the_file_written_in_every_command(layerkit, model_file, tmp_path):
    run = layerkit("draw", "--output", "net.svg")
    assert run.code == 0, run.err  # was: "no activation named 'net.svg'"
    assert (tmp_path / "net.svg").read_text().startswith("<svg")
    run = layerkit("predict", "--model", "m.npz", "--data", "xor", "-o", "p.csv")
    assert run.code == 0, run.err
    assert (tmp_path / "p.csv").read_text().startswith("y1,y2\n")


@pytest.mark.parametrize("command", MY_COMMANDS)
def test_model_is_an_option_and_activation_options_are_named_alike(command):
    options = {name for param in cli.commands[command].params for name in param.opts}
    assert "--model" in options
    assert "--output" not in options or "-o" in options  # --output is a file, with -o
    if command != "predict":
        assert {"--activation", "--output-activation"} <= options
    arguments = [p for p in cli.commands[command].params if isinstance(p, click.Argument)]
    assert arguments == []  # nothing positional


# ------------------------------------------------------------------------------- help
def test_help_shows_every_default(layerkit):
    group = click.Context(cli, info_name="layerkit", **cli.context_settings)
    for command in MY_COMMANDS:
        context = click.Context(cli.commands[command], parent=group, info_name=command)
        for param in cli.commands[command].params:
            if not isinstance(param, click.Option) or (param.is_flag and param.name != "labels"):
                continue
            record = param.get_help_record(context)
            assert record is not None
            text = record[1]
            says = ("[default:", "[required]", "instead of")
            assert any(word in text for word in says), f"{command} {param.opts}: {text!r}"


def test_top_level_help_does_not_truncate_command_descriptions(layerkit):
    run = layerkit("--help")
    assert run.code == 0
    commands = run.out[run.out.index("Commands:") :]
    assert "..." not in commands  # click cuts a description at 45 characters with "..."
    text = " ".join(commands.split())
    for command in cli.commands.values():
        first_sentence = command.help.split(".")[0].split("\n")[0]
        assert " ".join(first_sentence.split()) in text


def test_layerkit_alone_shows_the_help_and_succeeds(layerkit):
    run = layerkit()
    assert run.code == 0  # click's default was exit 2
    assert run.out.startswith("Usage: layerkit") and "Commands:" in run.out
    assert run.err == ""


# ---------------------------------------------------------------------- exit code rule
def test_a_missing_file_is_exit_1_not_a_usage_error(layerkit):
    run = layerkit("draw", "--model", "missing.npz")
    assert_one_line_error(run, "layerkit: error:", "missing.npz", code=1)


def test_a_directory_given_as_a_model_is_exit_1(layerkit, tmp_path):
    (tmp_path / "folder").mkdir()
    run = layerkit("explain", "--model", "folder")
    assert_one_line_error(run, "layerkit: error:", "folder", code=1)


def test_a_very_long_file_name_is_shortened_in_the_message(layerkit):
    run = layerkit("draw", "--model", "x" * 5000 + ".npz")
    line = assert_one_line_error(run, "layerkit: error:", code=1)
    assert len(line) < 300


# ------------------------------------------------------------------------------ explain
@pytest.fixture
def wide_model(tmp_path):
    """The issue's 2-32-32-3 network, saved as wide.npz."""
    net = lk.mlp([2, 32, 32, 3], "tanh", seed=0)
    lk.serialization.save(net, tmp_path / "wide.npz")
    return net


def test_explain_summarises_large_layers_in_lines_of_at_most_100_columns(layerkit, wide_model):
    run = layerkit("explain", "--model", "wide.npz")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert max(map(len, lines)) <= 100  # was 523
    assert len(lines) < 70  # was 162
    assert "32×32, norm" in run.out and "first row [" in run.out
    norm = np.linalg.norm(wide_model[2].W)
    assert f"norm {lk.cli.render.number(norm, 4)}" in run.out


def test_explain_full_prints_every_number(layerkit, wide_model):
    run = layerkit("explain", "--model", "wide.npz", "--full")
    assert run.code == 0, run.err
    row = lk.cli.render.matrix_lines(wide_model[2].W)[5]
    assert row in run.out  # a whole row of 32 numbers
    markdown = layerkit("explain", "--model", "wide.npz", "--format", "markdown")
    assert max(map(len, markdown.out.splitlines())) < 400  # summarised, too
    assert row not in markdown.out


def test_explain_keeps_the_worked_example_in_full(layerkit):
    run = layerkit("explain")
    assert "[0.3775, 0.3425, 0.3075]" in run.out and "norm" not in run.out


def test_a_target_the_loss_cannot_take_is_a_usage_error(layerkit):
    if "binary_cross_entropy" not in lk.losses():
        pytest.skip("the first-party plugins are not installed")
    run = layerkit("explain", "--loss", "binary_cross_entropy", "--target", "2,3")
    assert_one_line_error(run, "'--target'", "[0, 1]", code=2)


def test_an_input_a_float32_model_cannot_hold_is_a_usage_error(layerkit, tmp_path):
    net = lk.mlp([2, 3, 2], seed=0, dtype=np.float32)
    lk.serialization.save(net, tmp_path / "f32.npz")
    # Before: NumPy's RuntimeWarning with its source line, then a NonFiniteError (exit 1).
    run = layerkit("explain", "--model", "f32.npz", "--input", "1e300,1")
    assert_one_line_error(run, "'--input'", "float32", code=2)
    run = layerkit("explain", "--model", "f32.npz", "--target", "1e39,0")
    assert_one_line_error(run, "'--target'", "float32", code=2)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_not_read_as_data():
    # Read line by line, /dev/zero's one endless line would fill the memory.
    with pytest.raises(click.BadParameter, match="is a device, not a data file"):
        DATA.convert("/dev/zero", None, None)
    assert DATA.convert("spirals", None, None) == "spirals"
    with pytest.raises(click.BadParameter, match="Did you mean 'spirals'"):
        DATA.convert("spiral", None, None)


def test_predict_model_data_positionally_says_how_to_write_it(layerkit, model_file):
    run = layerkit("predict", "m.npz", "new data.csv")
    assert_one_line_error(
        run, "layerkit predict --model m.npz --data 'new data.csv'", code=2
    )  # click said only: Missing option '--model'


def test_an_output_inside_a_file_says_the_file_is_not_a_directory(layerkit, tmp_path):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    run = layerkit("draw", "-o", "d.csv/net.svg")  # said: the directory 'd.csv' does not exist
    assert_one_line_error(run, "--output", "'d.csv' is not a directory", code=1)
