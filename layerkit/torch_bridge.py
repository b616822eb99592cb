"""Hand a network over to PyTorch and take it back: `to_torch` and `from_torch`.

Each layer maps to one ``torch.nn`` module and back, through the table `CONVERSIONS`:
``Dense`` ↔ ``Linear`` (``weight`` is ``W`` transposed, since PyTorch computes
``x @ weight.T + bias``), ``Sigmoid`` ↔ ``Sigmoid``, ``Sequential`` ↔ ``Sequential`` (nested
ones stay nested, so parameter ``"2.W"`` is ``"2.weight"`` transposed), and the first-party
activations of ``layerkit-activations`` to their PyTorch namesakes with the options that
compute the same function. Anything else is refused, naming the component, its position and
what is supported: a converted network computes what the original computes, or there is none.

PyTorch is not a dependency of layerkit: it is imported by these functions only.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .dense import Dense
from .errors import (
    ComponentTypeError,
    ConfigurationError,
    DTypeError,
    LayerkitError,
    MissingDependencyError,
)
from .install_hints import distribution_hint, pip_install
from .layer import Layer
from .model_format import shown
from .namespaces import on_numpy
from .sequential import Sequential

if TYPE_CHECKING:
    import torch

__all__ = ["CONVERSIONS", "SOFTPLUS_THRESHOLD", "TorchConversion", "from_torch", "to_torch"]

SOFTPLUS_THRESHOLD = 40.0
"""The ``threshold`` of the ``torch.nn.Softplus`` that `to_torch` makes, and the least that
`from_torch` accepts. Above it PyTorch returns x itself instead of log(1 + eˣ); they differ by
log(1 + e⁻ˣ) < 5e-18, below float64's rounding of x. At PyTorch's default, 20, they differ by
up to 2.1e-9, which layerkit's `Softplus` (no cut-off) does not reproduce."""


@dataclass(frozen=True)
class TorchConversion:
    """How one layerkit layer class and one ``torch.nn`` module class map to each other.

    Classes are named by import path and imported when a conversion runs, so neither PyTorch
    nor a plugin is imported before it is needed; an entry whose layer class does not import
    (its plugin is not installed) is skipped, and a module of its kind refused saying which
    package provides it. Only instances of exactly these classes match: a subclass may compute
    something else. A plugin maps its own layer by appending an entry to `CONVERSIONS`.

    Attributes
    ----------
    layer
        Import path of the layerkit class, e.g. ``"layerkit.Dense"``.
    module
        Import path of the ``torch.nn`` class, e.g. ``"torch.nn.Linear"``.
    to_torch
        ``to_torch(layer, torch, who)``: the module for ``layer``; ``torch`` is the imported
        package, ``who`` names the layer and its position, for error messages.
    from_torch
        ``from_torch(module, who)``: a new layer for ``module``, or a layerkit error naming
        ``who`` and the option that has no layerkit equivalent.
    """

    layer: str
    module: str
    to_torch: Callable[[Any, Any, str], Any]
    from_torch: Callable[[Any, str], Layer]


def to_torch(model: Layer) -> torch.nn.Sequential:
    """Return a ``torch.nn.Sequential`` that computes what ``model`` computes.

    Its parameters are copies of the model's, in the model's dtype (float32 or float64):
    training one leaves the other as it was. A nested `Sequential` becomes a nested
    ``torch.nn.Sequential``; a single layer is wrapped in one. Each `Dense` becomes a
    ``torch.nn.Linear`` whose ``weight`` is ``W.T`` (PyTorch's ``(out, in)`` convention) and
    whose ``bias`` is ``b``. ``from_torch(to_torch(model))`` gives back the same parameters,
    bit for bit.

    Parameters
    ----------
    model
        A layerkit network: a `Sequential` or a single layer, made of the layers that
        `CONVERSIONS` lists (`Dense`, `Sigmoid` and the first-party activations).

    Returns
    -------
    torch.nn.Sequential
        In training mode, as a new PyTorch module is.

    Raises
    ------
    layerkit.errors.ComponentTypeError
        If ``model`` is not a layer, or holds a layer without a PyTorch equivalent (the
        message names it, its position and the supported layers).
    layerkit.errors.MissingDependencyError
        If PyTorch is not installed (the message says how to install it).

    Examples
    --------
    >>> import numpy as np
    >>> import layerkit as lk
    >>> net = lk.mlp([2, 3, 1], seed=0)
    >>> module = lk.to_torch(net)
    >>> module
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): Sigmoid()
      (2): Linear(in_features=3, out_features=1, bias=True)
      (3): Sigmoid()
    )
    >>> bool((module[0].weight.detach().numpy() == net[0].W.T).all())
    True
    """
    if not isinstance(model, Layer):
        raise ComponentTypeError(
            f"to_torch expects a layerkit layer or Sequential, got {shown(model)} of type "
            f"{type(model).__name__}"
        )
    torch = _import_torch("to_torch")
    by_layer = {layer: entry for layer, _, entry in _resolved()[0]}
    model = on_numpy(model)  # the conversions read NumPy parameters
    if type(model) is Sequential:
        return _sequential_to_torch(model, torch, by_layer, "")
    return torch.nn.Sequential(_layer_to_torch(model, torch, by_layer, "0"))


