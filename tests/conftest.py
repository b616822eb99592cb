"""Shared fixtures: the seed's 2-3-2 network with fixed weights, and the XOR data set."""

from __future__ import annotations

import numpy as np
import pytest

import layerkit as lk


@pytest.fixture
def seed_weights() -> dict[str, np.ndarray]:
    """Fixed float64 weights of the seed's 2-3-2 network, named as in the derivation.

    ``w[i, j]`` connects input i to hidden unit j, ``u[j, k]`` hidden unit j to output k.
    """
    return {
        "w": np.array([[0.15, -0.25, 0.35], [0.45, 0.55, -0.65]]),
        "b1": np.array([0.10, -0.20, 0.30]),
        "u": np.array([[0.40, -0.50], [0.60, 0.70], [-0.80, 0.90]]),
        "b2": np.array([-0.10, 0.20]),
    }


@pytest.fixture
def seed_network(seed_weights: dict[str, np.ndarray]) -> lk.Sequential:
    """Dense 2→3, Sigmoid, Dense 3→2, Sigmoid, holding copies of ``seed_weights``."""
    return lk.Sequential(
        lk.Dense(2, 3, W=seed_weights["w"], b=seed_weights["b1"]),
        lk.Sigmoid(),
        lk.Dense(3, 2, W=seed_weights["u"], b=seed_weights["b2"]),
        lk.Sigmoid(),
    )


@pytest.fixture
def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR inputs and their targets, float64, shapes (4, 2) and (4, 1)."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = np.array([[0.0], [1.0], [1.0], [0.0]])
    return x, t
