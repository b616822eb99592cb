"""`layerkit train`: the default run, data sets and files, saving, plotting, every error path.

The end-to-end test of the defaults on every data set, activation and loss is in
`test_cli_train_defaults.py`.
"""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

import layerkit as lk
from layerkit.cli import progress, train_command, train_run

from .cli_support import assert_one_line_error

CLI = pytest.mark.guarantee("command-line")
TRAINING = pytest.mark.guarantee("training")


def summary(run) -> dict:
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_default_train_learns_the_half_adder(layerkit):
    result = summary(layerkit("train", "--json"))
    assert result["data"] == "half_adder"
    assert result["layers"] == [2, 3, 2]
    assert (result["activation"], result["output_activation"], result["loss"]) == (
        "sigmoid",
        "sigmoid",
        "l2",
    )
    assert result["final_loss"] < result["initial_loss"] / 100
    assert result["accuracy"] == 1.0
    assert result["seconds"] < 10


def test_version_and_train_help(layerkit):
    assert layerkit("--version").out == f"layerkit {lk.__version__}\n"
    assert "--layers" in layerkit("train", "--help").out


@CLI
def test_text_summary_names_loss_accuracy_and_time(layerkit):
    run = layerkit("train", "--epochs", "200")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    log = [line for line in lines if line.startswith("epoch ")]
    # Without a terminal for the bar, the loss is printed ten times (epoch 1, 20, ..., 200),
    # named for what it is: the mean over the epoch's steps.
    assert len(log) == 11 and log[0].startswith("epoch   1/200") and log[-1].startswith("epoch 200")
    assert all("epoch-mean loss" in line for line in log)
    losses = [float(line.split()[-1]) for line in log]
    assert losses[-1] < losses[0] / 10
    first, *rest = lines[len(log) :]
    assert first.startswith("trained a 2-3-2 network") and " s" in first
    assert rest[0].startswith("settings") and "epochs 200 (given)" in rest[0]
    assert "lr 2, momentum 0.9, batch 4" in rest[0] and "defaults for half_adder" in rest[0]
    assert rest[1].startswith("loss") and "before training →" in rest[1]
    assert rest[2].startswith("accuracy") and "of 4" in rest[2] and "chance 50.0%" in rest[2]
    assert rest[3].startswith("epoch-mean loss, epochs 1-200")
    assert rest[6] == "inputs → outputs (targets):"
    assert rest[7].startswith("  [0, 0] → [") and rest[7].endswith("([0, 0])")
    assert run.err == ""  # no progress bar when stderr is not a terminal


@CLI
def test_first_progress_line_and_summary_name_their_losses(layerkit):
    """Issue 13: `epoch 1/3000 loss 0.319696` and a start of 0.269902 disagreed unexplained."""
    run = layerkit("train", "--batch-size", "1", "--epochs", "50")
    assert run.code == 0, run.err
    first = next(line for line in run.out.splitlines() if line.startswith("epoch "))
    before = next(line for line in run.out.splitlines() if line.startswith("loss"))
    assert "epoch-mean loss 0.3" in first  # the mean over epoch 1's four steps
    assert "0.269902 before training" in before  # the loss of the untrained network


@CLI
def test_summary_ends_with_a_loss_chart(layerkit):
    run = layerkit("train", "--data", "moons", "--samples", "60", "--epochs", "120")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("epoch-mean loss, epochs"))
    assert lines[title].startswith("epoch-mean loss, epochs 1-120")
    chart, labels = lines[title + 1], lines[title + 2]
    assert len(chart.strip()) == 60 and set(chart.strip()) <= set(progress.BLOCKS)
    assert chart.strip()[0] == "█" and chart.strip()[-1] in "▁▂"
    assert labels.split()[0::2][:3] == ["start", "min", "(epoch"]


def test_same_seed_same_result(layerkit):
    first = summary(layerkit("train", "--json", "--epochs", "50", "--seed", "3"))
    second = summary(layerkit("train", "--json", "--epochs", "50", "--seed", "3"))
    assert first["final_loss"] == second["final_loss"]


@TRAINING
@pytest.mark.parametrize("name", ["xor", "moons", "circles", "spirals", "blobs"])
def test_generated_data_sets(layerkit, name):
    result = summary(layerkit("train", "--data", name, "--samples", "60", "--json"))
    classes = 3 if name in ("spirals", "blobs") else 2
    assert result["layers"] == [2, 16, classes]
    assert result["samples"] == 60
    assert result["final_loss"] < result["initial_loss"] / 5
    assert result["accuracy"] > 0.9 and result["ok"]


