"""Level two: write a whole activation and a whole layer, then run ``layerkit exercise check DIR``.

Each class is a `layerkit.Layer`: ``forward(x)`` computes the output and keeps what
``backward`` needs; ``backward(grad)`` receives ∂L/∂y, stores the parameters' gradients (if
any) and returns ∂L/∂x. Row-vector convention: one sample is 1-D, a batch is 2-D (rows).
Neither method may write into its argument. The checker runs layerkit's conformance kit,
a finite-difference gradient check, and compares with layerkit's own layers.

The derivation: https://layerkit.github.io/layerkit/math/backpropagation/
"""

import numpy as np

from layerkit import Layer

LEVEL = "layers"


class Tanh(Layer):
    """y = tanh(x) elementwise; its derivative, written with the output, is 1 − y².

    ``backward(grad)`` returns ∂L/∂x = ∂L/∂y ⊙ (1 − y²).
    See math/backpropagation.md#the-sigmoid-and-its-derivative (tanh is graded the same way).
    """

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError


class Dense(Layer):
    """A fully connected layer a = xW + b (W is inputs × outputs).

    ``backward(delta)`` stores ∂L/∂W = xᵀδ in ``self.dW`` and ∂L/∂b = Σ δ over the batch in
    ``self.db`` (overwriting the last ones), and returns ∂L/∂x = δWᵀ.
    See math/backpropagation.md#the-output-layer and math/backpropagation.md#batches.
    """

    param_names = ("W", "b")

    def __init__(self, in_features, out_features, W=None, b=None, seed=0):
        rng = np.random.default_rng(seed)
        limit = np.sqrt(6.0 / (in_features + out_features))
        self.W = (
            rng.uniform(-limit, limit, (in_features, out_features)) if W is None else np.array(W)
        )
        self.b = np.zeros(out_features) if b is None else np.array(b)
        self.dW = None
        self.db = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, delta):
        raise NotImplementedError
