"""Early stopping: stop after `patience` epochs without improvement, keep the best weights.

The rule is Keras's: an epoch improves when its value beats the best by more than
``min_delta`` (lower for a loss, higher for a metric whose ``greater_is_better``); after
``patience`` epochs in a row that do not, training stops. The weights kept are those at the
end of the best epoch, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from training_support import (
    MeanAbsoluteError,
    Recorder,
    WithinHalf,
    assert_same_weights,
    blobs,
    network,
    runtime_plugin,
)

import layerkit as lk
from layerkit.errors import ConfigurationError

pytestmark = pytest.mark.guarantee("training")


class Scripted:
    """A model stand-in with one parameter, for driving EarlyStopping by hand."""

    def __init__(self) -> None:
        self.W = np.zeros(1)

    def parameters(self):
        return [lk.Parameter("W", self.W, None)]


def drive(stopper: lk.EarlyStopping, values: list[float], name: str = "val_loss") -> list[int]:
    """Feed one value per epoch; return the epochs trained (up to and including the stop)."""
    stopper.model = Scripted()
    stopper.on_train_begin({})
    trained = []
    for epoch, value in enumerate(values, start=1):
        stopper.model.W[0] = epoch  # each epoch's "weights" are its number
        trained.append(epoch)
        if stopper.on_epoch_end(epoch, {"loss": 0.0, name: value}):
            break
    stopper.on_train_end({})
    return trained


@pytest.mark.parametrize(
    ("patience", "values", "trained", "best", "stopped"),
    [
        (2, [5, 4, 4.5, 4.2, 3], [1, 2, 3, 4], 2, 4),  # two epochs without a better value
        (2, [5, 4, 4.5, 3.9, 4.0, 4.1], [1, 2, 3, 4, 5, 6], 4, 6),  # epoch 4 starts anew
        (2, [5, 4, 4.5, 3.9, 4.0], [1, 2, 3, 4, 5], 4, None),  # epochs ran out first
        (0, [5, 4, 4.5, 3], [1, 2, 3], 2, 3),  # patience 0: the first epoch not better
        (1, [5, 5, 4], [1, 2], 1, 2),  # equal is not better
        (3, [np.nan, 2, np.nan, np.nan, np.nan], [1, 2, 3, 4, 5], 2, 5),  # NaN never improves
    ],
)
def test_stopping_follows_keras_rule(patience, values, trained, best, stopped):
    stopper = lk.EarlyStopping(patience)
    assert drive(stopper, values) == trained
    assert stopper.best_epoch == best and stopper.stopped_epoch == stopped
    assert stopper.model.W[0] == best  # the best epoch's "weights" are back


def test_min_delta_and_a_metric_to_maximise():
    stopper = lk.EarlyStopping(1, monitor="val_within", mode="max", min_delta=0.1)
    assert drive(stopper, [0.5, 0.55, 0.7, 0.75], name="val_within") == [1, 2]
    stopper = lk.EarlyStopping(1, monitor="val_within", mode="max", min_delta=0.1)
    assert drive(stopper, [0.5, 0.65, 0.8, 0.85], name="val_within") == [1, 2, 3, 4]
    assert stopper.best_epoch == 3


def test_without_restore_the_last_weights_stay():
    stopper = lk.EarlyStopping(1, restore_best_weights=False)
    drive(stopper, [1, 2, 3])
    assert stopper.best_epoch == 1 and stopper.model.W[0] == 2


# ---------------------------------------------------------------------------------- in fit
def diverging_validation():
    """Validation targets that contradict the training ones: val_loss rises from the start."""
    x, t = blobs()
    return x, t, (x[:8], 1.0 - t[:8])


def test_patience_in_fit_stops_on_val_loss_and_keeps_the_best_weights():
    x, t, validation = diverging_validation()
    recorder = Recorder()  # before the EarlyStopping fit adds: it sees each epoch's weights
    net = network()
    history = lk.fit(
        net,
        x,
        t,
        loss="l2",
        optimizer=lk.SGD(1.0),
        epochs=100,
        batch_size=6,
        seed=0,
        validation_data=validation,
        patience=3,
        callbacks=[recorder],
    )
    val = history.history["val_loss"]
    best = history.best_epoch
    assert best == int(np.argmin(val)) + 1
    assert len(history) == best + 3 and history.stopped_epoch == best + 3
    assert_same_weights(net, recorder.weights[best])


def test_patience_watches_the_training_loss_without_validation_data():
    x, t = np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]])
    net = lk.Dense(1, 1, seed=0)
    history = lk.fit(net, x, t, loss="l2", optimizer=lk.SGD(2.5), epochs=200, patience=2)
    # a learning rate this large makes the loss oscillate: it stops soon, at the best loss
    assert history.best_epoch == int(np.argmin(history)) + 1
    assert len(history) < 200


def test_patience_on_an_unregistered_metric_takes_its_direction_from_the_metric():
    x, t, validation = diverging_validation()
    history = lk.fit(
        network(),
        x,
        t,
        loss="l2",
        optimizer=lk.SGD(1.0),
        epochs=60,
        batch_size=6,
        validation_data=validation,
        metrics=[WithinHalf(), MeanAbsoluteError()],
        patience=2,
        monitor="val_mean_absolute_error",
    )
    errors = history.history["val_mean_absolute_error"]
    assert history.best_epoch == int(np.argmin(errors)) + 1


def test_auto_mode_asks_the_registry():
    class Hits(lk.Metric):
        greater_is_better = True

    class Misses(lk.Metric):
        greater_is_better = False

    def register(register):
        register("hits", Hits)
        register("misses", Misses)

    with runtime_plugin("hit_metrics", register_metrics=register):
        assert lk.EarlyStopping(monitor="val_hits").mode == "max"
        assert lk.EarlyStopping(monitor="misses").mode == "min"
    assert lk.EarlyStopping(monitor="val_loss").mode == "min"
    assert lk.EarlyStopping().mode == "min"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"patience": -1}, "non-negative integer"),
        ({"patience": 1.5}, "non-negative integer"),
        ({"monitor": ""}, "a name such as 'val_loss'"),
        ({"mode": "up"}, "'auto', 'min' or 'max'"),
        ({"min_delta": -0.1}, "min_delta"),
        ({"monitor": "val_f1"}, "give mode='min' or mode='max'"),
        ({"restore_best_weights": "yes"}, "True or False"),
    ],
)
def test_bad_options_are_refused(options, words):
    with pytest.raises(ConfigurationError, match=words):
        lk.EarlyStopping(**options)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"patience": 2, "monitor": "val_loss"}, "give validation_data"),
        ({"patience": 2, "monitor": "accuracy", "metrics": [WithinHalf()]}, "'within_half'"),
        ({"patience": 2, "monitor": "val_accuracy"}, "metrics .none given."),
        ({"monitor": "val_loss"}, "give patience too"),
        ({"min_delta": 0.1}, "give patience too"),
        ({"callbacks": [lk.EarlyStopping(monitor="val_loss")]}, "monitors 'val_loss'"),
    ],
)
def test_fit_refuses_a_monitor_it_will_not_report(options, words):
    x, t = blobs()
    net = network()
    with pytest.raises(ConfigurationError, match=words):
        lk.fit(net, x, t, loss="l2", optimizer=lk.SGD(1.0), **options)
