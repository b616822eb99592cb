"""The seed's 2-3-2 network against the derivation's closed forms, written index by index.

The reference below uses plain Python floats and explicit loops over the indices i (input),
j (hidden unit) and k (output), exactly as the formulas are written on paper, and no NumPy
matrix code, so it is independent of how the library computes. Every comparison is to 1e-12
in float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerkit as lk

EXACT = {"rtol": 0, "atol": 1e-12}

X_SAMPLE = np.array([0.3, -0.7])
T_SAMPLE = np.array([0.01, 0.99])
X_BATCH = np.array([[0.3, -0.7], [1.0, 0.5], [-0.4, 0.2]])
T_BATCH = np.array([[0.01, 0.99], [1.0, 0.0], [0.5, 0.25]])


def sigma(a: float) -> float:
    """The logistic sigmoid σ(a) = 1 / (1 + e⁻ᵃ)."""
    return 1.0 / (1.0 + math.exp(-a))


def reference_one_sample(x, t, w, b1, u, b2) -> dict:
    """Loss and every gradient of the 2-3-2 network for one sample, by the closed forms."""
    inputs, hidden, outputs = range(2), range(3), range(2)
    # Forward: h_j = σ(Σ_i x_i w_ij + b1_j), y_k = σ(Σ_j h_j u_jk + b2_k).
    h = [sigma(sum(x[i] * w[i][j] for i in inputs) + b1[j]) for j in hidden]
    y = [sigma(sum(h[j] * u[j][k] for j in hidden) + b2[k]) for k in outputs]
    loss = 0.5 * sum((y[k] - t[k]) ** 2 for k in outputs)  # ½ Σ_k (y_k − t_k)²
    # Output layer: δ_k = (y_k − t_k) y_k (1 − y_k), ∂L/∂u_jk = δ_k h_j, ∂L/∂b2_k = δ_k.
    delta = [(y[k] - t[k]) * y[k] * (1 - y[k]) for k in outputs]
    d_u = [[delta[k] * h[j] for k in outputs] for j in hidden]
    d_b2 = list(delta)
    # Hidden layer: δ_j = h_j (1 − h_j) Σ_k δ_k u_jk, ∂L/∂w_ij = δ_j x_i, ∂L/∂b1_j = δ_j.
    hidden_delta = [h[j] * (1 - h[j]) * sum(delta[k] * u[j][k] for k in outputs) for j in hidden]
    d_w = [[hidden_delta[j] * x[i] for j in hidden] for i in inputs]
    d_b1 = list(hidden_delta)
    # The gradient handed below the network: ∂L/∂x_i = Σ_j w_ij δ_j.
    d_x = [sum(w[i][j] * hidden_delta[j] for j in hidden) for i in inputs]
    return {"y": y, "loss": loss, "w": d_w, "b1": d_b1, "u": d_u, "b2": d_b2, "x": d_x}


def mean_of(values: list):
    """The entry-wise mean of equally shaped numbers or nested lists."""
    if isinstance(values[0], list):
        return [mean_of([value[a] for value in values]) for a in range(len(values[0]))]
    return sum(values) / len(values)


def reference_batch(xs, ts, weights) -> dict:
    """A batch under L2Loss's default mean: the per-sample loss and gradients, averaged.

    Each sample's own output y and input gradient stay per sample; ∂L/∂x of sample n is
    divided by the batch size too, because L is the mean.
    """
    per_sample = [reference_one_sample(x, t, **weights) for x, t in zip(xs, ts, strict=True)]
    n = len(per_sample)
    result = {
        "y": [r["y"] for r in per_sample],
        "x": [[value / n for value in r["x"]] for r in per_sample],
    }
    for name in ("loss", "w", "b1", "u", "b2"):
        result[name] = mean_of([r[name] for r in per_sample])
    return result


def updated_by_hand(before: list, grad: list, lr: float) -> list:
    """w ← w − η ∂L/∂w, entry by entry, for a vector or a matrix given as nested lists."""
    if isinstance(before[0], list):
        return [updated_by_hand(before[a], grad[a], lr) for a in range(len(before))]
    return [before[a] - lr * grad[a] for a in range(len(before))]


def as_lists(weights: dict[str, np.ndarray]) -> dict[str, list]:
    """The weights as nested Python lists, so the reference never touches NumPy math."""
    return {name: value.tolist() for name, value in weights.items()}


def library_gradients(net: lk.Sequential, x: np.ndarray, t: np.ndarray) -> dict:
    """Run forward, L2Loss, backward through the library and collect what it computed."""
    loss = lk.L2Loss()
    y = net.forward(x)
    value = loss.forward(y, t)
    d_x = net.backward(loss.backward())
    return {
        "y": y,
        "loss": value,
        "w": net[0].dW,
        "b1": net[0].db,
        "u": net[2].dW,
        "b2": net[2].db,
        "x": d_x,
    }


@pytest.mark.parametrize(
    ("x", "t"),
    [(X_SAMPLE, T_SAMPLE), (X_BATCH, T_BATCH)],
    ids=["one-sample", "batch-of-three"],
)
def test_backward_matches_closed_forms(seed_network, seed_weights, x, t):
    """Outputs, loss and every gradient equal the derivation's formulas to 1e-12."""
    if x.ndim == 1:
        expected = reference_one_sample(x.tolist(), t.tolist(), **as_lists(seed_weights))
    else:
        expected = reference_batch(x.tolist(), t.tolist(), as_lists(seed_weights))
    actual = library_gradients(seed_network, x, t)
    for name in ("y", "loss", "w", "b1", "u", "b2", "x"):
        np.testing.assert_allclose(actual[name], expected[name], **EXACT, err_msg=name)


