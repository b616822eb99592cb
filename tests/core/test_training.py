"""fit: it learns XOR, it is reproducible, it keeps float32, and it stops cleanly on divergence."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from toy_layers import Amplifier

import layerkit as lk
from layerkit.errors import NonFiniteError, ShapeError, TargetError, TrainingDivergedError


def xor_network(dtype=np.float64) -> lk.Sequential:
    """A 2-3-1 sigmoid network with fixed initial weights."""
    return lk.Sequential(
        lk.Dense(2, 3, seed=0, dtype=dtype),
        lk.Sigmoid(),
        lk.Dense(3, 1, seed=1, dtype=dtype),
        lk.Sigmoid(),
    )


def weights_of(model: lk.Layer) -> dict[str, np.ndarray]:
    """Copies of every parameter, by name."""
    return {p.name: p.value.copy() for p in model.parameters()}


def restored_epoch(message: str) -> int:
    """The epoch whose end the parameters were restored to, as the divergence message says."""
    if "restored to their values before training" in message:
        return 0
    return int(re.search(r"restored to their values after epoch (\d+)", message).group(1))


def test_xor_is_learned(xor_data):
    """Full-batch gradient descent takes a 2-3-1 sigmoid network below a loss of 0.01."""
    x, t = xor_data
    net = xor_network()
    history = lk.fit(net, x, t, loss=lk.L2Loss(), optimizer=lk.SGD(lr=5.0), epochs=1000, seed=0)
    assert len(history) == 1000
    assert history[-1] < 0.01
    assert history[-1] < history[0]
    np.testing.assert_array_equal(net(x).round(), t)  # every XOR output on the right side of ½


def train_on_xor(xor_data, seed: int) -> dict[str, np.ndarray]:
    """Mini-batch training whose shuffling depends on ``seed``; return the final weights."""
    x, t = xor_data
    net = xor_network()
    optimizer = lk.SGD(lr=2.0, momentum=0.5)
    lk.fit(net, x, t, loss=lk.L2Loss(), optimizer=optimizer, epochs=50, batch_size=1, seed=seed)
    return weights_of(net)


def test_training_is_bit_identical_for_the_same_seed(xor_data):
    """Two runs with the same seed end with exactly the same weights, bit for bit."""
    first, second = train_on_xor(xor_data, seed=7), train_on_xor(xor_data, seed=7)
    assert first.keys() == second.keys()
    for name in first:
        assert np.array_equal(first[name], second[name]), name


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_fit_ends_where_the_plain_loop_of_backward_and_step_ends(xor_data, momentum):
    """fit trains with backward_step; a loop of forward, loss, backward and SGD.step over the
    same shuffled mini-batches ends bit-identical, loss history included."""
    x, t = xor_data
    fitted, looped = xor_network(), xor_network()
    history = lk.fit(
        fitted,
        x,
        t,
        loss=lk.L2Loss(),
        optimizer=lk.SGD(2.0, momentum=momentum),
        epochs=25,
        batch_size=3,
        seed=4,
    )
    loss, sgd, rng = lk.L2Loss(), lk.SGD(2.0, momentum=momentum), np.random.default_rng(4)
    expected = []
    for _ in range(25):
        order, total = rng.permutation(len(x)), 0.0
        for start in range(0, len(x), 3):
            batch = order[start : start + 3]
            total += loss(looped(x[batch]), t[batch]) * len(batch)
            looped.backward(loss.backward())
            sgd.step(looped)
        expected.append(total / len(x))
    assert history == expected
    for a, b in zip(fitted.parameters(), looped.parameters(), strict=True):
        np.testing.assert_array_equal(a.value, b.value, err_msg=a.name)


@pytest.mark.parametrize(
    ("samples", "dtype"),
    [(1, np.uint16), (2, np.uint16), (7, np.uint16), (60_000, np.uint16), (65_536, np.uint16),
     (65_537, np.uint32)],
)  # fmt: skip
def test_the_epoch_order_is_rng_permutation_in_the_smallest_type(samples, dtype):
    """fit's order of the samples is rng.permutation(samples), the documented draw, and leaves
    the generator where rng.permutation does; it is kept in the smallest unsigned type that
    holds every index (a quarter of the memory for an MNIST-sized set)."""
    from layerkit.training import _sample_order

    ours, reference = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(2):  # two epochs
        order = _sample_order(ours, samples, True)
        np.testing.assert_array_equal(order, reference.permutation(samples))
        assert order.dtype == dtype
    assert ours.random() == reference.random()
    np.testing.assert_array_equal(_sample_order(ours, samples, False), np.arange(samples))


def test_the_check_of_every_target_calls_the_loss_on_small_chunks():
    """Before training, fit checks every target against the loss; Loss.check_targets, for a
    loss with no cheaper test, does it in chunks of at most 2**15 outputs, so that the check
    needs no more memory than a training step."""
    outputs_per_call = []

    class Recording(lk.L2Loss):
        check_targets = lk.Loss.check_targets  # the default, not L2Loss's single pass

        def forward(self, y, t):
            outputs_per_call.append(np.size(y))
            return super().forward(y, t)

    x, t = np.zeros((20_000, 2)), np.zeros((20_000, 10))
    net = lk.Sequential(lk.Dense(2, 10, seed=0), lk.Sigmoid())
    lk.fit(net, x, t, loss=Recording(), optimizer=lk.SGD(0.1), batch_size=64, seed=0)
    steps = -(-20_000 // 64)
    first_batch, *checks = outputs_per_call[:-steps]  # then one call per step
    assert first_batch == 64 * 10
    assert max(checks) <= 2**15 and sum(checks) == 20_000 * 10


def test_cheap_target_checks_call_no_forward_and_refuse_what_forward_refuses():
    """L2Loss (targets of the prediction's dtype) and the cross-entropy (class indices) check
    every target without a forward call; a bad target far into the data is refused before
    the first step all the same, with forward's own message."""
    calls = []

    class CountingL2(lk.L2Loss):
        def forward(self, y, t):
            calls.append(len(y))
            return super().forward(y, t)

    x = np.zeros((5_000, 2))
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid())
    before = net.layers[0].W.copy()
    lk.fit(net, x, np.zeros((5_000, 3)), loss=CountingL2(), optimizer=lk.SGD(0.0), batch_size=1000)
    assert calls == [1000] * 6  # the first batch's check, then the five steps
    with pytest.raises(ShapeError, match=r"L2Loss.*\(1000, 3\).*\(1000, 2\)"):
        lk.fit(net, x, np.zeros((5_000, 2)), loss="l2", optimizer=lk.SGD(0.1), batch_size=1000)
    large = np.zeros((5_000, 3))
    large[4_321, 2] = 1e39  # finite in float64, not in the float32 of the prediction
    with pytest.raises(NonFiniteError, match="target t"):
        lk.fit(
            lk.Sequential(lk.Dense(2, 3, seed=0, dtype=np.float32)),
            x.astype(np.float32),
            large,
            loss="l2",
            optimizer=lk.SGD(0.1),
            batch_size=1000,
        )
    np.testing.assert_array_equal(net.layers[0].W, before)

    cross_entropy = lk.loss("cross_entropy", from_logits=True)
    labels = np.zeros(5_000, dtype=np.int64)
    labels[4_999] = 3
    with pytest.raises(TargetError, match=r"from 0 to 2 .* got 3") as caught:
        lk.fit(net, x, labels, loss=cross_entropy, optimizer=lk.SGD(0.1), batch_size=1000)
    assert "model is unchanged" in str(caught.value.__notes__)
    np.testing.assert_array_equal(net.layers[0].W, before)


