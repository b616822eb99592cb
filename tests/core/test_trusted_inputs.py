"""trusted_inputs: checked once at the boundary, trusted inside; fit still sees every NaN.

Inside the block the passes over values for NaN and infinity are skipped, and nothing else:
shapes, dtypes and types are still refused with the usual errors. `fit` runs its steps
inside it and looks at each step's loss instead; a step whose loss is not finite is run
again with every check, so the message still says where the NaN arose.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import (
    ConfigurationError,
    DTypeError,
    NonFiniteError,
    ShapeError,
    TrainingDivergedError,
)
from layerkit.validation import as_float_array, as_prediction_and_target, inputs_trusted

NAN_ROW = np.array([[np.nan, 1.0]])


def test_inside_the_block_no_layer_looks_for_nan_and_outside_every_one_does():
    dense, sigmoid = lk.Dense(2, 1, seed=0), lk.Sigmoid()
    with lk.trusted_inputs():
        assert np.isnan(dense(NAN_ROW)).all()
        assert np.isnan(sigmoid(NAN_ROW))[0, 0]
        assert np.isnan(as_float_array(np.array([np.inf]), "x")) == np.array([False])
    with pytest.raises(NonFiniteError, match=r"Dense\(2→1\) received input with 1 non-finite"):
        dense(NAN_ROW)
    with pytest.raises(NonFiniteError, match=r"Sigmoid\(\) received input"):
        sigmoid(NAN_ROW)


def test_inside_the_block_shapes_dtypes_and_types_are_still_refused():
    dense = lk.Dense(2, 1, seed=0)
    with lk.trusted_inputs():
        with pytest.raises(ShapeError, match=r"Dense\(2→1\) expects 2 input features"):
            dense(np.ones((1, 3)))
        with pytest.raises(DTypeError, match="float16"):
            dense(np.ones((1, 2), np.float16))
        with pytest.raises(DTypeError, match="got str"):
            dense("not an array")
        with pytest.raises(ShapeError, match="same shape as prediction y"):
            lk.L2Loss()(np.ones((2, 1)), np.ones((3, 1)))


def test_the_block_ends_on_leaving_even_by_an_error_and_nested_blocks_restore():
    assert not inputs_trusted()
    with pytest.raises(ShapeError), lk.trusted_inputs():
        assert inputs_trusted()
        lk.Dense(2, 1)(np.ones((1, 3)))
    assert not inputs_trusted()
    with lk.trusted_inputs():
        with lk.trusted_inputs():
            assert inputs_trusted()
        assert inputs_trusted()  # the outer block is still on
    assert not inputs_trusted()
    with pytest.raises(NonFiniteError):
        lk.Sigmoid()(NAN_ROW)


def test_a_setting_that_is_not_a_bool_and_a_block_entered_twice_are_refused():
    with pytest.raises(ConfigurationError, match="expects True or False, got trusted='false'"):
        lk.trusted_inputs("false")
    block = lk.trusted_inputs()
    with block, pytest.raises(ConfigurationError, match="already in use"), block:
        pass
    assert not inputs_trusted()
    with block:  # once left, it may be entered again
        assert inputs_trusted()


def test_another_thread_keeps_checking_while_one_trusts():
    seen = {}

    def other():
        seen["trusted"] = inputs_trusted()
        try:
            lk.Sigmoid()(NAN_ROW)
        except NonFiniteError:
            seen["refused"] = True

    with lk.trusted_inputs():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen == {"trusted": False, "refused": True}


def test_a_loss_skips_only_the_pass_over_the_targets():
    y, t = np.ones((2, 1)), np.array([[np.inf], [0.0]])
    with pytest.raises(NonFiniteError, match="target t"):
        as_prediction_and_target(y, t, "loss")
    with lk.trusted_inputs():
        _, given = as_prediction_and_target(y, t, "loss")
    assert given is t


def test_a_nan_prediction_is_named_as_such_inside_the_block_too():
    """L2Loss sees NaN in its own sum; inside the block the refusal still says NaN, not
    overflow."""
    with lk.trusted_inputs(), pytest.raises(NonFiniteError, match="prediction y with 1 non"):
        lk.L2Loss()(np.array([[np.nan], [0.0]]), np.zeros((2, 1)))


@pytest.mark.parametrize("from_logits", [True, False])
def test_cross_entropy_gives_the_same_numbers_trusted_or_not(from_logits):
    rng = np.random.default_rng(0)
    y = rng.random((5, 4)) if not from_logits else rng.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    loss = lk.loss("cross_entropy", from_logits=from_logits)
    checked = loss(y, labels), loss.backward()
    with lk.trusted_inputs():
        trusted = loss(y, labels), loss.backward()
    assert checked[0] == trusted[0]
    np.testing.assert_array_equal(checked[1], trusted[1])


class Recorder(lk.Layer):
    """Identity that records, at each forward, whether it runs inside trusted_inputs."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def forward(self, x):
        self.seen.append(inputs_trusted())
        return x

    def backward(self, grad):
        return grad