def from_torch(module: torch.nn.Module) -> Sequential:
    """Return a layerkit `Sequential` that computes what the PyTorch ``module`` computes.

    The inverse of `to_torch`: each ``torch.nn.Linear`` becomes a `Dense` with
    ``W = weight.T`` and ``b = bias``, copied, in the module's dtype (float32 or float64); a
    nested ``torch.nn.Sequential`` a nested `Sequential`; a single module is wrapped in a
    `Sequential`. Children's names are not kept: layerkit names parameters by position. The
    layers' dtypes are fixed (as if given ``W``): an input of the other float dtype is refused,
    not adopted.

    Parameters
    ----------
    module
        A ``torch.nn.Sequential`` (or a single module) made of the modules `CONVERSIONS`
        lists, with the options that compute what layerkit computes: ``Linear`` with a bias,
        ``Softmax(dim=-1)``, ``GELU(approximate="tanh")``, ``Softplus(beta=1,
        threshold>=40)`` (see `SOFTPLUS_THRESHOLD`), ``LeakyReLU`` and ``ELU`` with a slope
        or alpha >= 0.

    Raises
    ------
    layerkit.errors.ComponentTypeError
        If ``module`` is not a ``torch.nn.Module``, or holds a module without a layerkit
        equivalent (``Dropout``, ``BatchNorm1d``, ``Conv2d``, a module of your own): the
        message names it, its position and the supported modules.
    layerkit.errors.ConfigurationError
        If a module has an option layerkit does not reproduce (the message names it and says
        what to set), or a ``Sequential`` is empty.
    layerkit.errors.DTypeError
        If a ``Linear``'s parameters are not float32 or float64, or not of one dtype.
    layerkit.errors.MissingDependencyError
        If PyTorch is not installed.

    Examples
    --------
    >>> import torch
    >>> import layerkit as lk
    >>> module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())
    >>> net = lk.from_torch(module)
    >>> net
    Sequential(
      (0): Dense(2→3)
      (1): Sigmoid()
    )
    >>> net[0].W.dtype, net[0].W.shape
    (dtype('float32'), (2, 3))
    """
    torch = _import_torch("from_torch")
    if not isinstance(module, torch.nn.Module):
        raise ComponentTypeError(
            f"from_torch expects a torch.nn.Module such as torch.nn.Sequential, got "
            f"{shown(module)} of type {type(module).__name__}"
        )
    by_module = {entry_module: entry for _, entry_module, entry in _resolved()[0]}
    if type(module) is torch.nn.Sequential:
        return _sequential_from_torch(module, torch, by_module, "")
    return Sequential(_module_from_torch(module, torch, by_module, "0"))


# ------------------------------------------------------------------------------- walking


def _sequential_to_torch(
    model: Sequential, torch: Any, by_layer: dict[type, TorchConversion], prefix: str
) -> Any:
    return torch.nn.Sequential(
        *(
            _layer_to_torch(layer, torch, by_layer, f"{prefix}{position}")
            for position, layer in enumerate(model.layers)
        )
    )


def _layer_to_torch(
    layer: Layer, torch: Any, by_layer: dict[type, TorchConversion], position: str
) -> Any:
    if type(layer) is Sequential:
        return _sequential_to_torch(layer, torch, by_layer, f"{position}.")
    who = f"to_torch: layer {position} ({_one_line(layer)})"
    entry = by_layer.get(type(layer))
    if entry is None:
        supported = ", ".join(["Sequential", *(cls.__name__ for cls in by_layer)])
        raise ComponentTypeError(
            f"{who} has no PyTorch equivalent; to_torch converts {supported} (exactly these "
            f"classes: a subclass may compute something else). A plugin maps its own layer "
            f"with an entry in layerkit.torch_bridge.CONVERSIONS"
        )
    return entry.to_torch(layer, torch, who)


def _sequential_from_torch(
    module: Any, torch: Any, by_module: dict[type, TorchConversion], prefix: str
) -> Sequential:
    children = list(module)
    if not children:
        where = f"module {prefix[:-1]}" if prefix else "the module"
        raise ConfigurationError(
            f"from_torch: {where} (Sequential()) is empty; a layerkit Sequential needs at "
            f"least one layer"
        )
    return Sequential(
        *(
            _module_from_torch(child, torch, by_module, f"{prefix}{position}")
            for position, child in enumerate(children)
        )
    )


