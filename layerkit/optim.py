"""Optimizers: what to do with the gradients once backward has filled them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .errors import (
    ComponentTypeError,
    ConfigurationError,
    DTypeError,
    NoGradientError,
    NonFiniteError,
    ShapeError,
)
from .layer import Layer, Parameter
from .model_format import shown
from .namespaces import convert, device_of, held_namespace, library_of, namespace_of, to_numpy
from .validation import FLOAT_DTYPES, Array, float_dtype, real_number

_FLOAT32, _FLOAT64 = FLOAT_DTYPES

__all__ = ["SGD", "Optimizer"]


class Optimizer:
    """Base class of optimizers: the rule that moves one parameter along its gradient.

    A subclass implements ``update(value, grad)``, which changes one parameter array in
    place; ``step(model)`` applies it to every parameter of a model. It may also override
    ``update_product(value, left, right)``, which receives a gradient as the two factors of a
    matrix product (a `Dense` layer's ∂L/∂W = xᵀδ), if it can do better than forming the
    product. ``lr`` is the learning rate; `fit` quotes it when training diverges.

    `fit` (through ``backward_step``) updates each layer right after its backward, so an
    optimizer must move each parameter from its own gradient and state alone, as SGD does.
    One that needs every gradient at once (clipping by the global norm) must be used with
    ``backward`` followed by ``step(model)``.

    An optimizer that keeps state between steps (velocities, moment estimates) keeps it in
    ``state_of(value)``, one dict per parameter array: then ``reset()`` forgets it (`fit`
    calls that when it rolls the parameters back after training diverged) and
    ``state_dict``/``load_state_dict`` save and restore it, so a checkpoint resumes exactly.
    ``config()`` returns the constructor options.
    """

    lr: float

    # Per-parameter state, keyed by the parameter array's id, with the array kept alive so
    # that the id cannot be reused by another array. Created on first use, so a subclass
    # need not call ``super().__init__()``.
    _states: dict[int, tuple[Array, dict[str, Array]]]

    def state_of(self, value: Array) -> dict[str, Array]:
        """Return the state this optimizer keeps for the parameter array ``value``.

        The dict is created empty the first time ``value`` is seen (or after `reset`; a layer
        converted with ``astype`` has new arrays, which start afresh). An optimizer stores its
        per-parameter arrays in it under names of its own (``"momentum_buffer"``,
        ``"exp_avg"``, ``"step"``), in the parameter's dtype for anything the update reads.
        `state_dict` saves exactly these entries, so what is kept here survives a checkpoint.
        """
        states = self.__dict__.setdefault("_states", {})
        kept = states.get(id(value))
        if kept is not None and kept[0] is value:
            return kept[1]
        state: dict[str, Array] = {}
        states[id(value)] = (value, state)
        return state

    def state_dict(self, model: Layer | Iterable[Parameter]) -> dict[str, dict[str, Array]]:
        """Return copies of the state kept for each parameter of ``model``, by parameter name.

        Parameters with no state yet are left out. `load_state_dict` puts it back, so a
        training run saved and resumed continues exactly as if it had not stopped.
        """
        states = self.__dict__.get("_states", {})
        saved: dict[str, dict[str, Array]] = {}
        for parameter in _parameters_of(model, self):
            kept = states.get(id(parameter.value))
            if kept is not None and kept[0] is parameter.value and kept[1]:
                saved[parameter.name] = {key: _host_copy(value) for key, value in kept[1].items()}
        return saved

    def load_state_dict(
        self, model: Layer | Iterable[Parameter], state: dict[str, dict[str, Array]]
    ) -> None:
        """Replace the kept state with ``state`` (from `state_dict`) for ``model``'s parameters.

        Raises `ConfigurationError` naming the entry when ``state`` is not a dict of dicts of
        arrays, names a parameter the model does not have, or holds an array that is not
        numeric, not finite, or of a shape that fits neither the parameter nor a scalar;
        nothing is changed then.
        """
        parameters = {parameter.name: parameter for parameter in _parameters_of(model, self)}
        who = f"{self!r} cannot load"
        if not isinstance(state, dict):
            raise ConfigurationError(
                f"{who} state {shown(state)}: it expects a dict from state_dict(), "
                f"{{parameter name: {{state name: array}}}}"
            )
        loaded: list[tuple[Array, dict[str, Array]]] = []
        for name, entries in state.items():
            parameter = parameters.get(name)
            if parameter is None:
                raise ConfigurationError(
                    f"{who} state for parameter {shown(name)}: the model has "
                    f"{', '.join(map(repr, parameters)) or 'no parameters'}"
                )
            if not isinstance(entries, dict):
                raise ConfigurationError(
                    f"{who} state of parameter {name!r}: expected a dict of arrays, got "
                    f"{shown(entries)}"
                )
            arrays = {}
            for key, array in entries.items():
                where = f"{who} state {shown(key)} of parameter {name!r}:"
                try:
                    array = np.asarray(to_numpy(array) if library_of(array) != "numpy" else array)
                except (TypeError, ValueError) as error:
                    raise ConfigurationError(f"{where} {error}") from error
                if array.dtype.kind not in "fiu":
                    raise ConfigurationError(
                        f"{where} expected numbers, got {shown(array)} of dtype {array.dtype}"
                    )
                if array.shape not in ((), parameter.value.shape):
                    raise ConfigurationError(
                        f"{where} it has shape {array.shape}, the parameter {parameter.value.shape}"
                    )
                if array.dtype.kind == "f" and not np.isfinite(array).all():
                    raise ConfigurationError(f"{where} it holds NaN or infinity")
                dtype = array.dtype
                if array.dtype.kind == "f":
                    dtype = float_dtype(parameter.value.dtype, self)
                arrays[key] = np.array(array, dtype=dtype)  # a copy, in the parameter's dtype
                if type(parameter.value) is not np.ndarray:  # in the parameter's library
                    arrays[key] = convert(
                        arrays[key], namespace_of(parameter.value), device_of(parameter.value)
                    )
            loaded.append((parameter.value, arrays))
        self.reset()
        states = self.__dict__.setdefault("_states", {})
        for value, arrays in loaded:
            states[id(value)] = (value, arrays)

    def config(self) -> dict[str, Any]:
        """Return the constructor options that rebuild this optimizer (without its state).

        The default reads ``lr``; an optimizer with more options overrides it, so that a
        checkpoint can rebuild it by its registered name.
        """
        return {"lr": self.lr}

    def step(self, model: Layer | Iterable[Parameter]) -> None:
        """Update every parameter of ``model`` (a layer, or an iterable of `Parameter`).

        Every gradient is checked first: it must exist, have its parameter's shape and
        dtype, and be finite. If any is not, no parameter is changed and the error
        (`NoGradientError`, `ShapeError`, `DTypeError` or `NonFiniteError`) names it.
        """
        parameters = _parameters_of(model, self)
        for parameter in parameters:
            _check_gradient(parameter, self)
        for parameter in parameters:
            self.update(parameter.value, parameter.grad)  # type: ignore[arg-type]

    def reset(self) -> None:
        """Forget the state kept between steps (everything `state_of` holds).

        `fit` calls it when it rolls the parameters back after training diverged. A subclass
        that keeps state elsewhere overrides it and calls ``super().reset()``.
        """
        self.__dict__.get("_states", {}).clear()

    def update(self, value: Array, grad: Array, *, overwrite_grad: bool = False) -> None:
        """Move the parameter array ``value`` in place, given its gradient ``grad``.

        ``overwrite_grad=True`` lets the optimizer use ``grad`` as scratch space, which can
        save a temporary array the size of ``value``; `Dense.backward_step` passes it for
        gradients it discards right after. ``step`` never does.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update(value, grad)")

    def update_product(self, value: Array, left: Array, right: Array) -> None:
        """Move ``value`` in place, given its gradient as a matrix product ``left @ right``.

        `Dense.backward_step` hands over ∂L/∂W = xᵀδ this way. The default forms the product
        and passes it to ``update`` as scratch; an optimizer whose step is a multiple of the
        gradient can scale the smaller factor instead (SGD does).
        """
        self.update(value, left @ right, overwrite_grad=True)


class SGD(Optimizer):
    """Stochastic gradient descent, ``w ← w − η ∂L/∂w``, with PyTorch's options.

    The options follow ``torch.optim.SGD``'s documented algorithm. For each parameter θ with
    gradient g, at its t-th update:

    ```text
    g ← g + λθ                          (if weight_decay λ > 0)
    b ← g at t = 1, else μb + (1 − τ)g  (if momentum μ > 0: the buffer)
    g ← g + μb if nesterov, else b      (if momentum μ > 0)
    θ ← θ − ηg
    ```

    With the defaults it is plain gradient descent, ``w ← w − η ∂L/∂w``; with momentum alone
    each parameter keeps a velocity ``v ← μv + ∂L/∂w`` and moves by ``w ← w − ηv``. The
    buffer b is kept as ``"momentum_buffer"`` in `state_of`. Parameters are updated in place.

    Parameters
    ----------
    lr
        The learning rate η; finite and non-negative.
    momentum
        μ in ``[0, 1)``; 0 (default) is plain gradient descent.
    dampening
        τ in ``[0, 1]``: the buffer adds (1 − τ)g after the first step (default 0).
    weight_decay
        λ >= 0, an L2 penalty added to the gradient (default 0).
    nesterov
        Step along g + μb (Nesterov momentum) instead of b; needs ``momentum > 0`` and
        ``dampening = 0``, as in PyTorch (default False).

    Raises
    ------
    ConfigurationError
        If an option is out of its range, or ``nesterov`` lacks momentum or has dampening.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit import SGD
    >>> from layerkit import Dense
    >>> layer = Dense(1, 1, W=[[1.0]], b=[0.0])
    >>> _ = layer.forward(np.array([2.0]))
    >>> _ = layer.backward(np.array([1.0]))   # ∂L/∂W = 2, ∂L/∂b = 1
    >>> SGD(lr=0.5).step(layer)
    >>> layer.W, layer.b
    (array([[0.]]), array([-0.5]))
    """

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        self.lr = real_number(lr, "SGD", "learning rate lr")
        if not _is_real(momentum) or not 0.0 <= momentum < 1.0:
            raise ConfigurationError(f"SGD expects momentum in [0, 1), got momentum={momentum!r}")
        if not _is_real(dampening) or not 0.0 <= dampening <= 1.0:
            raise ConfigurationError(
                f"SGD expects dampening in [0, 1], got dampening={dampening!r}"
            )
        self.momentum, self.dampening = float(momentum), float(dampening)
        self.weight_decay = real_number(weight_decay, "SGD", "weight_decay")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ConfigurationError(
                f"SGD expects nesterov to be True or False, got nesterov={nesterov!r}"
            )
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ConfigurationError(
                f"SGD with nesterov=True needs momentum > 0 and dampening = 0 (as PyTorch), "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        self.nesterov = bool(nesterov)

    def update(self, value: Array, grad: Array, *, overwrite_grad: bool = False) -> None:
        """Apply ``w ← w − η ∂L/∂w`` (or its momentum form) to one parameter, in place.

        With ``overwrite_grad``, η ∂L/∂w is computed into ``grad`` instead of a new array.
        """
        if type(value) is not np.ndarray:
            self._update_xp(value, grad)
            return
        scratch = grad if overwrite_grad else None
        if self.weight_decay:
            grad = scratch = np.add(grad, self.weight_decay * value, out=scratch)  # g ← g + λθ
        if self.momentum:
            buffer = self._buffer_of(value, grad)  # b ← μb + (1 − τ)g
            if self.nesterov:
                grad = scratch = np.add(grad, self.momentum * buffer, out=scratch)  # g + μb
            else:
                grad = buffer  # g ← b; grad is not read again
        # --8<-- [start:sgd-step]
        value -= np.multiply(self.lr, grad, out=scratch)  # w ← w − η ∂L/∂w, in place
        # --8<-- [end:sgd-step]

    def update_product(self, value: Array, left: Array, right: Array) -> None:
        """Apply ``w ← w − η (left @ right)`` in place, scaling the smaller factor by η.

        With momentum or weight decay the update needs the gradient itself, and a subclass
        that changes ``update`` must see it too: then the product is formed and passed to
        ``update``.
        """
        if (
            self.momentum
            or self.weight_decay
            or type(self).update is not SGD.update
            or type(value) is not np.ndarray
        ):
            super().update_product(value, left, right)
            return
        # --8<-- [start:sgd-product]
        # η(xᵀδ) = xᵀ(ηδ): for a Dense layer δ has batch × out numbers, ∂L/∂W in × out
        if right.size <= left.size:
            right = np.multiply(self.lr, right)
        else:
            left = np.multiply(self.lr, left)
        value -= left @ right
        # --8<-- [end:sgd-product]

    def config(self) -> dict[str, Any]:
        """Return ``lr``, ``momentum``, ``dampening``, ``weight_decay`` and ``nesterov``."""
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "dampening": self.dampening,
            "weight_decay": self.weight_decay,
            "nesterov": self.nesterov,
        }

    def _update_xp(self, value: Any, grad: Any) -> None:
        """`update` for a parameter of another array library, as the algorithm is written."""
        if self.weight_decay:
            grad = grad + self.weight_decay * value  # g ← g + λθ
        if self.momentum:
            state = self.state_of(value)
            buffer = state.get("momentum_buffer")
            if buffer is None:  # b = g at the first step
                buffer = namespace_of(grad).asarray(grad, copy=True)
            else:  # b ← μb + (1 − τ)g
                buffer = self.momentum * buffer + (1.0 - self.dampening) * grad
            state["momentum_buffer"] = buffer
            grad = grad + self.momentum * buffer if self.nesterov else buffer
        value -= self.lr * grad  # w ← w − η ∂L/∂w, in place

    def _buffer_of(self, weight: Array, gradient: Array) -> Array:
        state = self.state_of(weight)
        buffer = state.get("momentum_buffer")
        if buffer is None:  # the first step: b = g, as PyTorch starts it
            buffer = state["momentum_buffer"] = gradient.copy()
            return buffer
        buffer *= self.momentum
        if self.dampening:
            buffer += (1.0 - self.dampening) * gradient
        else:
            buffer += gradient
        return buffer

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={value!r}" for name, value in self.config().items())
        return f"SGD({options})"


def _parameters_of(model: object, optimizer: Optimizer) -> list[Parameter]:
    if isinstance(model, Layer):
        return model.parameters()
    if isinstance(model, Iterable) and not isinstance(model, (str, bytes)):
        parameters = list(model)
        if all(isinstance(parameter, Parameter) for parameter in parameters):
            return parameters
    raise ComponentTypeError(
        f"{optimizer!r}.step expects a Layer or an iterable of Parameter (layer.parameters()), "
        f"got {type(model).__name__}"
    )


def _host_copy(array: Any) -> np.ndarray:
    """A NumPy copy of a state array: checkpoints hold NumPy arrays whatever the library."""
    return np.array(to_numpy(array)) if library_of(array) != "numpy" else array.copy()


def _check_gradient(parameter: Parameter, optimizer: Optimizer) -> None:
    """Raise unless ``parameter.grad`` is a finite array of the parameter's shape and dtype."""
    value, grad = parameter.value, parameter.grad
    if (
        type(value) is np.ndarray
        and type(grad) is np.ndarray
        and grad.shape == value.shape
        and grad.dtype is value.dtype
        and (value.dtype is _FLOAT64 or value.dtype is _FLOAT32)
        # a sum of squares is finite when every entry is (barring overflow: see below), and
        # np.vdot does not warn when it overflows
        and math.isfinite(np.vdot(grad, grad))
    ):
        return  # the usual case, answered in one pass
    _refuse_gradient(parameter, optimizer)


def _refuse_gradient(parameter: Parameter, optimizer: Optimizer) -> None:
    """The slow path of `_check_gradient`: find what is wrong and say so, or return."""
    value, grad = parameter.value, parameter.grad
    who = f"{optimizer!r} cannot update parameter {parameter.name!r}:"
    if type(value) is not np.ndarray and library_of(value) != "numpy":
        _refuse_foreign_gradient(parameter, who)
        return
    if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
        raise DTypeError(
            f"{who} it is {type(value).__name__} "
            f"{getattr(value, 'dtype', '')}; a layer's parameters must be float32 or float64 "
            f"NumPy arrays, updated in place"
        )
    if grad is None:
        raise NoGradientError(
            f"{who} it has no gradient; run backward first "
            f"(backward_step applies the gradients it computes)"
        )
    if not isinstance(grad, np.ndarray) or grad.shape != value.shape:
        shape = grad.shape if isinstance(grad, np.ndarray) else type(grad).__name__
        raise ShapeError(f"{who} its gradient has shape {shape}, the parameter {value.shape}")
    if grad.dtype != value.dtype:
        raise DTypeError(
            f"{who} its gradient has dtype {grad.dtype}, the parameter {value.dtype}; "
            f"store the gradient as .astype(np.{value.dtype})"
        )
    if np.isfinite(grad).all():
        return  # finite entries whose sum of squares overflowed
    raise NonFiniteError(
        f"{who} its gradient holds {np.count_nonzero(~np.isfinite(grad))} NaN or infinite "
        f"value(s) (shape {grad.shape}); no parameter was changed. If this arose in "
        f"training, lower the learning rate"
    )


def _refuse_foreign_gradient(parameter: Parameter, who: str) -> None:
    """`_refuse_gradient` for a parameter of another array library."""
    value, grad = parameter.value, parameter.grad
    if grad is None:
        raise NoGradientError(
            f"{who} it has no gradient; run backward first "
            f"(backward_step applies the gradients it computes)"
        )
    xp = held_namespace(who.removesuffix(":"), grad, value, "gradient", "parameters")
    if tuple(grad.shape) != tuple(value.shape):
        raise ShapeError(
            f"{who} its gradient has shape {tuple(grad.shape)}, the parameter {tuple(value.shape)}"
        )
    if grad.dtype != value.dtype:
        raise DTypeError(f"{who} its gradient has dtype {grad.dtype}, the parameter {value.dtype}")
    if not bool(xp.all(xp.isfinite(grad))):
        raise NonFiniteError(
            f"{who} its gradient holds NaN or infinite values (shape {tuple(grad.shape)}); no "
            f"parameter was changed. If this arose in training, lower the learning rate"
        )


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