class TrustSpy(lk.Callback):
    def __init__(self) -> None:
        self.seen: list[bool] = []

    def on_batch_end(self, batch, logs):
        self.seen.append(inputs_trusted())


@pytest.mark.parametrize("watched", [False, True])
def test_fit_trusts_its_steps_but_not_its_checks_metrics_or_callbacks(watched):
    recorder = Recorder()
    net = lk.Sequential(lk.Dense(2, 1, seed=0), recorder, lk.Sigmoid())
    spy = TrustSpy()
    x, t = np.ones((4, 2)), np.ones((4, 1))
    lk.fit(
        net, x, t, loss="l2", optimizer=lk.SGD(0.1), epochs=2, batch_size=2, seed=0,
        callbacks=[spy] if watched else None,
        validation_data=(x, t),
    )  # fmt: skip
    # the checks of the first training and validation batches before training, then 2
    # trusted steps per epoch, each epoch followed by the validation data's forward (checked)
    assert recorder.seen == [False, False, True, True, False, True, True, False]
    assert spy.seen == ([False] * 4 if watched else [])
    assert not inputs_trusted()


def test_fit_checks_what_it_is_given_even_inside_a_trusted_block():
    """Its boundary is its own: NaN data is refused before training whatever the caller's
    block says, and the caller's block is on again afterwards."""
    net = lk.Sequential(lk.Dense(2, 1, seed=0))
    with lk.trusted_inputs():
        with pytest.raises(NonFiniteError, match="fit received inputs x with 1 non-finite"):
            lk.fit(net, NAN_ROW, [[0.0]], loss="l2", optimizer=lk.SGD(0.1))
        assert inputs_trusted()


class NaNAfter(lk.Layer):
    """Identity until ``calls`` forwards have run, then NaN: a bug inside the network."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def forward(self, x):
        self.calls -= 1
        return x if self.calls >= 0 else np.full_like(x, np.nan)

    def backward(self, grad):
        return grad


@pytest.mark.guarantee("divergence")
def test_a_nan_made_inside_the_network_is_reported_there_and_rolled_back():
    """The NaN is seen in the step's loss; the step run again with the checks names the
    layer that received it, and the parameters go back to the last checked copy."""
    net = lk.Sequential(lk.Dense(2, 3, seed=0), NaNAfter(calls=6), lk.Dense(3, 1, seed=1))
    before = [p.value.copy() for p in net.parameters()]
    x, t = np.ones((4, 2)), np.zeros((4, 1))
    with pytest.raises(TrainingDivergedError) as caught:
        lk.fit(net, x, t, loss="l2", optimizer=lk.SGD(0.01), epochs=5, batch_size=2, seed=0)
    message = str(caught.value)
    assert "training diverged in epoch 3: a value inside the network was not finite" in message
    assert "restored to their values before training" in message
    cause = caught.value.__cause__
    assert isinstance(cause, NonFiniteError) and "Dense(3→1) received input" in str(cause)
    assert "raised in forward of layer 2 (Dense(3→1)) of a Sequential" in cause.__notes__
    for value, old in zip((p.value for p in net.parameters()), before, strict=True):
        np.testing.assert_array_equal(value, old)


class Doubling(lk.Loss):
    """L = Σ y, and NaN from the third call on: a custom loss that goes wrong by itself."""

    calls = 0

    def forward(self, y, t):
        self.calls += 1
        self._shape = np.shape(y)
        return float(np.sum(y)) if self.calls < 3 else float("nan")

    def backward(self):
        return np.ones(self._shape)


@pytest.mark.guarantee("divergence")
def test_the_loss_is_named_when_nothing_inside_the_network_is_wrong():
    """Predictions finite, loss not: the message names the loss (with what it returned), or
    the loss and its own refusal when it refused an overflow itself."""
    net = lk.Sequential(lk.Dense(1, 1, seed=0))
    named = r"Doubling\(reduction='mean'\) \(it became nan"
    with pytest.raises(TrainingDivergedError, match=named):
        lk.fit(net, [[1.0]], [[0.0]], loss=Doubling(), optimizer=lk.SGD(0.1), epochs=3)

    grows = lk.Sequential(lk.Dense(1, 1, W=[[1.0]], b=[0.0]))  # y = W·1: ×(1 − 1e100) a step
    with pytest.raises(TrainingDivergedError) as caught:
        lk.fit(grows, [[1.0]], [[0.0]], loss="l2", optimizer=lk.SGD(1e100), epochs=5)
    assert "the loss L2Loss(reduction='mean') was not finite" in str(caught.value)
    assert "overflowed" in str(caught.value.__cause__)
