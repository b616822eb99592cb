"""Helpers of the ONNX export tests: run an exported file in ONNX Runtime, compare outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime

TOLERANCE = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}
"""Relative agreement issue 17 asks of an exported model, per dtype."""


def session(path: Path) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def assert_agrees(got: np.ndarray, expected: np.ndarray) -> None:
    """``got`` equals ``expected`` in dtype and shape, and to ``TOLERANCE`` relative to its size.

    The error is measured against the largest output, not each output alone: ONNX Runtime
    and NumPy add a Dense layer's products in different orders, so an output near 0 after
    cancellation carries the rounding of terms the size of the others (and ONNX Runtime's
    Sigmoid returns σ(−30) ≈ 9e-14 to three digits, an absolute error of 1e-16).
    """
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    rtol = TOLERANCE[expected.dtype]
    scale = float(np.max(np.abs(expected)))
    assert scale > 0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale)
