"""The optimizers in training: fused and split paths, checkpoints of state, reset, float32,
and no memory allocated per step."""

from __future__ import annotations

import copy
import tracemalloc

import numpy as np
import pytest

import layerkit as lk
from layerkit_optimizers import Adagrad, Adam, AdamW, RMSprop

FACTORIES = {
    "Adam": lambda: Adam(lr=0.01),
    "Adam(amsgrad, weight_decay)": lambda: Adam(lr=0.01, weight_decay=0.1, amsgrad=True),
    "AdamW": lambda: AdamW(lr=0.01),
    "RMSprop": lambda: RMSprop(lr=0.001),
    "RMSprop(centered, momentum, weight_decay)": lambda: RMSprop(
        lr=0.001, centered=True, momentum=0.9, weight_decay=0.01
    ),
    "Adagrad": lambda: Adagrad(lr=0.05),
    "Adagrad(lr_decay, weight_decay)": lambda: Adagrad(lr=0.05, lr_decay=0.01, weight_decay=0.1),
}
ROUNDING = {"rtol": 1e-10, "atol": 1e-12}


def network(dtype=np.float64) -> lk.Sequential:
    net = lk.Sequential(lk.Dense(5, 8, seed=0), lk.Sigmoid(), lk.Dense(8, 3, seed=1))
    return net.astype(dtype)


def data(dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    return rng.standard_normal((16, 5)).astype(dtype), rng.standard_normal((16, 3)).astype(dtype)


def train(net, optimizer, x, t, steps, *, fused=True, batch=4):
    loss = lk.L2Loss()
    for step in range(steps):
        rows = slice(step * batch % len(x), step * batch % len(x) + batch)
        loss(net(x[rows]), t[rows])
        if fused:
            net.backward_step(loss.backward(), optimizer, input_grad=False)
        else:
            net.backward(loss.backward())
            optimizer.step(net)


def values(net) -> dict[str, np.ndarray]:
    return {parameter.name: parameter.value for parameter in net.parameters()}


@pytest.mark.parametrize("make", FACTORIES.values(), ids=list(FACTORIES))
def test_fused_backward_step_equals_backward_then_step(make):
    x, t = data()
    fused, split = network(), network()
    train(fused, make(), x, t, 40, fused=True)
    train(split, make(), x, t, 40, fused=False)
    for name, value in values(fused).items():
        np.testing.assert_allclose(value, values(split)[name], **ROUNDING, err_msg=name)
    assert not np.allclose(values(fused)["0.W"], values(network())["0.W"])  # it did train


@pytest.mark.parametrize("make", FACTORIES.values(), ids=list(FACTORIES))
def test_fit_equals_a_loop_of_backward_then_step(make):
    x, t = data()
    fitted, looped = network(), network()
    lk.fit(fitted, x, t, loss=lk.L2Loss(), optimizer=make(), epochs=5, batch_size=4, shuffle=False)
    train(looped, make(), x, t, 5 * 4, fused=False)
    for name, value in values(fitted).items():
        np.testing.assert_allclose(value, values(looped)[name], **ROUNDING, err_msg=name)


@pytest.mark.parametrize("make", FACTORIES.values(), ids=list(FACTORIES))
def test_a_fresh_optimizer_loaded_with_state_dict_continues_bit_identically(make):
    x, t = data()
    net, optimizer = network(), make()
    train(net, optimizer, x, t, 12)
    saved = optimizer.state_dict(net)
    assert set(saved) == {"0.W", "0.b", "2.W", "2.b"}
    assert all(int(state["step"]) == 12 for state in saved.values())
    resumed_net, resumed = copy.deepcopy(net), make()
    resumed.load_state_dict(resumed_net, saved)
    train(net, optimizer, x, t, 12)
    train(resumed_net, resumed, x, t, 12)
    for name, value in values(net).items():
        np.testing.assert_array_equal(value, values(resumed_net)[name], err_msg=name)


@pytest.mark.parametrize("make", FACTORIES.values(), ids=list(FACTORIES))
def test_reset_forgets_every_state(make):
    x, t = data()
    net, optimizer = network(), make()
    train(net, optimizer, x, t, 8)
    optimizer.reset()
    assert optimizer.state_dict(net) == {}
    fresh_net = copy.deepcopy(net)
    train(net, optimizer, x, t, 8)
    train(fresh_net, make(), x, t, 8)
    for name, value in values(net).items():
        np.testing.assert_array_equal(value, values(fresh_net)[name], err_msg=name)


@pytest.mark.parametrize("make", FACTORIES.values(), ids=list(FACTORIES))
def test_float32_parameters_train_in_float32(make):
    x, t = data(np.float32)
    net, optimizer = network(np.float32), make()
    lk.fit(net, x, t, loss=lk.L2Loss(), optimizer=optimizer, epochs=5, batch_size=4, seed=0)
    for parameter in net.parameters():
        assert parameter.value.dtype == np.float32
        for key, array in optimizer.state_of(parameter.value).items():
            assert array.dtype == (np.int64 if key == "step" else np.float32), key
    reference = network()
    lk.fit(reference, *data(), loss=lk.L2Loss(), optimizer=make(), epochs=5, batch_size=4, seed=0)
    for name, value in values(net).items():
        np.testing.assert_allclose(value, values(reference)[name], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("make", FACTORIES.values(), ids=list(FACTORIES))
@pytest.mark.parametrize("path", ["update", "update_product", "step"])
def test_a_step_allocates_no_array(make, path):
    """After the first step, the work happens in kept arrays: nothing the parameter's size is
    allocated per step (tracemalloc sees NumPy's allocations)."""
    optimizer = make()
    value, grad = np.ones((196, 128)), np.full((196, 128), 0.5)
    left, right = np.ones((196, 32)), np.full((32, 128), 0.01)
    parameters = [lk.Parameter("W", value, grad)]
    run = {
        "update": lambda: optimizer.update(value, grad),
        "update_product": lambda: optimizer.update_product(value, left, right),
        "step": lambda: optimizer.step(parameters),
    }[path]
    run()  # the first step makes the state and the work arrays
    tracemalloc.start()
    try:
        for _ in range(3):
            run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < value.nbytes / 10, f"{peak} bytes allocated for a {value.nbytes}-byte parameter"


@pytest.mark.parametrize("make", [Adam, AdamW], ids=["Adam", "AdamW"])
def test_adam_on_the_fused_path_works_in_the_gradient_it_formed(make):
    """On fit's path the gradient arrives as the product it forms in a kept array, free to
    overwrite: Adam computes its step there and keeps no second array of the parameter's size,
    so training with it needs the memory of the hand-written update."""
    optimizer = make(lr=0.01)
    value, left, right = np.ones((196, 128)), np.ones((196, 32)), np.full((32, 128), 0.01)
    for _ in range(2):
        optimizer.update_product(value, left, right)
    kept = sum(array.nbytes for array in vars(optimizer).get("_scratch", {}).values())
    assert kept == value.nbytes
