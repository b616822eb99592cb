"""What fit reports: a History that is still the list of losses, metrics, validation data.

The metric of an epoch is the batch values (each a mean over its batch) weighted by batch
size, measured on each batch's predictions before its step; validation numbers are measured
on the whole validation set after the epoch, without changing anything.
"""

from __future__ import annotations

import numpy as np
import pytest
from training_support import MeanAbsoluteError, Recorder, WithinHalf, blobs, network, weights_of

import layerkit as lk
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    NonFiniteError,
    ShapeError,
    UnknownComponentError,
)

pytestmark = pytest.mark.guarantee("training")


def train(**options):
    x, t = blobs()
    net = network()
    arguments = {"loss": "l2", "optimizer": lk.SGD(1.0), "epochs": 4, "batch_size": 5, "seed": 0}
    return net, lk.fit(net, x, t, **(arguments | options))


# ----------------------------------------------------------------------------- History
def test_history_is_the_list_of_losses_as_before():
    _, history = train()
    assert isinstance(history, list) and len(history) == 4
    assert history[-1] < history[0]
    assert history.history == {"loss": list(history)}
    assert history.epoch == [1, 2, 3, 4]
    assert history.best_epoch is None and history.stopped_epoch is None


def test_history_names_every_number_with_validation_and_metrics():
    x, t = blobs(seed=1)
    _, history = train(validation_data=(x, t), metrics=[MeanAbsoluteError(), WithinHalf()])
    assert list(history.history) == [
        "loss",
        "mean_absolute_error",
        "within_half",
        "val_loss",
        "val_mean_absolute_error",
        "val_within_half",
    ]
    assert all(len(values) == 4 for values in history.history.values())


def test_a_resumed_history_counts_epochs_from_initial_epoch():
    _, history = train(epochs=5, initial_epoch=3)
    assert history.epoch == [4, 5] and len(history) == 2


def test_nothing_left_to_train_gives_an_empty_history_with_every_name():
    x, t = blobs(seed=1)
    _, history = train(epochs=2, initial_epoch=2, validation_data=(x, t))
    assert history == [] and history.epoch == []
    assert history.history == {"loss": [], "val_loss": []}


# ----------------------------------------------------------------------------- metrics
def test_a_metric_is_the_batch_weighted_mean_of_the_values_before_each_step():
    """Replayed with layerkit's own steps: per batch the metric on the forward's output,
    weighted by the batch's size (the last batch of 24 in 5s has 4 samples)."""
    x, t = blobs()
    _, history = train(metrics=[MeanAbsoluteError()])
    net, loss, sgd, rng = network(), lk.L2Loss(), lk.SGD(1.0), np.random.default_rng(0)
    expected = []
    for _ in range(4):
        order, total = rng.permutation(len(x)), 0.0
        for start in range(0, len(x), 5):
            batch = order[start : start + 5]
            y = net(x[batch])
            total += MeanAbsoluteError()(y, t[batch]) * len(batch)
            loss(y, t[batch])
            net.backward(loss.backward())
            sgd.step(net)
        expected.append(total / len(x))
    assert history.history["mean_absolute_error"] == expected


def test_metrics_change_nothing_of_the_training():
    plain_net, plain = train()
    measured_net, measured = train(metrics=[WithinHalf()])
    assert list(plain) == list(measured)
    for name, value in weights_of(plain_net).items():
        np.testing.assert_array_equal(weights_of(measured_net)[name], value)


def test_metrics_by_registered_name():
    hits = type("Hits", (lk.Metric,), {"forward": lambda self, y, t: 0.25})
    from training_support import runtime_plugin

    with runtime_plugin("hits_plugin", register_metrics=lambda register: register("hits", hits)):
        _, history = train(metrics=["hits"], epochs=2)
    assert history.history["hits"] == [0.25, 0.25]


def test_accuracy_by_name_on_training_and_validation_data():
    x_val, t_val = blobs(seed=1)
    net, history = train(epochs=30, metrics=["accuracy"], validation_data=(x_val, t_val))
    accuracy = history.history["val_accuracy"][-1]
    assert accuracy == pytest.approx(float(np.mean((net(x_val) >= 0.5) == t_val)))
    assert 0.5 < history.history["accuracy"][-1] <= 1.0


@pytest.mark.parametrize(
    ("metrics", "error", "words"),
    [
        ("no_such_metric", UnknownComponentError, "no metric named 'no_such_metric'"),
        ([MeanAbsoluteError], ComponentTypeError, "instance: MeanAbsoluteError()"),
        ([5], ComponentTypeError, "a registered name such as 'accuracy' or a Metric"),
        ({"mae": MeanAbsoluteError()}, ComponentTypeError, "list of metric names"),
        ([WithinHalf(), WithinHalf()], ConfigurationError, "two metrics named 'within_half'"),
    ],
)
def test_bad_metrics_are_refused_before_training(metrics, error, words):
    x, t = blobs()
    net = network()
    before = weights_of(net)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        lk.fit(net, x, t, loss="l2", optimizer=lk.SGD(1.0), metrics=metrics)
    assert all(np.array_equal(value, before[name]) for name, value in weights_of(net).items())


