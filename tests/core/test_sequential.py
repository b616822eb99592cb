"""Sequential: a list of layers that is itself a layer, so it can be indexed, sliced and nested."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import BackwardBeforeForwardError, ConfigurationError, ShapeError

X = np.array([[0.3, -0.7], [1.0, 0.5]])


def test_len_indexing_and_iteration(seed_network):
    """len counts layers; [i] and iteration give the very layer objects, in order."""
    layers = list(seed_network)
    assert len(seed_network) == 4
    assert [type(layer).__name__ for layer in layers] == ["Dense", "Sigmoid", "Dense", "Sigmoid"]
    assert seed_network[0] is layers[0] and seed_network[-1] is layers[3]
    with pytest.raises(IndexError):
        seed_network[4]


def test_slicing_gives_a_sequential_sharing_the_layers(seed_network):
    """net[:2] is a Sequential of the same layer objects, and computes the hidden layer."""
    head = seed_network[:2]
    assert isinstance(head, lk.Sequential)
    assert len(head) == 2 and head[0] is seed_network[0] and head[1] is seed_network[1]
    hidden = seed_network[1](seed_network[0](X))
    np.testing.assert_array_equal(head(X), hidden)
    np.testing.assert_array_equal(seed_network[2:](hidden), seed_network(X))


def test_parameter_names_and_order(seed_network):
    """Parameters are named '<position>.<name>' in layer order; Sigmoid has none."""
    assert [p.name for p in seed_network.parameters()] == ["0.W", "0.b", "2.W", "2.b"]


def test_parameters_are_the_live_arrays(seed_network):
    """Each Parameter holds the layer's own value and gradient arrays, not copies."""
    dense = seed_network[2]
    assert all(p.grad is None for p in seed_network.parameters())  # no backward yet

    loss = lk.L2Loss()
    loss(seed_network(X), np.zeros((2, 2)))
    seed_network.backward(loss.backward())
    by_name = {p.name: p for p in seed_network.parameters()}
    assert by_name["2.W"].value is dense.W and by_name["2.W"].grad is dense.dW
    assert by_name["2.b"].value is dense.b and by_name["2.b"].grad is dense.db

    first = dense.dW.copy()
    loss(seed_network(X), np.ones((2, 2)))
    seed_network.backward(loss.backward())
    assert by_name["2.W"].grad is dense.dW  # the next backward overwrites the same array
    assert not np.array_equal(by_name["2.W"].grad, first)

    by_name["2.W"].value[0, 0] = 42.0  # writing through the Parameter changes the layer
    assert dense.W[0, 0] == 42.0


def test_repr_lists_the_layers():
    """repr shows each layer with its position, Dense as 'Dense(in→out)'."""
    net = lk.Sequential(lk.Dense(2, 3), lk.Sigmoid(), lk.Dense(3, 2), lk.Sigmoid())
    assert repr(net) == (
        "Sequential(\n  (0): Dense(2→3)\n  (1): Sigmoid()\n  (2): Dense(3→2)\n  (3): Sigmoid()\n)"
    )


def nested_and_flat(seed_weights):
    """The seed network twice: nested as Sequential(Sequential(Dense, Sigmoid), …) and flat."""

    def layers():
        return [
            lk.Dense(2, 3, W=seed_weights["w"], b=seed_weights["b1"]),
            lk.Sigmoid(),
            lk.Dense(3, 2, W=seed_weights["u"], b=seed_weights["b2"]),
            lk.Sigmoid(),
        ]

    first, second = layers(), layers()
    nested = lk.Sequential(lk.Sequential(*first[:2]), *first[2:])
    return nested, lk.Sequential(*second)


def test_nested_sequential_computes_like_the_flat_one(seed_weights):
    """Forward, backward and every gradient of a nested network equal the flat network's."""
    nested, flat = nested_and_flat(seed_weights)
    np.testing.assert_array_equal(nested(X), flat(X))
    grad = np.array([[1.0, -2.0], [0.5, 0.25]])
    np.testing.assert_array_equal(nested.backward(grad), flat.backward(grad))
    for inner, outer in zip(nested.parameters(), flat.parameters(), strict=True):
        np.testing.assert_array_equal(inner.grad, outer.grad)


def test_nested_sequential_parameters_and_repr(seed_weights):
    """Names gain one prefix per level; repr indents the inner Sequential."""
    nested, _ = nested_and_flat(seed_weights)
    assert [p.name for p in nested.parameters()] == ["0.0.W", "0.0.b", "1.W", "1.b"]
    assert nested.parameters()[0].value is nested[0][0].W
    assert repr(nested) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): Dense(2→3)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        "  (1): Dense(3→2)\n"
        "  (2): Sigmoid()\n"
        ")"
    )


def test_nested_sequential_trains(seed_weights, xor_data):
    """SGD updates the parameters of the inner Sequential too."""
    nested, _ = nested_and_flat(seed_weights)
    inner_W = nested[0][0].W.copy()
    x, t = xor_data
    lk.fit(nested, x, np.hstack([t, 1 - t]), loss=lk.L2Loss(), optimizer=lk.SGD(1.0))
    assert not np.array_equal(nested[0][0].W, inner_W)