def _module_from_torch(
    module: Any, torch: Any, by_module: dict[type, TorchConversion], position: str
) -> Layer:
    if type(module) is torch.nn.Sequential:
        return _sequential_from_torch(module, torch, by_module, f"{position}.")
    who = f"from_torch: module {position} ({_one_line(module)})"
    entry = by_module.get(type(module))
    if entry is not None:
        return entry.from_torch(module, who)
    missing = _resolved()[1].get(f"{type(module).__module__}.{type(module).__qualname__}")
    if missing is not None:
        distribution = missing.split(".")[0].replace("_", "-")
        raise ComponentTypeError(
            f"{who} maps to {missing}, which is not installed; install {distribution} "
            f"{distribution_hint(distribution)}"
        )
    supported = ", ".join(["Sequential", *(cls.__name__ for cls in by_module)])
    # DistributedDataParallel and DataParallel keep the model they wrap as .module
    wrapper = isinstance(getattr(module, "module", None), torch.nn.Module)
    advice = (
        "it wraps a model: pass its .module"
        if wrapper
        else "remove it (a Dropout, say, once training is done) or map it with an entry in "
        "layerkit.torch_bridge.CONVERSIONS"
    )
    raise ComponentTypeError(
        f"{who} has no layerkit equivalent; from_torch converts these torch.nn classes "
        f"(exactly, not subclasses): {supported}; {advice}"
    )


def _one_line(component: object) -> str:
    text = shown(component)
    return text if "\n" not in text else f"{type(component).__name__}(...)"


def _import_torch(who: str) -> Any:
    try:
        import torch
    except ImportError as error:
        raise MissingDependencyError(
            f"{who} needs PyTorch, which is not installed ({error}); install it with: "
            f"{pip_install('torch')} (add --index-url https://download.pytorch.org/whl/cpu "
            f"for the smaller CPU-only build)"
        ) from None
    return torch


def _resolved() -> tuple[list[tuple[type, type, TorchConversion]], dict[str, str]]:
    """The entries of `CONVERSIONS` whose classes import, and for those whose layer class
    does not, the module class's full name → the missing layer's import path."""
    usable: list[tuple[type, type, TorchConversion]] = []
    missing: dict[str, str] = {}
    for entry in CONVERSIONS:
        module_class = _import(entry.module)
        if module_class is None:
            continue
        layer_class = _import(entry.layer)
        if layer_class is None:
            missing[f"{module_class.__module__}.{module_class.__qualname__}"] = entry.layer
            continue
        usable.append((layer_class, module_class, entry))
    return usable, missing


def _import(path: str) -> Any:
    package, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(package), name)
    except (ImportError, AttributeError):
        return None


# --------------------------------------------------------------------------- conversions


def _dense_to_torch(layer: Dense, torch: Any, who: str) -> Any:
    dtype = getattr(torch, layer.W.dtype.name)  # float32 or float64: Dense allows no other
    # skip_init: no random initialisation, which would advance PyTorch's global generator
    linear = torch.nn.utils.skip_init(
        torch.nn.Linear, layer.in_features, layer.out_features, dtype=dtype
    )
    with torch.no_grad():
        # np.array: a fresh, writable copy (from_numpy warns of a read-only array)
        linear.weight.copy_(torch.from_numpy(np.array(layer.W.T, order="C")))
        linear.bias.copy_(torch.from_numpy(np.array(layer.b)))
    return linear


def _dense_from_torch(module: Any, who: str) -> Dense:
    if module.bias is None:
        raise ConfigurationError(
            f"{who} has no bias, and a layerkit Dense always has a trained bias b: b = 0 "
            f"would compute the same outputs but train a bias the original does not have. "
            f"Build the Linear with bias=True (a zero bias to start from keeps its outputs)"
        )
    dtypes = {str(module.weight.dtype), str(module.bias.dtype)}
    if not dtypes <= {"torch.float32", "torch.float64"} or len(dtypes) != 1:
        raise DTypeError(
            f"{who} has weight of dtype {module.weight.dtype} and bias of dtype "
            f"{module.bias.dtype}; layerkit computes in torch.float32 or torch.float64, both "
            f"parameters of one dtype: convert it first, e.g. module.double()"
        )
    weight = module.weight.detach().cpu().numpy()
    bias = module.bias.detach().cpu().numpy()
    try:
        # Dense copies W and b, so the new layer shares no memory with the module
        return Dense(
            module.in_features, module.out_features, W=np.ascontiguousarray(weight.T), b=bias
        )
    except LayerkitError as error:  # NaN or infinity in a parameter
        error.add_note(f"raised by {who}")
        raise