def test_another_seed_trains_differently(xor_data):
    """Another seed visits the samples in another order, so the weights differ."""
    first, other = train_on_xor(xor_data, seed=7), train_on_xor(xor_data, seed=8)
    assert any(not np.array_equal(first[name], other[name]) for name in first)


def test_float32_training_stays_float32(xor_data):
    """Training on float32 data keeps parameters, gradients and outputs float32."""
    x, t = (array.astype(np.float32) for array in xor_data)
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sigmoid(), lk.Dense(3, 1, seed=1), lk.Sigmoid())
    history = lk.fit(
        net, x, t, loss=lk.L2Loss(), optimizer=lk.SGD(5.0, momentum=0.5), epochs=300, seed=0
    )
    assert history[-1] < history[0]
    assert net(x).dtype == np.float32
    net.backward(np.ones((4, 1), np.float32))  # fit released the gradients it applied
    for parameter in net.parameters():
        assert parameter.value.dtype == np.float32, parameter.name
        assert parameter.grad.dtype == np.float32, parameter.name


def test_callback_sees_every_epoch_and_can_stop_training(xor_data):
    """The callback gets (epoch, loss) from epoch 1 on; returning True ends training."""
    x, t = xor_data
    seen = []

    def callback(epoch, loss):
        seen.append((epoch, loss))
        return epoch == 3

    history = lk.fit(
        xor_network(), x, t, loss=lk.L2Loss(), optimizer=lk.SGD(1.0), epochs=10, callback=callback
    )
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    assert [loss for _, loss in seen] == history


