"""The fully connected layer: a = xW + b."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .errors import ConfigurationError, DTypeError, ShapeError
from .layer import Layer
from .namespaces import held_namespace
from .validation import (
    Array,
    as_float_array,
    check_features,
    check_gradient_shape,
    float_dtype,
    positive_int,
    random_seed,
)
from .weight_init import InitOption, draw_weights, init_config, init_option

if TYPE_CHECKING:
    from .optim import Optimizer

__all__ = ["Dense"]


class Dense(Layer):
    """Fully connected layer ``a = x @ W + b`` in the row-vector convention.

    ``W`` has shape ``(in_features, out_features)``, so ``W[i, j]`` connects input ``i`` to
    output ``j``, exactly as wᵢⱼ in the derivation. After ``backward``, ``dW`` and ``db`` hold
    ∂L/∂W and ∂L/∂b of the last call (overwritten, not accumulated). They are ``None`` before
    the first ``backward`` and after ``backward_step``, which applies them and lets them go.

    Input shape: ``(in_features,)`` for one sample or ``(batch, in_features)``.

    Output shape: ``(out_features,)`` or ``(batch, out_features)``.

    Parameters
    ----------
    in_features
        Number of inputs; a positive integer.
    out_features
        Number of outputs; a positive integer.
    W
        Initial weights ``(in_features, out_features)``; copied. When omitted, drawn by
        ``init``.
    b
        Initial bias ``(out_features,)``; copied. When omitted, zero.
    init
        How ``W`` is drawn when it is not given: the name of a registered initializer (see
        `initializers`), an `Initializer` such as ``lk.initializer("he_uniform",
        mode="fan_out")``, or a function ``init(shape, rng)`` that returns a NumPy array of
        ``shape`` = ``(in_features, out_features)`` drawn from the generator ``rng`` alone.
        ``"glorot"`` (default) draws uniformly from ±√(6 / (in + out)), which keeps the
        variance of activations and gradients about equal from layer to layer for sigmoid and
        tanh units; ``"he"`` draws from a normal with variance 2 / in, the equivalent for ReLU.
        With ``W`` given, ``init`` is only recorded, not looked up, and may be ``None``.
        ``config()`` keeps a name as given and a registered `Initializer` as ``{"name": ...,
        "config": {...}}`` (accepted here too); a function has no name to save, so it is kept
        as ``None``, which a saved file then holds.
    seed
        Seed or ``numpy.random.Generator`` for ``init``: the weights are drawn in float64 from
        ``numpy.random.default_rng(seed)``, then rounded to the layer's dtype, so the same
        seed gives the same weights, and the same numbers in float32 and float64.
    dtype
        ``float32`` or ``float64``. When omitted (and ``W`` is not given), the layer takes the
        float dtype of its first input; after that, input of another float dtype is an error.


    Examples
    --------
    >>> import numpy as np
    >>> from layerkit import Dense
    >>> layer = Dense(2, 3, W=np.ones((2, 3)), b=np.zeros(3))
    >>> layer(np.array([[1.0, 2.0]]))
    array([[3., 3., 3.]])
    """

    param_names = ("W", "b")

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        W: ArrayLike | None = None,
        b: ArrayLike | None = None,
        init: InitOption = "glorot",
        seed: int | np.random.Generator | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        self.in_features = positive_int(in_features, "Dense", "in_features")
        self.out_features = positive_int(out_features, "Dense", "out_features")
        self.init = init_option(init, self)
        if dtype is not None:
            dtype = float_dtype(dtype, repr(self))
        seed = random_seed(seed, self)
        size = self.in_features * self.out_features * np.dtype(dtype or np.float64).itemsize
        try:
            if size > np.iinfo(np.intp).max:  # beyond what NumPy can address at all
                raise MemoryError
            self.W = self._initial("W", W, (self.in_features, self.out_features), dtype, seed)
            self.b = self._initial("b", b, (self.out_features,), dtype or self.W.dtype, None)
        except MemoryError as error:  # NumPy's says only how many bytes it could not get
            raise ConfigurationError(
                f"{self!r} needs {_gibibytes(size)} GiB for its weights, more memory than "
                f"is available; check in_features and out_features"
            ) from error
        self.dW: Array | None = None  # allocated by the first backward, then reused
        self.db: Array | None = None
        # A layer given neither dtype nor W adopts the dtype of its first input.
        self._dtype_fixed = dtype is not None or W is not None
        self._x: Array | None = None
        self._out_shape: tuple[int, ...] | None = None  # the shape ∂L/∂a must have

    def _initial(
        self,
        name: str,
        given: ArrayLike | None,
        shape: tuple[int, ...],
        dtype: np.dtype[Any] | None,
        seed: int | np.random.Generator | None,
    ) -> Array:
        if given is not None:
            value = as_float_array(given, repr(self), name=name)
            if value.shape != shape:
                raise ShapeError(f"{self!r} expects {name} of shape {shape}, got {value.shape}")
            return np.array(value, dtype=dtype or value.dtype)  # a copy: training never
            # writes into the caller's array
        if name == "b":
            return np.zeros(shape, dtype=dtype)
        drawn = draw_weights(self.init, shape, np.random.default_rng(seed), self)
        return drawn.astype(dtype or np.float64)

    def forward(self, x: ArrayLike) -> Array:
        """Return ``x @ W + b``; see the class docstring for shapes."""
        foreign = False  # arrays of another library (`Layer.to`): the same checks
        if type(x) is not np.ndarray or type(self.W) is not np.ndarray:
            foreign = held_namespace(self, x, self.W, "input", "parameters") is not np
        x = as_float_array(x, self, integer_dtype=self.W.dtype)
        check_features(x, self, self.in_features)
        if x.dtype != self.W.dtype:
            self._adopt(x.dtype)
        self._dtype_fixed = True
        self._x = x
        if foreign:  # the plain formula, with the arrays' own operators
            a = x @ self.W + self.b  # a⁽¹⁾ = x w + b⁽¹⁾
            self._out_shape = tuple(a.shape)
            return a
        # --8<-- [start:forward]
        a = x @ self.W  # a⁽¹⁾ = x w + b⁽¹⁾,
        a += self.b  # adding b in place, without a second temporary array
        # --8<-- [end:forward]
        self._out_shape = a.shape
        return a

    # --8<-- [start:backward]
    def backward(self, grad: ArrayLike) -> Array:
        """Store ∂L/∂W = xᵀδ and ∂L/∂b = Σ_batch δ, and return ∂L/∂x = δWᵀ."""
        # --8<-- [end:backward]
        if type(self.W) is not np.ndarray:  # moved by .to(): the same formulas, array API
            return self._backward_xp(grad)
        # --8<-- [start:backward-numpy]
        delta = check_gradient_shape(grad, self, self._out_shape, self.W.dtype)
        x_rows, delta_rows = self._rows(delta)
        # out=: overwrite the last backward's gradients if they are still here, else allocate
        self.dW = np.matmul(x_rows.T, delta_rows, out=self.dW)  # ∂L/∂wᵢⱼ = Σ xᵢ δⱼ
        self.db = _batch_sum(delta_rows, out=self.db)  # ∂L/∂bⱼ = Σ δⱼ
        return self._input_gradient(delta)

    def _input_gradient(self, delta: Array) -> Array:
        return delta @ self.W.T  # ∂L/∂xᵢ = Σⱼ δⱼ wᵢⱼ: the δ handed to the layer below

    # --8<-- [end:backward-numpy]

    def _backward_xp(self, grad: Any) -> Any:
        """`backward` for arrays of another library than NumPy (`Layer.to`)."""
        xp, delta, x_rows, delta_rows = self._delta_xp(grad)
        self.dW = x_rows.T @ delta_rows  # ∂L/∂wᵢⱼ = Σ xᵢ δⱼ
        self.db = xp.sum(delta_rows, axis=0)  # ∂L/∂bⱼ = Σ δⱼ
        return delta @ self.W.T  # ∂L/∂xᵢ = Σⱼ δⱼ wᵢⱼ

    def _backward_step_xp(self, grad: Any, optimizer: Optimizer, input_grad: bool) -> Any:
        """`backward_step` for arrays of another library: δWᵀ only if asked, no stored
        gradient, and the optimizer's update as on NumPy (no check of what layerkit made,
        which on a GPU would wait for the device once per parameter)."""
        xp, delta, x_rows, delta_rows = self._delta_xp(grad)
        grad = delta @ self.W.T if input_grad else None
        optimizer.update_product(self.W, x_rows.T, delta_rows)
        optimizer.update(self.b, xp.sum(delta_rows, axis=0), overwrite_grad=True)
        self.dW = self.db = None
        return grad

    def _delta_xp(self, grad: Any) -> tuple[Any, Any, Any, Any]:
        """The namespace, δ, and the cached input and δ as batches (one sample: a batch of one)."""
        xp = held_namespace(self, grad, self.W, "gradient", "parameters")
        delta = check_gradient_shape(grad, self, self._out_shape, self.W.dtype)
        if delta.ndim == 1:
            return xp, delta, xp.reshape(self._x, (1, -1)), xp.reshape(delta, (1, -1))
        return xp, delta, self._x, delta

    def _rows(self, delta: Array) -> tuple[Array, Array]:
        """The cached input and δ as batches: one sample is a batch of one for the sums."""
        if delta.ndim == 2:
            return self._x, delta  # type: ignore[return-value]
        return self._x.reshape(1, -1), delta.reshape(1, -1)  # type: ignore[union-attr]

    def backward_step(
        self, grad: ArrayLike, optimizer: Optimizer, *, input_grad: bool = True
    ) -> Array | None:
        """``backward``, then the optimizer's update of ``W`` and ``b``; return ∂L/∂x.

        The optimizer receives ∂L/∂W = xᵀδ as its two factors (`Optimizer.update_product`),
        and no gradient is stored: ``dW`` and ``db`` are ``None`` afterwards. With
        ``input_grad=False`` the product δWᵀ is skipped and ``None`` returned. A subclass that
        overrides ``backward`` (to clip its gradients, say) is trained through it instead:
        ``backward``, then ``optimizer.step``.
        """
        if type(self).backward is not Dense.backward:
            return super().backward_step(grad, optimizer, input_grad=input_grad)
        if type(self.W) is not np.ndarray:  # another library: the same steps, array API
            return self._backward_step_xp(grad, optimizer, input_grad)
        # --8<-- [start:backward_step]
        delta = check_gradient_shape(grad, self, self._out_shape, self.W.dtype)
        # ∂L/∂x = δWᵀ first, with the weights of the forward pass; the first layer skips it
        grad = self._input_gradient(delta) if input_grad else None
        x_rows, delta_rows = self._rows(delta)
        # w ← w − η ∂L/∂w, with ∂L/∂W = xᵀδ handed over as its factors: plain SGD then
        # takes the step as xᵀ(ηδ), scaling δ (batch × out) instead of ∂L/∂W (in × out)
        optimizer.update_product(self.W, x_rows.T, delta_rows)
        optimizer.update(self.b, _batch_sum(delta_rows), overwrite_grad=True)
        # --8<-- [end:backward_step]
        self.dW = self.db = None  # gradients of an earlier backward are stale now
        return grad

    def _adopt(self, dtype: np.dtype[Any]) -> None:
        if self._dtype_fixed:
            raise DTypeError(
                f"{self!r} holds {self.W.dtype} parameters, got {dtype} input; convert the "
                f"input with .astype(np.{self.W.dtype}) or the layer with .astype(np.{dtype})"
            )
        self.astype(dtype)

    def astype(self, dtype: DTypeLike) -> Dense:
        """Convert ``W``, ``b`` and their gradients to ``dtype`` in place; return ``self``."""
        super().astype(dtype)
        self._dtype_fixed = True
        return self

    def config(self) -> dict[str, Any]:
        """Return ``in_features``, ``out_features`` and ``init``: a name, or ``{"name": ...,
        "config": {...}}`` for an `Initializer` of a registered class, or ``None`` for
        anything else (a function: the weights are saved, the rule that drew them cannot be)."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "init": init_config(self.init),
        }

    def __repr__(self) -> str:
        return f"Dense({self.in_features}→{self.out_features})"


def _gibibytes(size: int) -> str:
    """``size`` bytes in GiB, to three digits; an integer too large for a float too."""
    try:
        return f"{size / 2**30:.3g}"
    except OverflowError:
        return f"about 1e+{len(str(size // 2**30)) - 1}"


def _batch_sum(rows: Array, out: Array | None = None) -> Array:
    """The sum of ``rows`` over the batch (axis 0), computed as the product 1ᵀ · rows.

    Equal to ``rows.sum(axis=0)`` to rounding; BLAS computes it about twice as fast (1 µs
    against 2 for 32 rows of 128, 27 against 55 for 512 of 1024).
    """
    return np.matmul(_ones(len(rows), rows.dtype), rows, out=out)


@lru_cache(maxsize=32)
def _ones(length: int, dtype: np.dtype[Any]) -> Array:
    """A vector of ones, made once per batch size and dtype; read-only, since it is shared."""
    ones = np.ones(length, dtype)
    ones.flags.writeable = False
    return ones