def _no_options(layer_path: str) -> Callable[[Any, str], Layer]:
    def convert(module: Any, who: str) -> Layer:
        return _import(layer_path)()  # type: ignore[no-any-return]

    return convert


def _require(who: str, option: str, value: object, wanted: str, ok: bool) -> None:
    if not ok:
        raise ConfigurationError(
            f"{who} has {option}={value!r}; layerkit computes the same function only with {wanted}"
        )


def _nonnegative(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


def _leaky_relu_from_torch(module: Any, who: str) -> Layer:
    slope = module.negative_slope
    _require(who, "negative_slope", slope, "a finite negative_slope >= 0", _nonnegative(slope))
    return _import("layerkit_activations.LeakyReLU")(slope=slope)  # type: ignore[no-any-return]


def _elu_from_torch(module: Any, who: str) -> Layer:
    alpha = module.alpha
    _require(who, "alpha", alpha, "a finite alpha >= 0", _nonnegative(alpha))
    return _import("layerkit_activations.ELU")(alpha=alpha)  # type: ignore[no-any-return]


def _gelu_from_torch(module: Any, who: str) -> Layer:
    _require(
        who,
        "approximate",
        module.approximate,
        'approximate="tanh" (layerkit\'s GELU is the tanh approximation; the exact x Φ(x) '
        "differs from it by up to 5e-4)",
        module.approximate == "tanh",
    )
    return _import("layerkit_activations.GELU")()  # type: ignore[no-any-return]


def _softplus_from_torch(module: Any, who: str) -> Layer:
    _require(who, "beta", module.beta, "beta=1", module.beta == 1)
    _require(
        who,
        "threshold",
        module.threshold,
        f"threshold >= {SOFTPLUS_THRESHOLD} (above the threshold PyTorch returns x instead of "
        f"log(1 + eˣ), which differs by up to 2.1e-9 at the default 20); set "
        f"module.threshold = {SOFTPLUS_THRESHOLD}",
        module.threshold >= SOFTPLUS_THRESHOLD,
    )
    return _import("layerkit_activations.Softplus")()  # type: ignore[no-any-return]


def _softmax_from_torch(module: Any, who: str) -> Layer:
    _require(
        who,
        "dim",
        module.dim,
        "dim=-1 (layerkit's Softmax normalises over the last axis; for (batch, classes) "
        "input that is dim=1, but set dim=-1)",
        module.dim == -1,
    )
    return _import("layerkit_activations.Softmax")()  # type: ignore[no-any-return]


CONVERSIONS: list[TorchConversion] = [
    TorchConversion("layerkit.Dense", "torch.nn.Linear", _dense_to_torch, _dense_from_torch),
    TorchConversion(
        "layerkit.Sigmoid",
        "torch.nn.Sigmoid",
        lambda layer, torch, who: torch.nn.Sigmoid(),
        _no_options("layerkit.Sigmoid"),
    ),
    TorchConversion(
        "layerkit_activations.Tanh",
        "torch.nn.Tanh",
        lambda layer, torch, who: torch.nn.Tanh(),
        _no_options("layerkit_activations.Tanh"),
    ),
    TorchConversion(
        "layerkit_activations.ReLU",
        "torch.nn.ReLU",
        lambda layer, torch, who: torch.nn.ReLU(),
        _no_options("layerkit_activations.ReLU"),
    ),
    TorchConversion(
        "layerkit_activations.LeakyReLU",
        "torch.nn.LeakyReLU",
        lambda layer, torch, who: torch.nn.LeakyReLU(negative_slope=layer.slope),
        _leaky_relu_from_torch,
    ),
    TorchConversion(
        "layerkit_activations.ELU",
        "torch.nn.ELU",
        lambda layer, torch, who: torch.nn.ELU(alpha=layer.alpha),
        _elu_from_torch,
    ),
    TorchConversion(
        "layerkit_activations.GELU",
        "torch.nn.GELU",
        lambda layer, torch, who: torch.nn.GELU(approximate="tanh"),
        _gelu_from_torch,
    ),
    TorchConversion(
        "layerkit_activations.Softplus",
        "torch.nn.Softplus",
        lambda layer, torch, who: torch.nn.Softplus(beta=1.0, threshold=SOFTPLUS_THRESHOLD),
        _softplus_from_torch,
    ),
    TorchConversion(
        "layerkit_activations.Softmax",
        "torch.nn.Softmax",
        lambda layer, torch, who: torch.nn.Softmax(dim=-1),
        _softmax_from_torch,
    ),
]
"""Every layer `to_torch` and `from_torch` convert, one entry per pair of classes."""