# ---------------------------------------------------------------------------- divergence


@pytest.mark.parametrize(
    "make_model",
    [lambda: lk.Dense(1, 1, seed=0), Amplifier],
    ids=["linear-dense", "custom-amplifier"],
)
def test_divergence_raises_and_keeps_the_last_finite_parameters(make_model):
    """A huge learning rate makes the loss overflow: fit raises TrainingDivergedError.

    The step that would use the infinite loss is not taken, so the parameters are those
    recorded after the last finite epoch, and they are finite.
    """
    x = np.array([[1.0], [2.0], [3.0]])
    t = np.array([[0.0], [1.0], [0.0]])
    model = make_model()
    after_epoch = {0: weights_of(model)}

    def record(epoch, loss):
        after_epoch[epoch] = weights_of(model)

    with pytest.raises(TrainingDivergedError) as caught:
        lk.fit(
            model,
            x,
            t,
            loss=lk.L2Loss(),
            optimizer=lk.SGD(lr=1e6),
            epochs=100,
            shuffle=False,
            callback=record,
        )

    error = caught.value
    assert isinstance(error, NonFiniteError) and isinstance(error, ValueError)
    diverged_in = max(after_epoch) + 1  # full batch: one step per epoch
    message = str(error)
    assert f"diverged in epoch {diverged_in}" in message
    assert "smaller learning rate" in message and "1000000.0" in message
    last_finite = after_epoch[restored_epoch(message)]
    for parameter in model.parameters():
        assert np.all(np.isfinite(parameter.value)), parameter.name
        np.testing.assert_array_equal(parameter.value, last_finite[parameter.name])


def test_divergence_in_a_network_keeps_the_parameters_of_a_rerun(xor_data):
    """Re-running the same seeded training up to the epoch the message names gives the
    parameters left."""

    def network():
        return lk.Sequential(lk.Dense(2, 4, seed=0), lk.Sigmoid(), lk.Dense(4, 1, seed=1))

    def train(net, epochs):
        lk.fit(net, *xor_data, loss=lk.L2Loss(), optimizer=lk.SGD(1e2), epochs=epochs, seed=3)

    diverged = network()
    with pytest.raises(TrainingDivergedError) as caught:
        train(diverged, epochs=1000)
    epoch = restored_epoch(str(caught.value))
    assert epoch > 1

    rerun = network()
    train(rerun, epochs=epoch)  # stops where the parameters were restored to
    for left, expected in zip(diverged.parameters(), rerun.parameters(), strict=True):
        assert np.all(np.isfinite(left.value)), left.name
        np.testing.assert_array_equal(left.value, expected.value, err_msg=left.name)


@pytest.mark.parametrize(
    ("sizes", "where"),
    [((2, 4, 4, 3), "a value inside the network"), ((2, 4, 3), "the network's output")],
)
def test_overflow_inside_the_network_is_reported_as_divergence(sizes, where):
    """A linear net with a huge learning rate overflows in forward while its loss (from
    logits, which grows only linearly with them) was finite: still a TrainingDivergedError,
    naming where, with finite parameters from the last finite step."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = np.array([0, 2])
    pairs = itertools.pairwise(sizes)
    net = lk.Sequential(*(lk.Dense(i, o, seed=seed) for seed, (i, o) in enumerate(pairs)))
    loss = lk.loss("cross_entropy", from_logits=True)
    with pytest.raises(TrainingDivergedError, match=rf"{where} was not finite.*smaller learning"):
        lk.fit(net, x, t, loss=loss, optimizer=lk.SGD(1e300), epochs=50, seed=0)
    assert all(np.all(np.isfinite(p.value)) for p in net.parameters())


def test_non_finite_targets_are_refused_before_training():
    net = lk.Sequential(lk.Dense(2, 1, seed=0))
    with pytest.raises(lk.errors.NonFiniteError, match="fit received targets t"):
        lk.fit(net, [[0.0, 1.0]], [[np.nan]], loss=lk.L2Loss(), optimizer=lk.SGD(0.1))
