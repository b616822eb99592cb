"""Right and wrong solutions of the exercises, as a learner would write them."""

from __future__ import annotations

import re

FUNCTIONS = {
    "sigmoid": "def sigmoid(a):\n    return 1 / (1 + np.exp(-a))\n",
    "sigmoid_derivative": "def sigmoid_derivative(y):\n    return y * (1 - y)\n",
    "output_delta": "def output_delta(y, t):\n    return (y - t) * y * (1 - y)\n",
    "hidden_delta": (
        "def hidden_delta(h, delta_next, u):\n    return h * (1 - h) * (delta_next @ u.T)\n"
    ),
    "weight_gradient": (
        "def weight_gradient(x, delta):\n"
        "    if x.ndim == 1:\n"
        "        return np.outer(x, delta)\n"
        "    return x.T @ delta\n"
    ),
    "bias_gradient": (
        "def bias_gradient(delta):\n"
        "    return delta.sum(axis=0) if delta.ndim == 2 else delta.copy()\n"
    ),
    "sgd_update": "def sgd_update(w, grad, lr):\n    return w - lr * grad\n",
}
"""A right solution of each function of level ``functions``."""

MISTAKES = [
    # (function, its wrong body, words the hint must contain)
    ("sigmoid", "def sigmoid(a):\n    return 1 / (1 + np.exp(a))\n", "a sign"),
    ("sigmoid_derivative", "def sigmoid_derivative(y):\n    return 1 - y\n", "missing factor y"),
    ("output_delta", "def output_delta(y, t):\n    return y - t\n", "missing y(1 − y)"),
    ("output_delta", "def output_delta(y, t):\n    return (t - y) * y * (1 - y)\n", "a sign"),
    (
        "hidden_delta",
        "def hidden_delta(h, delta_next, u):\n    return h * (1 - h) * (delta_next @ u)\n",
        "u instead of uᵀ",
    ),
    (
        "hidden_delta",
        "def hidden_delta(h, delta_next, u):\n    return delta_next @ u.T\n",
        "missing h(1 − h)",
    ),
    (
        "weight_gradient",
        "def weight_gradient(x, delta):\n"
        "    x, delta = np.atleast_2d(x), np.atleast_2d(delta)\n"
        "    return x.T @ delta / len(x)\n",
        "mean instead of sum",
    ),
    (
        "bias_gradient",
        "def bias_gradient(delta):\n    return np.atleast_2d(delta).mean(axis=0)\n",
        "mean instead of sum",
    ),
    ("sgd_update", "def sgd_update(w, grad, lr):\n    return w + lr * grad\n", "a sign"),
    (
        "sigmoid_derivative",
        "def sigmoid_derivative(y):\n    s = 1 / (1 + np.exp(-y))\n    return s * (1 - s)\n",
        "applied σ again",
    ),
    (
        "hidden_delta",
        "def hidden_delta(h, delta_next, u):\n    return h * (1 - h) * (u @ delta_next)\n",
        "u @ δ⁽²⁾, right for one sample only",
    ),
    (
        "weight_gradient",
        "def weight_gradient(x, delta):\n    return x.T @ delta\n",
        "outer product",
    ),
    (
        "weight_gradient",
        "def weight_gradient(x, delta):\n"
        "    return np.outer(delta, x) if x.ndim == 1 else delta.T @ x\n",
        "δᵀx instead of xᵀδ",
    ),
    (
        "bias_gradient",
        "def bias_gradient(delta):\n    return delta.sum(axis=-1)\n",
        "summed over the units",
    ),
    ("sgd_update", "def sgd_update(w, grad, lr):\n    return w - grad\n", "missing learning rate"),
    (
        "sgd_update",
        "def sgd_update(w, grad, lr):\n    w -= lr * grad\n    return w\n",
        "modified its input w",
    ),
    (
        "output_delta",
        "def output_delta(y, t):\n    y -= t\n    return y * (y + t) * (1 - y - t)\n",
        "modified its input y",
    ),
]
"""Mistakes planted one at a time into a right solution."""

TANH = """
class Tanh(Layer):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad):
        return grad * (1 - self.y**2)
"""

TANH_WRONG_DERIVATIVE = TANH.replace("(1 - self.y**2)", "(1 - self.y)")

DENSE = """
class Dense(Layer):
    param_names = ("W", "b")

    def __init__(self, in_features, out_features, W=None, b=None, seed=0):
        rng = np.random.default_rng(seed)
        self.W = rng.normal(size=(in_features, out_features)) if W is None else np.array(W)
        self.b = np.zeros(out_features) if b is None else np.array(b)
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, delta):
        x, rows = np.atleast_2d(self.x), np.atleast_2d(delta)
        self.dW = x.T @ rows
        self.db = rows.sum(axis=0)
        return delta @ self.W.T
"""

DENSE_W_NOT_TRANSPOSED = DENSE.replace("return delta @ self.W.T", "return delta @ self.W")
DENSE_MEAN_BIAS = DENSE.replace("rows.sum(axis=0)", "rows.mean(axis=0)")


def replace(source: str, name: str, code: str) -> str:
    """``source`` with the top-level ``def name`` or ``class name`` replaced by ``code``."""
    pattern = rf"^(def|class) {name}\b.*?(?=^(def|class) |\Z)"
    new, count = re.subn(pattern, lambda _: code.strip("\n") + "\n\n\n", source, flags=re.S | re.M)
    assert count == 1, name
    return new
