"""Callbacks: called in Keras's order with the logs, able to stop training, and free when unused.

Without metrics and without a callback that overrides ``on_batch_end``, fit runs its lean
loop, the one a hand-written loop would be; the choice is made once, before training.
"""

from __future__ import annotations

import numpy as np
import pytest
from training_support import Recorder, WithinHalf, blobs, network

import layerkit as lk
from layerkit.errors import ComponentTypeError, ConfigurationError

pytestmark = pytest.mark.guarantee("training")


def fit(**options):
    x, t = blobs()
    net = network()
    arguments = {"loss": "l2", "optimizer": lk.SGD(1.0), "epochs": 3, "batch_size": 10, "seed": 0}
    return net, lk.fit(net, x, t, **(arguments | options))


def test_callbacks_are_called_in_order_with_the_logs():
    recorder = Recorder()
    x_val, t_val = blobs(samples=6, seed=1)
    sgd = lk.SGD(1.0)
    net, history = fit(
        callbacks=[recorder], optimizer=sgd, validation_data=(x_val, t_val), metrics=[WithinHalf()]
    )
    assert recorder.seen_model is net and recorder.seen_optimizer is sgd
    expected = [("train_begin",)]
    for epoch in (1, 2, 3):  # 24 samples in batches of 10: three batches an epoch
        expected += [("epoch_begin", epoch), *[("batch_end", i) for i in range(3)]]
        expected.append(("epoch_end", epoch))
    expected.append(("train_end",))
    assert [call[:1] if "train" in call[0] else call[:2] for call in recorder.calls] == expected
    assert recorder.named("train_begin")[0][1] == {}
    ends = recorder.named("epoch_end")
    for epoch, (_, number, logs) in enumerate(ends, start=1):
        assert number == epoch
        assert logs == {name: values[epoch - 1] for name, values in history.history.items()}
    assert recorder.named("train_end")[0][1] == ends[-1][2]


def test_on_batch_end_gets_each_batch_loss_and_metrics():
    recorder = Recorder()
    fit(callbacks=[recorder], metrics=[WithinHalf()], epochs=1)
    batch_logs = [call[2] for call in recorder.named("batch_end")]
    assert [call[1] for call in recorder.named("batch_end")] == [0, 1, 2]
    assert all(set(logs) == {"loss", "within_half"} for logs in batch_logs)
    assert all(isinstance(logs["loss"], float) for logs in batch_logs)


class StopAt(lk.Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs):
        return epoch == self.epoch


def test_on_epoch_end_returning_true_stops_and_every_callback_still_sees_that_epoch():
    recorder = Recorder()
    _, history = fit(callbacks=[StopAt(2), recorder], epochs=10)
    assert len(history) == 2 and history.stopped_epoch == 2
    assert [call[1] for call in recorder.named("epoch_end")] == [1, 2]
    assert len(recorder.named("train_end")) == 1


def test_the_old_callback_still_works_beside_callbacks():
    seen = []
    recorder = Recorder()
    _, history = fit(
        callback=lambda epoch, loss: seen.append((epoch, loss)) or epoch == 2,
        callbacks=[recorder],
        epochs=5,
    )
    assert seen == list(zip([1, 2], history, strict=True))
    assert history.stopped_epoch == 2 and len(recorder.named("epoch_end")) == 2


def test_a_single_callback_object_is_accepted():
    recorder = Recorder()
    fit(callbacks=recorder)
    assert len(recorder.named("epoch_end")) == 3


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        ({"callbacks": [print]}, ComponentTypeError, "goes in callback="),
        ({"callbacks": [Recorder]}, ComponentTypeError, "instantiate it"),
        ({"callbacks": "all"}, ComponentTypeError, "list of Callback objects"),
        ({"callback": Recorder()}, ComponentTypeError, "callbacks=.*"),
        ({"initial_epoch": 4}, ConfigurationError, "from 0 to epochs=3"),
        ({"initial_epoch": -1}, ConfigurationError, "initial_epoch=-1"),
        ({"initial_epoch": True}, ConfigurationError, "initial_epoch=True"),
    ],
)
def test_bad_callbacks_and_initial_epochs_are_refused_before_training(options, error, words):
    recorder = Recorder()
    with pytest.raises(error, match=words):
        fit(**options, **({} if "callbacks" in options else {"callbacks": [recorder]}))
    assert recorder.calls == []


# ------------------------------------------------------------------------------ lean loop
def refuse_the_watched_loop(monkeypatch):
    def watched(*arguments):
        raise AssertionError("the watched loop ran")

    monkeypatch.setattr("layerkit.training._watched_steps", watched)


class EpochsOnly(lk.Callback):
    def on_epoch_end(self, epoch, logs):
        return None


def test_callbacks_without_on_batch_end_keep_the_lean_loop(monkeypatch):
    refuse_the_watched_loop(monkeypatch)
    _, history = fit(callbacks=[EpochsOnly(), StopAt(99)], validation_data=blobs(seed=1))
    assert len(history) == 3


@pytest.mark.parametrize(
    "options", [{"callbacks": [Recorder()]}, {"metrics": [WithinHalf()]}], ids=["batch", "metric"]
)
def test_a_batch_callback_or_a_metric_takes_the_watched_loop(monkeypatch, options):
    refuse_the_watched_loop(monkeypatch)
    with pytest.raises(AssertionError, match="the watched loop ran"):
        fit(**options)


def test_the_watched_loop_trains_exactly_as_the_lean_one():
    lean_net, lean = fit()
    watched_net, watched = fit(callbacks=[Recorder()])
    assert list(lean) == list(watched)
    for a, b in zip(lean_net.parameters(), watched_net.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, b.value)


def test_a_schedule_sets_the_learning_rate_of_fits_optimizer_each_epoch():
    sgd = lk.SGD(1.0)
    seen = []

    class Watch(lk.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs):
            seen.append(self.optimizer.lr)

    fit(optimizer=sgd, epochs=4, callbacks=[lk.StepLR(sgd, step_size=2, gamma=0.5), Watch()])
    assert seen == [1.0, 1.0, 0.5, 0.5]


def test_a_schedule_of_another_optimizer_is_refused_before_training():
    """fit must not point a schedule at its own optimizer (the lr would jump to the other's)."""
    other = lk.SGD(0.01)
    x, t = blobs()
    net = network()
    before = [parameter.value.copy() for parameter in net.parameters()]
    with pytest.raises(ConfigurationError, match=r"StepLR\(SGD\(lr=0.01.*another optimizer"):
        lk.fit(
            net, x, t, loss="l2", optimizer=lk.SGD(1.0), epochs=2,
            callbacks=[lk.StepLR(other, step_size=1)],
        )  # fmt: skip
    for value, parameter in zip(before, net.parameters(), strict=True):
        np.testing.assert_array_equal(value, parameter.value)
