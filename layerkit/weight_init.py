"""The built-in weight initializers: Glorot (Xavier) and He (Kaiming), uniform and normal; zeros.

Each draws from the distribution PyTorch's ``torch.nn.init`` documents under the same name,
with its option names (``gain``, ``mode``), from the generator it is given and nothing else.
At the end, what a layer's ``init`` option may be, how it draws, and what ``config()`` keeps
of it. The module is ``weight_init`` rather than ``initializers`` so that it does not hide the
function `layerkit.initializers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

import numpy as np

from .errors import ComponentTypeError, ConfigurationError
from .initializer import Initializer
from .model_format import shown
from .validation import real_number

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "InitOption",
    "Zeros",
    "draw_weights",
    "fans",
    "init_config",
    "init_option",
]

Mode = Literal["fan_in", "fan_out"]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return the fan-in and fan-out of a weight array of ``shape``.

    For a `Dense` weight matrix ``(in_features, out_features)`` they are ``shape[0]`` and
    ``shape[1]``. A vector ``(n,)`` has both equal to ``n``. With more dimensions the leading
    ones are a receptive field of size r (their product): fan-in ``shape[-2] · r`` and fan-out
    ``shape[-1] · r``, as in Keras, whose kernels are also laid out ``(..., in, out)``. A fan
    of 0 (an empty array) counts as 1, so that no formula divides by zero.

    Examples
    --------
    >>> from layerkit.weight_init import fans
    >>> fans((784, 128))
    (784, 128)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return max(1, shape[0]), max(1, shape[0])
    field = math.prod(shape[:-2])
    return max(1, shape[-2] * field), max(1, shape[-1] * field)


class _Glorot(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = real_number(gain, type(self).__name__, "gain", positive=True)

    def config(self) -> dict[str, Any]:
        """Return ``{"gain": gain}``."""
        return {"gain": self.gain}


class GlorotUniform(_Glorot):
    """Glorot (Xavier) uniform: ``U(−a, a)`` with ``a = gain · √(6 / (fan_in + fan_out))``.

    The variance, a² / 3 = gain² · 2 / (fan_in + fan_out), keeps the variance of the
    activations and of the gradients about equal from layer to layer for tanh and sigmoid
    units (Glorot and Bengio, 2010). PyTorch's ``xavier_uniform_``; registered as
    ``"glorot_uniform"``, ``"xavier_uniform"`` and ``"glorot"`` (`Dense`'s default).

    Parameters
    ----------
    gain
        Scale factor, a finite number > 0; PyTorch's ``calculate_gain`` gives 5/3 for tanh.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> W = lk.initializer("glorot_uniform")((300, 200), np.random.default_rng(0))
    >>> bool(np.abs(W).max() <= np.sqrt(6 / 500))
    True
    """

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return ``shape`` numbers drawn uniformly from ``[−a, a)``."""
        fan_in, fan_out = fans(shape)
        limit = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)


class GlorotNormal(_Glorot):
    """Glorot (Xavier) normal: ``N(0, σ²)`` with ``σ = gain · √(2 / (fan_in + fan_out))``.

    The same variance as `GlorotUniform`, from a normal distribution (not truncated).
    PyTorch's ``xavier_normal_``; registered as ``"glorot_normal"`` and ``"xavier_normal"``.

    Parameters
    ----------
    gain
        Scale factor, a finite number > 0.
    """

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return ``shape`` numbers drawn from ``N(0, σ²)``."""
        fan_in, fan_out = fans(shape)
        return rng.normal(0.0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


class _He(Initializer):
    def __init__(self, gain: float = math.sqrt(2.0), mode: Mode = "fan_in") -> None:
        name = type(self).__name__
        self.gain = real_number(gain, name, "gain", positive=True)
        if mode not in ("fan_in", "fan_out"):
            raise ConfigurationError(f"{name} expects mode 'fan_in' or 'fan_out', got {mode!r}")
        self.mode: Mode = mode

    def variance(self, shape: tuple[int, ...]) -> float:
        """Return gain² / fan, the variance of every drawn weight, for ``shape``."""
        fan_in, fan_out = fans(shape)
        # The default gain √2 squares to 2.0000000000000004 in floating point; taking exactly
        # 2 keeps "he" drawing N(0, 2 / fan_in) bit for bit as Dense always has.
        squared = 2.0 if self.gain == math.sqrt(2.0) else self.gain * self.gain
        return squared / (fan_in if self.mode == "fan_in" else fan_out)

    def config(self) -> dict[str, Any]:
        """Return ``{"gain": gain, "mode": mode}``."""
        return {"gain": self.gain, "mode": self.mode}


class HeUniform(_He):
    """He (Kaiming) uniform: ``U(−a, a)`` with ``a = gain · √(3 / fan)``, fan = fan_in by default.

    The variance, a² / 3 = gain² / fan, with the default gain √2 keeps the variance of the
    activations about equal from layer to layer for ReLU units, which zero half their inputs
    (He et al., 2015). PyTorch's ``kaiming_uniform_``; registered as ``"he_uniform"`` and
    ``"kaiming_uniform"``.

    Parameters
    ----------
    gain
        Scale factor, a finite number > 0; default √2, the gain for ReLU. PyTorch's
        ``calculate_gain`` gives √(2 / (1 + a²)) for a leaky ReLU of slope a, 1 for linear.
    mode
        ``"fan_in"`` (default) keeps the variance of the activations in the forward pass,
        ``"fan_out"`` that of the gradients in the backward pass.
    """

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return ``shape`` numbers drawn uniformly from ``[−a, a)``."""
        limit = math.sqrt(3.0 * self.variance(shape))
        return rng.uniform(-limit, limit, size=shape)