# ------------------------------------------------------------- errors name the position


def test_forward_error_carries_a_note_with_the_layer_position():
    """A wrong shape deep in the network says which layer of the Sequential refused it."""
    net = lk.Sequential(lk.Dense(2, 3), lk.Sigmoid(), lk.Dense(4, 1))
    with pytest.raises(ShapeError, match="expects 4 input features") as caught:
        net(X)
    assert caught.value.__notes__ == ["raised in forward of layer 2 (Dense(4→1)) of a Sequential"]


def test_backward_error_carries_a_note_with_the_layer_position(seed_network):
    """A gradient of the wrong shape is reported by the last layer, position 3."""
    seed_network(X)
    with pytest.raises(ShapeError) as caught:
        seed_network.backward(np.ones((2, 3)))
    assert caught.value.__notes__ == ["raised in backward of layer 3 (Sigmoid()) of a Sequential"]


def test_backward_before_forward_in_a_sequential_names_the_layer():
    """Backward before forward on a Sequential is reported with the layer's position."""
    net = lk.Sequential(lk.Dense(2, 3), lk.Sigmoid())
    with pytest.raises(BackwardBeforeForwardError) as caught:
        net.backward(np.ones(3))
    assert caught.value.__notes__ == ["raised in backward of layer 1 (Sigmoid()) of a Sequential"]


def test_nested_error_carries_one_note_per_level():
    """Inside a nested Sequential the note names the inner position, then the outer one."""
    net = lk.Sequential(lk.Dense(2, 2), lk.Sequential(lk.Sigmoid(), lk.Dense(3, 1)))
    with pytest.raises(ShapeError) as caught:
        net(X)
    inner_note, outer_note = caught.value.__notes__
    assert inner_note == "raised in forward of layer 1 (Dense(3→1)) of a Sequential"
    assert outer_note.startswith("raised in forward of layer 1 (Sequential(")


# ----------------------------------------------------------- one instance, one position


def shared_dense():
    dense = lk.Dense(2, 2, seed=0)
    return dense, (dense, lk.Sigmoid(), dense)


def shared_sigmoid():
    sigmoid = lk.Sigmoid()
    return sigmoid, (lk.Dense(2, 2, seed=0), sigmoid, lk.Dense(2, 2, seed=1), sigmoid)


def shared_through_nesting():
    dense = lk.Dense(2, 2, seed=0)
    return dense, (lk.Sequential(dense, lk.Sigmoid()), lk.Sequential(dense, lk.Sigmoid()))


def shared_sequential():
    block = lk.Sequential(lk.Dense(2, 2, seed=0), lk.Sigmoid())
    return block, (block, block)


@pytest.mark.guarantee("gradients")
@pytest.mark.parametrize(
    "make, positions",
    [
        (shared_dense, "positions 0 and 2"),
        (shared_sigmoid, "positions 1 and 3"),
        (shared_through_nesting, "positions 0.0 and 1.0"),
        (shared_sequential, "positions 0 and 1"),
    ],
    ids=["dense", "activation", "nested", "whole-sequential"],
)
def test_one_instance_at_two_positions_is_refused(make, positions):
    """Before, Sequential(d, Sigmoid(), d) built and gradcheck found a relative error ≈ 1:
    each layer keeps only its last forward for backward. Now it is refused at construction,
    naming both positions and how to get two layers instead."""
    shared, layers = make()
    with pytest.raises(ConfigurationError) as caught:
        lk.Sequential(*layers)
    message = str(caught.value)
    assert positions in message and repr(shared).split("\n")[0] in message
    assert "separate layer for each position" in message


def test_equal_but_separate_layers_are_accepted():
    """Two Dense layers that start with the same weights are two instances: allowed."""
    first = lk.Dense(2, 2, seed=0)
    net = lk.Sequential(first, lk.Sigmoid(), lk.Dense(2, 2, W=first.W, b=first.b))
    assert lk.gradcheck(net, X)


@pytest.mark.guarantee("gradients")
def test_fit_and_gradcheck_refuse_a_layer_shared_after_construction():
    """net.layers is a list: a layer appended twice, or the network itself, is found by fit
    before the first step and by gradcheck (the latter was a RecursionError)."""
    shared = lk.Sequential(lk.Dense(2, 2, seed=0), lk.Sigmoid())
    shared.layers.append(shared[0])
    loop = lk.Sequential(lk.Dense(2, 2, seed=0))
    loop.layers.append(loop)
    t = np.zeros((2, 2))
    for net, words in [(shared, "positions 0 and 2"), (loop, "the whole network and 1")]:
        with pytest.raises(ConfigurationError, match=words):
            lk.fit(net, X, t, loss=lk.L2Loss(), optimizer=lk.SGD(0.1))
        with pytest.raises(ConfigurationError, match=words):
            lk.gradcheck(net, X)
