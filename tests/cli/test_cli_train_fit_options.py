"""`layerkit train --optimizer`, `--metrics`, `--patience`, and `--validation` through fit.

Each new option is checked before any work (a bad one is a usage error, exit 2, one line),
and what the summary prints is what happened: the optimizer and its options, each metric
after training on the same data as the accuracy row, the epoch early stopping kept.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import layerkit as lk

from .cli_support import assert_one_line_error

CLI = pytest.mark.guarantee("command-line")


def summary(run) -> dict:
    assert run.code == 0, run.err
    return json.loads(run.out)


def needs(*names: str) -> None:
    """Skip without the optimizers of the first-party plugin layerkit-optimizers."""
    missing = [name for name in names if name not in lk.optimizers()]
    if missing:
        pytest.skip(f"no optimizer {', '.join(missing)} registered (layerkit-optimizers)")


# ------------------------------------------------------------------------------ --optimizer
def test_the_default_optimizer_is_sgd_with_momentum(layerkit):
    result = summary(layerkit("train", "--json"))
    assert (result["optimizer"], result["momentum"]) == ("sgd", 0.9)
    assert result["optimizer_options"] == {"lr": 2.0, "momentum": 0.9}
    assert {"optimizer", "lr", "momentum"} <= set(result["defaults"])


def test_sgd_options_in_the_spec(layerkit):
    result = summary(layerkit("train", "--optimizer", "sgd:momentum=0.5,lr=3", "--json"))
    assert (result["lr"], result["momentum"]) == (3.0, 0.5)
    assert not {"optimizer", "lr", "momentum"} & set(result["defaults"])
    text = layerkit("train", "--optimizer", "sgd:momentum=0.5,lr=3", "-q").out
    assert "sgd, lr 3, momentum 0.5, epochs" not in text  # epochs were not given
    assert "sgd, lr 3, momentum 0.5 (given); epochs 1000" in text


def test_another_optimizer_with_its_default_rate_and_options(layerkit):
    needs("adam")
    result = summary(layerkit("train", "--data", "xor", "--optimizer", "adam:eps=1e-7", "--json"))
    assert result["ok"] and result["optimizer"] == "adam:eps=1e-07"
    assert result["lr"] == 0.03 and result["momentum"] is None
    assert result["optimizer_options"] == {"eps": 1e-7, "lr": 0.03}
    assert "lr" in result["defaults"] and "momentum" not in result["defaults"]
    plain = layerkit("train", "--data", "xor", "--optimizer", "adam", "--epochs", "5", "-q").out
    assert "settings   adam, epochs 5 (given); lr 0.03, batch 16" in plain
    text = layerkit("train", "--data", "xor", "--optimizer", "adam:eps=1e-7", "-q").out
    settings = next(line for line in text.splitlines() if line.startswith("settings"))
    assert "adam:eps=1e-07 (given); lr 0.03, epochs 300" in settings
    assert "defaults for adam on xor with a sigmoid output" in settings
    assert "momentum" not in settings


def test_a_summed_loss_keeps_an_adaptive_rate(layerkit):
    needs("adam")
    adam = summary(layerkit("train", "--optimizer", "adam", "--loss", "l2:reduction=sum", "--json"))
    sgd = summary(layerkit("train", "--loss", "l2:reduction=sum", "--json"))
    assert adam["lr"] == 0.03 and sgd["lr"] == 2.0 / 4  # SGD's divided by the batch of 4


def test_an_optimizer_that_takes_momentum_gets_the_flag(layerkit):
    needs("rmsprop")
    result = summary(layerkit("train", "--optimizer", "rmsprop", "--momentum", "0.5", "--json"))
    assert result["momentum"] == 0.5 and result["optimizer_options"]["momentum"] == 0.5


@CLI
@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["--optimizer", "sgd:lr=0.1", "--lr", "0.2"], ["--lr and lr=", "both set the learning"]),
        (["--optimizer", "sgd:momentum=0.1", "--momentum", "0.2"], ["both set the momentum"]),
        (["--optimizer", "sgdd"], ["--optimizer", "no optimizer named 'sgdd'", "'sgd'"]),
        (["--optimizer", "sgd:lr=-1"], ["--optimizer", "lr"]),
        (["--optimizer", "sgd:speed=2"], ["--optimizer", "speed"]),
        (["--optimizer", "sgd:momentum"], ["--optimizer", "adam:lr=0.001"]),
    ],
)
def test_optimizer_usage_errors(layerkit, arguments, fragments):
    run = layerkit("train", *arguments)
    assert_one_line_error(run, *fragments, code=2)
    assert run.out == ""


@CLI
def test_momentum_for_an_optimizer_without_one_is_a_usage_error(layerkit):
    needs("adam")
    run = layerkit("train", "--optimizer", "adam", "--momentum", "0.9")
    assert_one_line_error(run, "--momentum does not apply to the optimizer 'adam'", code=2)


# ------------------------------------------------------------------------------ --metrics
@CLI
def test_metrics_each_epoch_and_after_training(layerkit):
    arguments = ["train", "--data", "moons", "--samples", "60", "--epochs", "30"]
    result = summary(layerkit(*arguments, "--metrics", "accuracy,mse", "--validation", "0.25",
                              "--json"))  # fmt: skip
    logs = result["epoch_logs"]
    assert list(logs) == ["accuracy", "mse", "val_loss", "val_accuracy", "val_mse"]
    assert all(len(values) == 30 for values in logs.values())
    # after training, on the same data as the accuracy rows: the same numbers
    assert result["metrics"]["accuracy"] == pytest.approx(result["accuracy"])
    assert result["held_out_metrics"]["accuracy"] == pytest.approx(result["held_out_accuracy"])
    # the last epoch's val_loss is the held-out loss: the same weights, the same samples
    assert logs["val_loss"][-1] == pytest.approx(result["held_out_loss"])

    text = layerkit(*arguments, "--metrics", "accuracy,mse").out.splitlines()
    log = [line for line in text if line.startswith("epoch ")]
    assert "   accuracy " in log[0] and "   mse " in log[-1]
    rows = [line for line in text if "(metric)" in line]
    assert [row.split()[0] for row in rows] == ["accuracy", "mse"]
    assert all("on the training data" in row for row in rows)


def test_the_accuracy_metric_counts_samples_as_the_accuracy_row_does(layerkit):
    """The half adder's two outputs: a sample is right with both (exact_match), and a loss on
    logits flips at 0, as the accuracy row counts."""
    losses = ["l2", "binary_cross_entropy:from_logits=true"]
    if "binary_cross_entropy" not in lk.losses():
        losses = losses[:1]
    for loss in losses:
        for epochs in ("20", "50"):  # part-way: some samples have one output right, not both
            run = layerkit("train", "--loss", loss, "--epochs", epochs, "--metrics", "accuracy",
                           "--json")  # fmt: skip
            result = json.loads(run.out)  # passed or failed, the numbers are the same record
            assert result["metrics"]["accuracy"] == result["accuracy"], (loss, epochs)


@CLI
@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ("nothing_like_it", ["--metrics", "no metric named 'nothing_like_it'"]),
        ("accuracy,,mse", ["--metrics", "comma-separated metric names"]),
        ("mse,mse", ["--metrics", "'mse' is given twice"]),
    ],
)
def test_metrics_usage_errors(layerkit, value, fragments):
    assert_one_line_error(layerkit("train", "--metrics", value), *fragments, code=2)


@CLI
def test_a_metric_that_cannot_measure_the_targets_is_a_usage_error(layerkit, tmp_path):
    rows = "".join(f"{x:.2f},{0.5 + x / 4:.3f}\n" for x in np.linspace(-1, 1, 12))
    (tmp_path / "r.csv").write_text("x,y\n" + rows)
    run = layerkit("train", "--data", "r.csv", "--metrics", "accuracy")
    assert_one_line_error(run, "--metrics", "'accuracy' cannot measure", code=2)
    assert run.out == ""


# ------------------------------------------------------------------------------ --patience
@CLI
def test_patience_keeps_the_best_held_out_epoch_and_says_so(layerkit):
    arguments = ["train", "--data", "moons", "--samples", "80", "--validation", "0.25",
                 "--patience", "5", "--epochs", "300"]  # fmt: skip
    result = summary(layerkit(*arguments, "--json"))
    best, stopped = result["best_epoch"], result["stopped_epoch"]
    val = result["epoch_logs"]["val_loss"]
    assert best == int(np.argmin(val)) + 1 and result["patience"] == 5
    assert stopped == best + 5 == result["epochs"] == len(val)
    assert val[best - 1] == pytest.approx(result["held_out_loss"])  # the best epoch's weights

    text = layerkit(*arguments, "-q").out
    row = next(line for line in text.splitlines() if line.startswith("early stopping"))
    assert f"epoch {best} had the lowest held-out loss" in row
    assert f"stopped after epoch {stopped}, epoch {best}'s weights kept" in row


def test_patience_without_validation_watches_the_training_loss(layerkit):
    run = layerkit("train", "--data", "moons", "--samples", "60", "--patience", "3", "--json")
    result = json.loads(run.out)  # stopped early or not, passed or failed: the same record
    assert result["best_epoch"] == int(np.argmin(result["epoch_losses"])) + 1
    assert "val_loss" not in result["epoch_logs"]


def test_without_patience_nothing_is_said_of_early_stopping(layerkit):
    result = summary(layerkit("train", "--json"))
    assert result["best_epoch"] is None and result["stopped_epoch"] is None
    assert "early stopping" not in layerkit("train", "-q").out


@CLI
def test_patience_must_be_a_non_negative_integer(layerkit):
    assert_one_line_error(layerkit("train", "--patience", "-1"), "--patience", code=2)


# ---------------------------------------------------------------------------- --validation
def test_validation_is_reported_every_epoch_without_changing_training(layerkit):
    arguments = ["train", "--data", "xor", "--samples", "40", "--epochs", "20", "--json"]
    held = summary(layerkit(*arguments, "--validation", "0.25"))
    assert len(held["epoch_logs"]["val_loss"]) == 20
    assert held["epoch_logs"]["val_loss"][-1] == pytest.approx(held["held_out_loss"])
    log = layerkit(*arguments[:-1], "--validation", "0.25").out.splitlines()
    assert all("   val_loss " in line for line in log if line.startswith("epoch "))


# ---------------------------------------------------------------------------- checkpoints
def test_predict_explain_and_draw_read_a_checkpoint_as_a_model(layerkit, tmp_path):
    """A file saved with its optimizer (format version 2) is still a model to the commands."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    net, sgd = lk.mlp([2, 3, 2], seed=0), lk.SGD(0.5, momentum=0.9)
    lk.fit(net, x, x, loss="l2", optimizer=sgd, epochs=5)
    lk.save(net, tmp_path / "checkpoint.npz", optimizer=sgd, epoch=5)
    for command in (
        ["predict", "--model", "checkpoint.npz", "--data", "half_adder"],
        ["explain", "--model", "checkpoint.npz", "--input", "1,0", "--target", "1,0"],
        ["draw", "--model", "checkpoint.npz", "-o", "net.svg"],
    ):
        run = layerkit(*command)
        assert run.code == 0, (command, run.err)