@pytest.mark.parametrize(("x", "t"), [(X_SAMPLE, T_SAMPLE), (X_BATCH, T_BATCH)])
def test_sgd_step_matches_closed_form(seed_network, seed_weights, x, t):
    """After SGD.step every weight is w − η ∂L/∂w, with ∂L/∂w from the closed forms."""
    lr = 0.5
    if x.ndim == 1:
        gradients = reference_one_sample(x.tolist(), t.tolist(), **as_lists(seed_weights))
    else:
        gradients = reference_batch(x.tolist(), t.tolist(), as_lists(seed_weights))
    library_gradients(seed_network, x, t)
    lk.SGD(lr=lr).step(seed_network)

    updated = {
        "w": seed_network[0].W,
        "b1": seed_network[0].b,
        "u": seed_network[2].W,
        "b2": seed_network[2].b,
    }
    for name, before in as_lists(seed_weights).items():
        expected = updated_by_hand(before, gradients[name], lr)
        np.testing.assert_allclose(updated[name], expected, **EXACT, err_msg=name)


def test_one_sample_agrees_with_batch_of_one(seed_weights):
    """A 1-D sample and the same sample as a (1, 2) batch give the same output and gradients."""

    def network() -> lk.Sequential:
        return lk.Sequential(
            lk.Dense(2, 3, W=seed_weights["w"], b=seed_weights["b1"]),
            lk.Sigmoid(),
            lk.Dense(3, 2, W=seed_weights["u"], b=seed_weights["b2"]),
            lk.Sigmoid(),
        )

    sample = library_gradients(network(), X_SAMPLE, T_SAMPLE)
    batch = library_gradients(network(), X_SAMPLE[None, :], T_SAMPLE[None, :])
    assert sample["y"].shape == (2,) and batch["y"].shape == (1, 2)
    assert sample["x"].shape == (2,) and batch["x"].shape == (1, 2)
    np.testing.assert_allclose(sample["y"], batch["y"][0], **EXACT)
    np.testing.assert_allclose(sample["x"], batch["x"][0], **EXACT)
    assert sample["loss"] == pytest.approx(batch["loss"], rel=0, abs=1e-15)
    for name in ("w", "b1", "u", "b2"):
        np.testing.assert_allclose(sample[name], batch[name], **EXACT, err_msg=name)


def test_l2loss_backward_of_one_sample_is_exactly_y_minus_t():
    """For one 1-D sample, ∂L/∂y is y − t bit for bit: no batch scaling is applied."""
    y = np.array([0.8, 0.2, 0.123456789])
    t = np.array([1.0, 0.0, 0.5])
    loss = lk.L2Loss()
    assert loss.forward(y, t) == pytest.approx(0.5 * sum((y - t) ** 2), rel=0, abs=1e-15)
    np.testing.assert_array_equal(loss.backward(), y - t)