def test_architecture_optimizer_and_dtype_options(layerkit, tmp_path):
    result = summary(
        layerkit(
            "train",
            "--layers", "2,4,4,2",
            "--lr", "0.5",
            "--momentum", "0.5",
            "--epochs", "300",
            "--batch-size", "2",
            "--dtype", "float32",
            "--save", "net.npz",
            "--json",
        )
    )  # fmt: skip
    assert (result["layers"], result["lr"], result["momentum"]) == ([2, 4, 4, 2], 0.5, 0.5)
    assert (result["epochs"], result["batch_size"]) == (300, 2)
    net = lk.serialization.load(tmp_path / "net.npz")
    assert [p.value.dtype for p in net.parameters()] == [np.float32] * 6


def test_activation_options_and_linear_output(layerkit, runtime_plugin, tmp_path):
    from .cli_support import Cube

    runtime_plugin("cubes", cube=Cube)
    result = summary(
        layerkit(
            "train", "--activation", "cube:scale=0.5", "--output-activation", "none",
            "--save", "cube.npz", "--json",
        )
    )  # fmt: skip
    assert result["activation"] == "cube:scale=0.5" and result["output_activation"] is None
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
    predictions = layerkit("predict", "--model", "m.npz", "--data", "blobs.csv", "-o", "p.csv")
    assert predictions.code == 0, predictions.err
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0].endswith(",predicted colour")
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
            "train", "--data", "blobs", "--output-activation", "softmax", "--loss",
            "cross_entropy", "--epochs", "30", "--samples", "60", "--json",
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

    monkeypatch.setattr(progress, "PROGRESS_INTERVAL", 0.0)  # redraw at every epoch
    for quiet, shown in ((False, True), (True, False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        report, bar = progress.epoch_reporter(5, quiet=quiet)
        with bar:
            for epoch in range(1, 6):
                report(epoch, 1.0 / epoch)
        assert ("epoch-mean loss 0.2" in terminal.getvalue()) is shown
        assert ("5/5" in terminal.getvalue()) is shown


# ------------------------------------------------------------------------------ errors
BAD_CSV = "a,b,label\n0,1,x\n1,0\n"
NOT_A_NUMBER = "a,b,label\n0,1,x\n1,oops,y\n"


@CLI
@pytest.mark.parametrize(
    ("arguments", "fragments", "code"),
    [
        (["--layers", "2,x,2"], ["--layers", "2,x,2"], 2),
        (["--layers", "2"], ["at least two"], 2),
        (["--layers", "2,0,2"], ["positive"], 2),
        (["--layers", "3,3,2"], ["3 inputs", "2 features"], 2),
        (["--layers", "2,3,3"], ["3 outputs", "need 2"], 2),
        (["--layers", "2,99999999999,2"], ["--layers", "at most"], 2),
        (["--layers", "2,5000,5000,5000,2"], ["--layers", "parameters"], 2),
        (["--activation", "tahn"], ["--activation", "no activation named 'tahn'", "sigmoid"], 2),
        (["--output-activation", "nope"], ["no activation named 'nope'"], 2),
        (["--output", "sigmoid"], ["No such option", "--output"], 2),
        (["--loss", "l3"], ["--loss", "no loss named 'l3'", "l2"], 2),
        (["--activation", "sigmoid:bogus=1"], ["cannot build", "bogus"], 2),
        (["--loss", "l2:bogus=1"], ["cannot build", "bogus"], 2),
        (["--loss", "l2:=3"], ["--loss"], 2),
        (["--data", "mnist"], ["--data", "no data set named 'mnist'", "moons"], 2),
        (["--data", "missing.csv"], ["missing.csv", "not found"], 1),
        (["--data", ""], ["--data", "no data set named ''"], 2),
        (["--data", "Spiral"], ["--data", "did you mean 'spirals'?"], 2),
        (["--data", "adir"], ["adir is a directory"], 1),
        (["--data", "bad.csv", "--target", "label"], ["bad.csv, line 3", "expected 3 fields"], 1),
        (["--data", "nan.csv", "--target", "label"], ["line 3", "'oops' is not a number"], 1),
        (["--data", "good.csv", "--target", "colour"], ["no column 'colour'", "a, b, label"], 1),
        (["--data", "good.csv", "--target", "a,b,label"], ["no input features"], 1),
        (["--data", "plain.csv"], ["--target", "a, b, c"], 1),
        (["--data", "empty.csv"], ["empty"], 1),
        (["--data", "blob.npz"], ["cannot be read"], 1),
        (["--data", "good.csv", "--samples", "10"], ["--samples", "built-in"], 2),
        # Issue 12 item 12: each of these was a traceback or was accepted.
        (["--seed", "-1"], ["--seed", "-1"], 2),
        (["--seed", "99999999999999999999"], ["--seed"], 2),
        (["--samples", "100000000000"], ["--samples"], 2),
        (["--data", "moons", "--samples", "100000000000"], ["--samples"], 2),
        (["--epochs", str(10**30)], ["--epochs"], 2),
        (["--epochs", "0"], ["--epochs"], 2),
        (["--lr", "-1"], ["--lr", "-1"], 2),
        (["--lr", "0"], ["--lr", "0 < x"], 2),
        (["--lr", "nan"], ["--lr", "finite"], 2),
        (["--lr", "inf"], ["--lr", "finite"], 2),
        (["--lr", "1e400"], ["--lr", "finite"], 2),
        (["--momentum", "1"], ["--momentum"], 2),
        (["--momentum", "nan"], ["--momentum"], 2),
        (["--batch-size", "0"], ["--batch-size"], 2),
        (["--batch-size", "x"], ["--batch-size"], 2),
        (
            [
                "--data",
                "blobs",
                "--samples",
                "1000000",
                "--layers",
                "2,10000,3",
                "--batch-size",
                "1000000",
            ],
            ["--batch-size", "memory"],
            2,
        ),
        (["--validation", "0"], ["--validation"], 2),
        (["--validation", "1"], ["--validation"], 2),
        (["--validation", "nan"], ["--validation"], 2),
        (["--validation", "0.1"], ["--validation", "holds out 0"], 2),
        (["--samples", "10"], ["four samples"], 2),
        (["--data", "moons", "--target", "y"], ["--target", "built-in"], 2),
        (["--data", "moons", "--task", "regression"], ["--task", "built-in"], 2),
        (["--save", "no/such/dir/m.npz"], ["--save", "does not exist"], 1),
        (["--plot", "loss.txt"], ["--plot", "PNG", "loss.txt"], 2),
        (["--plot", "loss"], ["--plot", "PNG"], 2),
        (["--data", "good.csv", "--save", "./good.csv"], ["--save", "overwrite", "--data"], 2),
        (["--save", "l.png", "--plot", "l.png"], ["--plot", "overwrite", "--save"], 2),
        (["--save", "l-boundary.png", "--plot", "l.png"], ["--plot", "boundary"], 2),
        (["--frobnicate"], ["No such option"], 2),
    ],
)
def test_errors_are_one_line(layerkit, tmp_path, arguments, fragments, code):
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    (tmp_path / "nan.csv").write_text(NOT_A_NUMBER)
    (tmp_path / "good.csv").write_text("a,b,label\n0,1,x\n1,0,y\n")
    (tmp_path / "plain.csv").write_text("a,b,c\n0,1,2\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "blob.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "adir").mkdir()
    assert_one_line_error(layerkit("train", *arguments), *fragments, code=code)


def test_plot_without_matplotlib_is_a_clear_error(layerkit, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    line = assert_one_line_error(layerkit("train", "--plot", "loss.png"), code=1)
    assert f"{sys.executable} -m pip install matplotlib" in line


# ------------------------------------------------------------- losses that do not fit
@CLI
@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (
            ["--loss", "cross_entropy"],
            ["half_adder has 2 independent 0/1 targets per sample (multi-label)",
             "use binary_cross_entropy or l2"],
        ),
        (["--loss", "cross_entropy", "--data", "r.csv"], ["regression", "use l2, l1 or huber"]),
        (["--loss", "binary_cross_entropy", "--data", "r.csv"], ["regression", "[0, 1]"]),
        (["--data", "r.csv", "--output-activation", "sigmoid"], ["range from", "none"]),
        (
            ["--data", "blobs", "--loss", "cross_entropy", "--output-activation", "sigmoid"],
            ["sum to 1", "softmax"],
        ),
        (
            ["--data", "blobs", "--loss", "cross_entropy", "--output-activation", "none"],
            ["probabilities", "from_logits=true"],
        ),
        (
            ["--data", "blobs", "--loss", "cross_entropy:from_logits=true",
             "--output-activation", "softmax"],
            ["linear output", "none"],
        ),
        (["--loss", "binary_cross_entropy", "--output-activation", "tanh"], ["probabilities"]),
        (["--output-activation", "softmax"], ["independent 0/1", "sigmoid"]),
        (["--data", "moons", "--layers", "2,8,1", "--output-activation", "softmax"],
         ["one output"]),
    ],
)  # fmt: skip
def test_a_loss_that_does_not_fit_the_targets_is_refused_up_front(
    layerkit, tmp_path, arguments, fragments
):
    """Issue 13: `--loss cross_entropy` on the half adder printed accuracy 0.0%, exit 0."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(20, 2))
    write_csv(tmp_path / "r.csv", ["p", "q", "y"], np.column_stack([x, 3 * x[:, 0]]))
    run = layerkit("train", "--save", "m.npz", *arguments)
    assert_one_line_error(run, *fragments, code=2)
    assert run.out == "" and not (tmp_path / "m.npz").exists()


# ---------------------------------------------------------------- training that fails
def failed(run, *fragments):
    line = assert_one_line_error(run, "training failed", *fragments, code=1)
    assert line.startswith("layerkit: error: ")
    return line


@TRAINING
@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--data", "blobs", "--output-activation", "none", "--lr", "1e6", "--epochs", "50"],
         ["diverged", "lower --lr (now 1e+06), e.g. --lr 1e+05"]),
        (["--data", "blobs", "--lr", "1e6", "--epochs", "5"], ["loss rose", "lower --lr"]),
        (["--epochs", "1", "--lr", "0.0001"], ["no better than chance", "--epochs, now 1"]),
        (["--data", "spirals", "--samples", "60", "--epochs", "1", "--lr", "1e-6"],
         ["no better than chance"]),
    ],
)  # fmt: skip
def test_failed_training_exits_1_and_writes_nothing(layerkit, tmp_path, arguments, fragments):
    """Issue 12 item 14: train exited 1 after writing the model and the plot."""
    pytest.importorskip("matplotlib")
    run = layerkit("train", *arguments, "--save", "m.npz", "--plot", "loss.png")
    line = failed(run, *fragments)
    assert "did not write m.npz or loss.png" in line
    assert "\ntraining FAILED for a" in "\n" + run.out
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no model, plot or temporary file


@TRAINING
def test_a_failure_on_large_inputs_suggests_scaling_them(layerkit, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1000, size=(100, 2))
    labels = (x[:, 0] > x[:, 1]).astype(int)
    write_csv(tmp_path / "big.csv", ["a", "b", "label"], zip(*x.T, labels, strict=True))
    line = failed(
        layerkit("train", "--data", "big.csv", "--epochs", "1", "--lr", "1e-9", "--save", "m.npz")
    )
    assert "the inputs reach 99" in line and "scaling them" in line
    assert not (tmp_path / "m.npz").exists()


@TRAINING
def test_readme_spirals_command_without_a_learning_rate_now_learns(layerkit):
    """Issue 13: without --lr 0.1 --momentum 0.9 it ended at 1.10555 → 16.8664, exit 0."""
    result = summary(
        layerkit(
            "train", "--data", "spirals", "--layers", "2,32,32,3", "--activation", "tanh",
            "--output-activation", "none", "--loss", "cross_entropy:from_logits=true",
            "--json",
        )
    )  # fmt: skip
    assert result["lr"] == 0.1 and "lr" in result["defaults"]
    assert result["final_loss"] < result["initial_loss"] / 10 and result["accuracy"] > 0.95


@TRAINING
@pytest.mark.parametrize(
    "arguments",
    [
        ["--loss", "binary_cross_entropy"],  # went 1.47 → 8.06 with exit 0
        ["--data", "moons", "--activation", "tanh"],  # went 0.72 → 2.01 with exit 0
        ["--data", "blobs", "--loss", "cross_entropy"],  # accuracy 0% with a sigmoid output
        ["--data", "xor", "--output-activation", "softmax", "--activation", "softplus"],
    ],
)
def test_the_issues_failed_runs_now_learn_with_the_defaults(layerkit, arguments):
    result = summary(layerkit("train", *arguments, "--json"))
    assert result["ok"] and result["final_loss"] < result["initial_loss"] / 5
    assert result["accuracy"] > 0.9


@TRAINING
def test_a_summed_loss_gets_a_rate_divided_by_the_batch_size(layerkit):
    """l2:reduction=sum took the mean's lr 1 with 16 times its gradient: the loss rose."""
    result = summary(
        layerkit("train", "--data", "moons", "--samples", "40", "--loss", "l2:reduction=sum",
                 "--json")
    )  # fmt: skip
    assert result["lr"] == 1 / 16 and result["ok"] and result["accuracy"] > 0.9
    assert result["defaults_reason"].endswith("divided by the batch size for reduction=sum")


@TRAINING
@pytest.mark.parametrize("samples", ["1", "2", "5"])
def test_a_tiny_sample_keeps_every_class_of_the_data_set(layerkit, samples):
    """One sample of xor was one class: a 2-16-1 network that the verdict failed."""
    for data, classes in (("xor", 2), ("spirals", 3)):
        result = summary(layerkit("train", "--data", data, "--samples", samples, "--json"))
        assert result["layers"] == [2, 16, classes] and result["ok"]


@CLI
def test_default_output_activation_follows_the_loss(layerkit):
    def output(*arguments):
        return summary(layerkit("train", "--epochs", "50", *arguments, "--json", "--data",
                                "blobs", "--samples", "30"))  # fmt: skip

    assert output()["output_activation"] == "sigmoid"
    assert output("--loss", "cross_entropy")["output_activation"] == "softmax"
    assert output("--loss", "cross_entropy:from_logits=true")["output_activation"] is None
    assert output("--loss", "l1")["output_activation"] is None
    assert "output_activation" in output("--loss", "l1")["defaults"]


@CLI
def test_help_says_how_each_default_is_chosen(layerkit):
    text = " ".join(layerkit("train", "--help").out.split())
    for fragment in (
        "[default: for sgd, chosen from the data set",
        "softmax for cross_entropy",
        "[default: 0.9 for sgd",
        "[default: sgd, with --momentum 0.9]",
        "0.03 for adam, adamw and rmsprop, 0.3 for adagrad",
        "--metrics NAMES",
        "--patience INTEGER RANGE",
        "[default: 1000 for half_adder",
        "[default: 4 (all) for half_adder, else 16]",
        "[default: half_adder]",
        "--output-activation",
    ):
        assert fragment in text, fragment


@CLI
def test_save_directory_not_writable_is_refused_before_training(layerkit, monkeypatch):
    monkeypatch.setattr(train_command.os, "access", lambda path, mode: False)
    run = layerkit("train", "--save", "m.npz")
    assert_one_line_error(run, "--save", "cannot write", "permission denied", code=1)
    assert run.out == ""  # refused before the first epoch


# ----------------------------------------------------------------------- validation
@TRAINING
def test_validation_holds_out_a_stratified_seeded_share(layerkit):
    first = summary(layerkit("train", "--data", "moons", "--validation", "0.25", "--json"))
    assert (first["training_samples"], first["held_out_samples"]) == (150, 50)
    assert first["held_out_accuracy"] > 0.9 and first["held_out_loss"] > 0
    again = summary(layerkit("train", "--data", "moons", "--validation", "0.25", "--json"))
    assert again["held_out_loss"] == first["held_out_loss"]
    other = summary(
        layerkit("train", "--data", "moons", "--validation", "0.25", "--seed", "1", "--json")
    )
    assert other["held_out_loss"] != first["held_out_loss"]


@TRAINING
def test_validation_split_has_every_class_in_proportion():
    data = train_command.load_dataset("spirals", samples=90, seed=0)
    training, held = train_run._split(data, 0.2, seed=0)
    assert np.bincount(data.labels[held]).tolist() == [6, 6, 6]
    assert np.intersect1d(training, held).size == 0 and len(training) + len(held) == 90


@CLI
def test_text_summary_labels_training_and_held_out_numbers(layerkit):
    run = layerkit("train", "--data", "blobs", "--samples", "60", "--validation", "0.5")
    assert run.code == 0, run.err
    rows = {line.split("   ")[0]: line for line in run.out.splitlines()}
    assert "(training data)" in rows["loss"] and "of the training data" in rows["accuracy"]
    assert "of 30) of the held-out data" in rows["held-out accuracy"]
    assert "not trained on" in rows["held-out loss"]
