"""Backpropagation by hand: write each function, then run ``layerkit exercise check DIR``.

Row-vector convention, as in the derivation: a sample is a row, a batch is a 2-D array of
rows. Every function takes and returns NumPy arrays, works for one sample (1-D) and for a
batch (2-D), and returns a new array: it never writes into its arguments. Replace each
``raise NotImplementedError`` with your code; the checker grades only the functions you did.

The derivation: https://layerkit.github.io/layerkit/math/backpropagation/
"""

import numpy as np

LEVEL = "functions"


def sigmoid(a):
    """The logistic sigmoid of every entry: σ(a) = 1 / (1 + e⁻ᵃ).

    In words: one over one plus e to the minus a, elementwise.
    See math/backpropagation.md#the-sigmoid-and-its-derivative.
    """
    raise NotImplementedError


def sigmoid_derivative(y):
    """The sigmoid's derivative written with its output y = σ(a): σ′(a) = y(1 − y).

    In words: y times one minus y, elementwise. The argument is the output y, not the input a.
    See math/backpropagation.md#the-sigmoid-and-its-derivative.
    """
    raise NotImplementedError


def output_delta(y, t):
    """The output layer's error signal: δ⁽²⁾ = (y − t) ⊙ y(1 − y).

    In words: the output minus the target, times the sigmoid's derivative y(1 − y), entry by
    entry (⊙). This is ∂L/∂a⁽²⁾ for the loss L = ½ Σ (y − t)² of one sample.
    See math/backpropagation.md#the-output-layer.
    """
    raise NotImplementedError


def hidden_delta(h, delta_next, u):
    """The hidden layer's error signal: δ⁽¹⁾ = h(1 − h) ⊙ (δ⁽²⁾ uᵀ).

    In words: send δ⁽²⁾ back through the second layer's weights u, transposed (u is
    hidden × outputs, so δ⁽²⁾ uᵀ has one entry per hidden unit), then multiply entry by entry
    by the sigmoid's derivative at the hidden layer, h(1 − h).
    See math/backpropagation.md#the-hidden-layer-the-hard-part.
    """
    raise NotImplementedError


def weight_gradient(x, delta):
    """The gradient of a weight matrix: ∂L/∂w = xᵀδ.

    In words: the layer's input transposed, times its δ: entry (i, j) is Σ xᵢ δⱼ over the
    batch, so the result has the weights' shape (inputs × outputs). For one sample (1-D x
    and δ) it is the outer product of x and δ.
    See math/backpropagation.md#the-output-layer and math/backpropagation.md#batches.
    """
    raise NotImplementedError


def bias_gradient(delta):
    """The gradient of a bias vector: ∂L/∂b = Σ δ over the batch.

    In words: δ summed over the samples (the rows), one entry per unit; for one sample (1-D
    δ) it is δ itself. A sum, not a mean: the loss's own gradient already divides by the
    batch size when it should.
    See math/backpropagation.md#batches.
    """
    raise NotImplementedError


def sgd_update(w, grad, lr):
    """One step of gradient descent: w − η ∂L/∂w, returned as a new array.

    In words: the parameter minus the learning rate η (``lr``) times its gradient. Return a
    new array; leave ``w`` itself unchanged.
    See math/backpropagation.md#the-update-rule.
    """
    raise NotImplementedError
