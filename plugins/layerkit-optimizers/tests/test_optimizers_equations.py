"""Each optimizer against PyTorch's documented pseudo-code, written out literally.

The references below are the algorithms of torch.optim's documentation, line by line, in
float64 NumPy that allocates freely: nothing folded, nothing in place. For every option
combination, the optimizer and its reference take 150 steps side by side on three
parameters of different shapes, with random gradients whose size changes from step to step
(so that AMSGrad's maximum, the moments' lag and the learning-rate decay all matter), and
must agree to 1e-12, relative to the size of the numbers, in the parameters and in the
state.
"""

from __future__ import annotations

import numpy as np
import pytest

from layerkit import Optimizer, Parameter
from layerkit_optimizers import Adagrad, Adam, AdamW, RMSprop

STEPS = 150
SHAPES = [(7, 5), (5,), (3, 4, 2)]
TOLERANCE = 1e-12


# --------------------------------------------------------------------------- references
def adam_reference(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, decoupled=False):  # fmt: skip
    """torch.optim.Adam (and AdamW with ``decoupled``): returns θ and the state."""
    beta1, beta2 = betas
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    v_max = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    state = {"step": len(grads), "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        state["max_exp_avg_sq"] = v_max
    return theta, state


def adamw_reference(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                    amsgrad=False):  # fmt: skip
    """torch.optim.AdamW: θ ← θ − γλθ, then Adam's step without λ in the gradient."""
    return adam_reference(theta, grads, lr, betas, eps, weight_decay, amsgrad, decoupled=True)


def rmsprop_reference(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                      momentum=0.0, centered=False):  # fmt: skip
    """torch.optim.RMSprop."""
    v = np.zeros_like(theta)
    b = np.zeros_like(theta)
    g_ave = np.zeros_like(theta)
    for g in grads:
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
    state = {"step": len(grads), "square_avg": v}
    if momentum > 0:
        state["momentum_buffer"] = b
    if centered:
        state["grad_avg"] = g_ave
    return theta, state


def adagrad_reference(theta, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10):  # fmt: skip
    """torch.optim.Adagrad."""
    state_sum = np.full_like(theta, initial_accumulator_value)
    for t, g in enumerate(grads, start=1):
        decayed_lr = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g**2
        theta = theta - decayed_lr * g / (np.sqrt(state_sum) + eps)
    return theta, {"step": len(grads), "sum": state_sum}


# ---------------------------------------------------------------------------- the cases
CASES = [
    (Adam, adam_reference, {}),
    (Adam, adam_reference, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    (Adam, adam_reference, {"lr": 0.005, "weight_decay": 0.1}),
    (Adam, adam_reference, {"lr": 0.005, "amsgrad": True}),
    (Adam, adam_reference, {"lr": 0.02, "weight_decay": 0.05, "amsgrad": True}),
    (Adam, adam_reference, {"lr": 0.01, "betas": (0.0, 0.0)}),
    (AdamW, adamw_reference, {}),
    (AdamW, adamw_reference, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (AdamW, adamw_reference, {"lr": 0.003, "betas": (0.5, 0.9), "weight_decay": 0.0}),
    (RMSprop, rmsprop_reference, {}),
    (RMSprop, rmsprop_reference, {"lr": 0.001, "momentum": 0.9}),
    (RMSprop, rmsprop_reference, {"lr": 0.001, "centered": True}),
    (RMSprop, rmsprop_reference, {"lr": 0.001, "alpha": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    (
        RMSprop,
        rmsprop_reference,
        {"lr": 0.001, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
    ),
    (Adagrad, adagrad_reference, {}),
    (Adagrad, adagrad_reference, {"lr": 0.1, "lr_decay": 0.01}),
    (Adagrad, adagrad_reference, {"lr": 0.05, "weight_decay": 0.1}),
    (Adagrad, adagrad_reference, {"initial_accumulator_value": 0.5, "eps": 1e-6}),
    (
        Adagrad,
        adagrad_reference,
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
]


def case_id(case) -> str:
    cls, _, options = case
    return f"{cls.__name__}({', '.join(f'{k}={v}' for k, v in options.items())})"


def gradients(shape: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """Gaussian gradients whose size changes from step to step, between e^-4 and e^1."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * np.exp(rng.uniform(-4, 1)) for _ in range(STEPS)]


def assert_agrees(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """|actual − expected| ≤ 1e-12 · max(|expected|, 1e-3 · scale) entry by entry, where the
    scale is the largest entry: relative, except for entries that cancelled to near zero."""
    scale = max(float(np.max(np.abs(expected))), np.finfo(float).tiny)
    floor = np.maximum(np.abs(expected), 1e-3 * scale)
    error = float(np.max(np.abs(actual - expected) / floor))
    assert error <= TOLERANCE, f"{what}: relative error {error:.3g} > {TOLERANCE:g}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_step_follows_the_documented_equations(case):
    cls, reference, options = case
    optimizer: Optimizer = cls(**options)
    starts = [
        np.random.default_rng(index).standard_normal(shape) for index, shape in enumerate(SHAPES)
    ]
    grads = [gradients(shape, 10 + index) for index, shape in enumerate(SHAPES)]
    values = [start.copy() for start in starts]
    for step in range(STEPS):
        parameters = [
            Parameter(f"p{index}", value, grads[index][step].copy())
            for index, value in enumerate(values)
        ]
        optimizer.step(parameters)
    for index, (start, value) in enumerate(zip(starts, values, strict=True)):
        expected, expected_state = reference(start.copy(), grads[index], **options)
        assert_agrees(value, expected, f"parameter {index}, shape {start.shape}")
        state = optimizer.state_of(value)
        assert set(state) == set(expected_state)
        assert state["step"].dtype == np.int64 and state["step"].shape == ()
        assert int(state["step"]) == expected_state.pop("step")
        for key, array in expected_state.items():
            assert_agrees(state[key], array, f"state {key!r} of parameter {index}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_update_with_overwrite_grad_follows_them_too(case):
    """``update(..., overwrite_grad=True)`` (what Dense.backward_step passes for b)."""
    cls, reference, options = case
    optimizer = cls(**options)
    start = np.random.default_rng(0).standard_normal((6, 4))
    grads = gradients((6, 4), 1)
    value = start.copy()
    for grad in grads:
        optimizer.update(value, grad.copy(), overwrite_grad=True)
    assert_agrees(value, reference(start, grads, **options)[0], "parameter")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_update_product_follows_them_too(case):
    """The fused path: the gradient handed over as the factors of xᵀδ."""
    cls, reference, options = case
    optimizer = cls(**options)
    rng = np.random.default_rng(2)
    start = rng.standard_normal((6, 4))
    factors = [
        (rng.standard_normal((6, 9)), rng.standard_normal((9, 4)) * np.exp(rng.uniform(-4, 1)))
        for _ in range(STEPS)
    ]
    value = start.copy()
    for left, right in factors:
        optimizer.update_product(value, left, right)
    expected = reference(start, [left @ right for left, right in factors], **options)[0]
    assert_agrees(value, expected, "parameter")


def test_the_references_are_not_vacuous():
    """The options change the result: a reference that ignored one would agree with a bug."""
    start, grads = np.ones(5), gradients((5,), 3)
    for cls, reference, options in CASES:
        if options:
            default = cls()
            assert any(getattr(default, k) != v for k, v in options.items() if k != "betas") or (
                default.betas != options.get("betas", default.betas)
            )
            assert not np.allclose(
                reference(start, grads, **options)[0], reference(start, grads)[0]
            )