class HeNormal(_He):
    """He (Kaiming) normal: ``N(0, σ²)`` with ``σ = gain / √fan``, fan = fan_in by default.

    With the default gain √2 the variance is 2 / fan_in: `Dense`'s ``init="he"``, for ReLU
    units. The normal is not truncated. PyTorch's ``kaiming_normal_``; registered as
    ``"he_normal"``, ``"kaiming_normal"`` and ``"he"``.

    Parameters
    ----------
    gain
        Scale factor, a finite number > 0; default √2, the gain for ReLU.
    mode
        ``"fan_in"`` (default) or ``"fan_out"``, as for `HeUniform`.

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> W = lk.initializer("he_normal")((400, 300), np.random.default_rng(0))
    >>> round(float(W.var()) * 400, 1)  # the variance is 2 / fan_in
    2.0
    """

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return ``shape`` numbers drawn from ``N(0, σ²)``."""
        return rng.normal(0.0, math.sqrt(self.variance(shape)), size=shape)


class Zeros(Initializer):
    """All weights 0, registered as ``"zeros"``; it draws nothing from the generator.

    Every unit of a layer initialised with zeros computes the same function and receives the
    same gradient, so they stay equal forever: use it for a single layer (a linear or logistic
    regression), or a layer whose symmetry something else breaks, not for a hidden layer.
    """

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Return ``np.zeros(shape)``."""
        return np.zeros(shape)


# ------------------------------------------------------------------ a layer's init option
InitOption: TypeAlias = (
    str
    | Initializer
    | Callable[[tuple[int, ...], np.random.Generator], np.ndarray]
    | Mapping[str, Any]
    | None
)
"""What a layer accepts as ``init``: a registered name, an `Initializer`, a function
``init(shape, rng)``, the mapping ``{"name": ..., "config": {...}}`` that `init_config`
records, or ``None`` (no rule: the weights must be given)."""


def init_option(init: object, who: object) -> Any:
    """Return ``init`` if it is an `InitOption` (a mapping as a plain dict), else raise.

    Nothing is looked up yet: a layer given its weights never needs the rule, so a saved model
    loads without the plugin whose initializer drew it. ``who`` (the layer) names the error.
    """
    if init is None or isinstance(init, str | Initializer):
        return init
    if isinstance(init, type):
        raise ComponentTypeError(
            f"{who!r} expects init as a name, an instance or a function, got the class "
            f"{init.__name__}; did you forget the parentheses?"
        )
    if isinstance(init, Mapping):
        name, config = init.get("name"), init.get("config", {})
        if (
            set(init) - {"name", "config"}
            or not isinstance(name, str)
            or not isinstance(config, Mapping)
            or not all(isinstance(key, str) for key in config)
        ):
            raise ConfigurationError(
                f"{who!r} expects init as a mapping {{'name': str, 'config': {{option: "
                f"value}}}}, as config() records it, got {shown(init)}"
            )
        return {"name": name, "config": dict(config)}
    if callable(init):
        return init
    raise ComponentTypeError(
        f"{who!r} expects init as the name of a registered initializer such as 'glorot', "
        f"an Initializer or a function init(shape, rng), got {shown(init)} of type "
        f"{type(init).__name__}"
    )


def draw_weights(
    init: Any, shape: tuple[int, ...], rng: np.random.Generator, who: object
) -> np.ndarray:
    """Draw an array of ``shape`` with the checked option ``init``, and check what came back.

    A name (or mapping) is looked up with `layerkit.initializer` now. The result must be a
    NumPy array of real numbers of ``shape``, all finite; else `ConfigurationError` naming
    ``who``, the expected and the received value. An error inside ``init`` gets a note naming
    ``who``.
    """
    from .registry import initializer  # imported here: the registry imports this module

    if init is None:
        raise ConfigurationError(
            f"{who!r} has no initializer (init=None) to draw its weights with; give them, or "
            f"an init such as 'glorot'"
        )
    if isinstance(init, str):
        init = initializer(init)
    elif isinstance(init, dict):
        init = initializer(init["name"], **init["config"])
    try:
        value = init(shape, rng)
    except Exception as error:
        error.add_note(f"while {who!r} drew its weights with init={shown(init)}")
        raise
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        what = (
            f"an array of dtype {value.dtype}"
            if isinstance(value, np.ndarray)
            else f"{shown(value)} of type {type(value).__name__}"
        )
        raise ConfigurationError(
            f"{who!r} expects init={shown(init)} to return a NumPy array of real numbers of "
            f"shape {shape}, got {what}"
        )
    if value.shape != shape:
        raise ConfigurationError(
            f"{who!r} expects init={shown(init)} to return an array of shape {shape}, got "
            f"shape {value.shape}"
        )
    if not np.isfinite(value).all():
        count = int(np.count_nonzero(~np.isfinite(value)))
        raise ConfigurationError(
            f"{who!r} expects init={shown(init)} to return finite weights, got {count} NaN "
            f"or infinite of {value.size}"
        )
    return value


def init_config(init: Any) -> str | dict[str, Any] | None:
    """Return what a saved model records of the checked option ``init``.

    A name as given; ``{"name": ..., "config": {...}}`` for a mapping or an `Initializer` of
    a registered class (its first registered name and its ``config()``); ``None`` for anything
    else, such as a function, which has no name to be rebuilt by.
    """
    from .registry import registered_name  # imported here: the registry imports this module

    if isinstance(init, Initializer):
        name = registered_name(init)
        return None if name is None else {"name": name, "config": init.config()}
    if isinstance(init, dict):
        return {"name": init["name"], "config": dict(init["config"])}  # the caller's copy
    return init if isinstance(init, str) else None