def test_a_metric_that_returns_no_number_is_refused_before_training():
    class Broken(lk.Metric):
        def forward(self, y, t):
            return np.ones(3)

    with pytest.raises(ComponentTypeError, match=r"metric 'broken'.*to return a float"):
        train(metrics=[Broken()])


# ----------------------------------------------------------------------------- validation
def test_validation_numbers_are_those_of_the_model_after_each_epoch():
    x_val, t_val = blobs(samples=9, seed=1)
    recorder = Recorder()
    _, history = train(validation_data=(x_val, t_val), metrics=[WithinHalf()], callbacks=[recorder])
    for epoch, weights in recorder.weights.items():
        model = network()
        for parameter in model.parameters():
            parameter.value[...] = weights[parameter.name]
        y = model(x_val)
        index = epoch - 1
        assert history.history["val_loss"][index] == pytest.approx(lk.L2Loss()(y, t_val), 1e-14)
        assert history.history["val_within_half"][index] == WithinHalf()(y, t_val)


def test_validation_touches_no_parameter_gradient_or_order():
    """The same run with and without validation data: the same bits, and no gradient kept."""
    x_val, t_val = blobs(seed=1)
    plain_net, plain = train()
    validated_net, validated = train(validation_data=(x_val, t_val))
    assert list(plain) == list(validated)
    for name, value in weights_of(plain_net).items():
        np.testing.assert_array_equal(weights_of(validated_net)[name], value)
    assert all(parameter.grad is None for parameter in validated_net.parameters())


def test_validation_in_chunks_is_the_loss_over_the_whole_set(monkeypatch):
    monkeypatch.setattr("layerkit.epoch_metrics.EVALUATION_CHUNK", 4)
    x_val, t_val = blobs(samples=10, seed=1)
    recorder = Recorder()
    _, history = train(validation_data=(x_val, t_val), epochs=1, callbacks=[recorder])
    model = network()
    for parameter in model.parameters():
        parameter.value[...] = recorder.weights[1][parameter.name]
    assert history.history["val_loss"][0] == pytest.approx(lk.L2Loss()(model(x_val), t_val))


def test_float64_validation_inputs_follow_float32_training_data():
    x, t = blobs()
    net = network(dtype=np.float32)
    history = lk.fit(
        net, x.astype(np.float32), t, loss="l2", optimizer=lk.SGD(1.0), validation_data=(x, t)
    )
    assert isinstance(history.history["val_loss"][0], float)
    assert net[0].W.dtype == np.float32


@pytest.mark.parametrize(
    ("validation_data", "error", "words"),
    [
        (np.zeros((3, 2)), ComponentTypeError, "validation_data=.x_val, t_val."),
        ((np.zeros((3, 2)),), ComponentTypeError, "of length 1"),
        ((np.zeros((3, 5)), np.zeros((3, 1))), ShapeError, "the 2 features of x"),
        ((np.zeros((3, 2)), np.zeros((2, 1))), ShapeError, "as many validation targets"),
        ((np.zeros((0, 2)), np.zeros((0, 1))), ShapeError, "validation inputs x of shape"),
        ((np.zeros((3, 2)), np.zeros((3, 3))), ShapeError, "target t of the same shape"),
        ((np.full((3, 2), np.nan), np.zeros((3, 1))), NonFiniteError, "validation inputs"),
    ],
)
def test_bad_validation_data_is_refused_before_training(validation_data, error, words):
    x, t = blobs()
    net = network()
    before = weights_of(net)
    with pytest.raises(error, match=words):
        lk.fit(net, x, t, loss="l2", optimizer=lk.SGD(1.0), validation_data=validation_data)
    assert all(np.array_equal(value, before[name]) for name, value in weights_of(net).items())


def test_a_model_that_overflows_on_the_validation_data_has_diverged():
    """Training is finite, but as W grows from 0.01 towards 1 the validation loss of an input
    of 2e154, ½ (2e154 W)², overflows; at the start it fits, so the check before training
    passes."""
    x, t = np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]])
    net = lk.Dense(1, 1, W=[[0.01]], b=[0.0])
    with pytest.raises(lk.errors.TrainingDivergedError, match="on the validation data"):
        lk.fit(
            net,
            x,
            t,
            loss="l2",
            optimizer=lk.SGD(0.5),
            epochs=100,
            validation_data=(np.array([[2e154]]), np.array([[0.0]])),
        )
    assert np.isfinite(net.W).all()
