"""`layerkit train`: the default run, data sets and files, saving, plotting, every error path."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

import layerkit as lk
from layerkit.cli import train_command

from .cli_support import assert_one_line_error


def summary(run) -> dict:
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_default_train_learns_the_half_adder(layerkit):
    result = summary(layerkit("train", "--json"))
    assert result["data"] == "half_adder"
    assert result["layers"] == [2, 3, 2]
    assert (result["activation"], result["output"], result["loss"]) == ("sigmoid", "sigmoid", "l2")
    assert result["final_loss"] < result["initial_loss"] / 100
    assert result["accuracy"] == 1.0
    assert result["seconds"] < 10


def test_no_command_shows_the_help_and_version(layerkit):
    run = layerkit()
    assert run.code == 2 and "Commands:" in run.err and "train" in run.err
    assert layerkit("--version").out == f"layerkit {lk.__version__}\n"
    assert "--layers" in layerkit("train", "--help").out


def test_text_summary_names_loss_accuracy_and_time(layerkit):
    run = layerkit("train", "--epochs", "200")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    log = [line for line in lines if line.startswith("epoch ")]
    # Without a terminal for the bar, the loss is printed ten times (epoch 1, 20, ..., 200).
    assert len(log) == 11 and log[0].startswith("epoch   1/200") and log[-1].startswith("epoch 200")
    losses = [float(line.split()[-1]) for line in log]
    assert losses[-1] < losses[0] / 10
    first, *rest = lines[len(log) :]
    assert first.startswith("trained a 2-3-2 network") and " s" in first
    assert rest[0].startswith("loss") and "→" in rest[0]
    assert rest[1].startswith("accuracy") and "of 4" in rest[1]
    assert rest[2] == "inputs → outputs (targets):"
    assert rest[3].startswith("  [0, 0] → [") and rest[3].endswith("([0, 0])")
    assert run.err == ""  # no progress bar when stderr is not a terminal


def test_same_seed_same_result(layerkit):
    first = summary(layerkit("train", "--json", "--epochs", "50", "--seed", "3"))
    second = summary(layerkit("train", "--json", "--epochs", "50", "--seed", "3"))
    assert first["final_loss"] == second["final_loss"]


@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals", "blobs"])
def test_generated_data_sets(layerkit, name):
    result = summary(
        layerkit("train", "--data", name, "--samples", "60", "--epochs", "60", "--json")
    )
    classes = 3 if name in ("spirals", "blobs") else 2
    assert result["layers"] == [2, 16, classes]
    assert result["samples"] == 60
    assert result["final_loss"] < result["initial_loss"]
    assert 0.0 <= result["accuracy"] <= 1.0


def test_architecture_optimizer_and_dtype_options(layerkit, tmp_path):
    result = summary(
        layerkit(
            "train",
            "--layers", "2,4,4,2",
            "--lr", "0.5",
            "--momentum", "0.5",
            "--epochs", "20",
            "--batch-size", "2",
            "--dtype", "float32",
            "--save", "net.npz",
            "--json",
        )
    )  # fmt: skip
    assert (result["layers"], result["lr"], result["momentum"]) == ([2, 4, 4, 2], 0.5, 0.5)
    assert (result["epochs"], result["batch_size"]) == (20, 2)
    net = lk.serialization.load(tmp_path / "net.npz")
    assert [p.value.dtype for p in net.parameters()] == [np.float32] * 6


def test_activation_options_and_linear_output(layerkit, runtime_plugin, tmp_path):
    from .cli_support import Cube

    runtime_plugin("cubes", cube=Cube)
    result = summary(
        layerkit(
            "train", "--activation", "cube:scale=0.5", "--output", "none", "--lr", "0.01",
            "--momentum", "0", "--epochs", "5", "--save", "cube.npz", "--json",
        )
    )  # fmt: skip
    assert result["activation"] == "cube:scale=0.5" and result["output"] is None
    saved = lk.serialization.read(tmp_path / "cube.npz")
    assert saved.model[1].scale == 0.5 and len(saved.model) == 3


def write_csv(path, header, rows):
    path.write_text(
        ",".join(header) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows)
    )


def test_csv_with_word_labels_trains_a_classifier_and_predicts(layerkit, tmp_path):
    x, labels = lk.datasets.blobs(samples=60, seed=1)
    names = np.array(["red", "green", "blue"])[labels]
    write_csv(tmp_path / "blobs.csv", ["a", "b", "colour"], zip(*x.T, names, strict=True))
    result = summary(
        layerkit("train", "--data", "blobs.csv", "--target", "colour", "--save", "m.npz", "--json")
    )
    assert result["layers"] == [2, 16, 3]
    assert result["accuracy"] > 0.9
    saved = lk.serialization.read(tmp_path / "m.npz")
    assert saved.metadata["classes"] == ["blue", "green", "red"]
    assert saved.metadata["features"] == ["a", "b"]
    predictions = layerkit("predict", "m.npz", "blobs.csv")
    assert predictions.code == 0, predictions.err
    lines = predictions.out.splitlines()
    assert lines[0] == "colour=blue,colour=green,colour=red,predicted colour"
    predicted = [line.rsplit(",", 1)[1] for line in lines[1:]]
    assert np.mean(np.array(predicted) == names) > 0.9


def test_csv_regression_with_several_targets(layerkit, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(40, 3))
    t = np.column_stack([0.5 + 0.3 * x[:, 0], 0.5 - 0.2 * x[:, 1]])
    write_csv(tmp_path / "r.csv", ["p", "q", "r", "u", "v"], np.column_stack([x, t]))
    result = summary(
        layerkit("train", "--data", "r.csv", "--target", "u,v", "--epochs", "100", "--json")
    )
    assert result["layers"] == [3, 16, 2]
    assert result["accuracy"] is None  # regression: no accuracy
    assert result["final_loss"] < result["initial_loss"]


def test_npz_file_with_integer_labels_and_a_single_output(layerkit, tmp_path):
    x, labels = lk.datasets.xor(samples=40, seed=0)
    np.savez(tmp_path / "xor.npz", x=x, y=labels)
    result = summary(layerkit("train", "--data", "xor.npz", "--layers", "2,8,1", "--json"))
    assert result["layers"] == [2, 8, 1]  # two classes, one 0/1 output
    assert result["accuracy"] is not None


def test_cross_entropy_gets_class_labels(layerkit):
    if "cross_entropy" not in lk.losses() or "softmax" not in lk.activations():
        pytest.skip("the first-party loss and activation plugins are not installed")
    result = summary(
        layerkit(
            "train", "--data", "blobs", "--output", "softmax", "--loss", "cross_entropy",
            "--epochs", "30", "--samples", "60", "--json",
        )
    )  # fmt: skip
    assert result["final_loss"] < result["initial_loss"]


def test_save_and_plot(layerkit, tmp_path):
    pytest.importorskip("matplotlib")
    run = layerkit("train", "--epochs", "300", "--save", "h.npz", "--plot", "loss.png")
    assert run.code == 0, run.err
    assert "saved" in run.out and "loss-boundary.png" in run.out
    for name in ("loss.png", "loss-boundary.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    net = lk.serialization.load(tmp_path / "h.npz")
    x, _ = lk.datasets.half_adder()
    assert net(x).shape == (4, 2)


def test_progress_bar_on_a_terminal_and_not_with_quiet(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(train_command, "PROGRESS_INTERVAL", 0.0)  # redraw at every epoch
    net, x, t = lk.mlp([2, 3, 2], seed=0), *lk.datasets.half_adder()
    for quiet, shown in ((False, True), (True, False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        train_command._fit_with_progress(net, x, t, lk.L2Loss(), lk.SGD(0.5), 5, 1, 0, quiet=quiet)
        assert ("loss" in terminal.getvalue()) is shown
        assert ("5/5" in terminal.getvalue()) is shown


# ------------------------------------------------------------------------------ errors
BAD_CSV = "a,b,label\n0,1,x\n1,0\n"
NOT_A_NUMBER = "a,b,label\n0,1,x\n1,oops,y\n"


@pytest.mark.parametrize(
    ("arguments", "fragments", "code"),
    [
        (["--layers", "2,x,2"], ["--layers", "2,x,2"], 2),
        (["--layers", "2"], ["at least two"], 2),
        (["--layers", "2,0,2"], ["positive"], 2),
        (["--layers", "3,3,2"], ["3 inputs", "2 features"], 1),
        (["--layers", "2,3,3"], ["3 outputs", "need 2"], 1),
        (["--activation", "tahn"], ["no activation named 'tahn'", "sigmoid"], 1),
        (["--output", "nope"], ["no activation named 'nope'"], 1),
        (["--loss", "l3"], ["no loss named 'l3'", "l2"], 1),
        (["--activation", "sigmoid:bogus=1"], ["cannot build", "bogus"], 1),
        (["--loss", "l2:=3"], ["--loss"], 2),
        (["--data", "mnist"], ["no data set named 'mnist'", "moons"], 1),
        (["--data", "missing.csv"], ["missing.csv", "not found"], 1),
        (["--data", "bad.csv", "--target", "label"], ["bad.csv, line 3", "expected 3 fields"], 1),
        (["--data", "nan.csv", "--target", "label"], ["line 3", "'oops' is not a number"], 1),
        (["--data", "good.csv", "--target", "colour"], ["no column 'colour'", "a, b, label"], 1),
        (["--data", "good.csv", "--target", "a,b,label"], ["no input features"], 1),
        (["--data", "plain.csv"], ["--target", "a, b, c"], 1),
        (["--data", "empty.csv"], ["empty"], 1),
        (["--data", "blob.npz"], ["cannot be read"], 1),
        (["--lr", "-1"], ["--lr", "-1"], 2),
        (["--lr", "nan"], ["learning rate"], 1),
        (["--momentum", "1"], ["--momentum"], 2),
        (["--epochs", "0"], ["--epochs"], 2),
        (["--batch-size", "x"], ["--batch-size"], 2),
        (["--samples", "10"], ["four samples"], 1),
        (["--data", "moons", "--target", "y"], ["built-in"], 1),
        (["--save", "no/such/dir/m.npz"], ["--save", "does not exist"], 1),
        (["--frobnicate"], ["No such option"], 2),
        (
            ["--data", "blobs", "--output", "none", "--lr", "1e6", "--epochs", "50"],
            ["diverged", "smaller learning rate"],
            1,
        ),
    ],
)
def test_errors_are_one_line(layerkit, tmp_path, arguments, fragments, code):
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    (tmp_path / "nan.csv").write_text(NOT_A_NUMBER)
    (tmp_path / "good.csv").write_text("a,b,label\n0,1,x\n1,0,y\n")
    (tmp_path / "plain.csv").write_text("a,b,c\n0,1,2\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "blob.npz").write_bytes(b"PK\x03\x04 not really a zip")
    assert_one_line_error(layerkit("train", *arguments), *fragments, code=code)


def test_plot_without_matplotlib_is_a_clear_error(layerkit, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    line = assert_one_line_error(layerkit("train", "--plot", "loss.png"), code=1)
    assert 'pip install "layerkit[plot]"' in line
