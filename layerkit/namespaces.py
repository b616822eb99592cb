"""Array libraries other than NumPy: which one an array belongs to, and moving arrays across.

layerkit computes with the array namespace of its inputs and parameters, in the sense of the
Python array API standard: NumPy by default, PyTorch tensors or CuPy arrays (through
``array-api-compat``), or ``array-api-strict``. A network is moved with ``net.to("torch")``;
its layers then compute with the same formulas, written with array-API functions.

NumPy arrays never reach ``array-api-compat``: `namespace_of` answers ``numpy`` for them by a
type test, so the NumPy path imports nothing more and keeps its speed.
"""

from __future__ import annotations

import copy
import importlib
from types import ModuleType
from typing import Any

import numpy as np

from .errors import ConfigurationError, MissingDependencyError, NamespaceError

__all__ = ["BACKENDS", "from_numpy", "library_of", "namespace", "namespace_of", "to_numpy"]

BACKENDS = {
    "numpy": ("numpy", "numpy"),
    "torch": ("array_api_compat.torch", "torch"),
    "cupy": ("array_api_compat.cupy", "cupy"),
    "array_api_strict": ("array_api_strict", "array-api-strict"),
}
"""The names `namespace` accepts: the module each stands for, and the package to install."""

# Converted to NumPy arrays by layerkit's checks: they belong to the NumPy namespace.
_NUMPY_LIKE = (np.ndarray, np.generic, list, tuple, int, float, bool, complex, str, bytes)


def _compat() -> ModuleType:
    try:
        import array_api_compat
    except ImportError as error:  # a core dependency, but an environment may lack it
        from .install_hints import pip_install

        raise MissingDependencyError(
            f"arrays other than NumPy's need array-api-compat: {pip_install('array-api-compat')}"
        ) from error
    return array_api_compat


def _is_foreign(array: object) -> bool:
    """Whether ``array`` is an array of another library than NumPy."""
    if array is None or isinstance(array, _NUMPY_LIKE):
        return False
    return bool(_compat().is_array_api_obj(array))


def library_of(array: object) -> str:
    """The name of the library ``array`` belongs to: ``"numpy"``, ``"torch"``, ``"cupy"``, ...

    Lists, numbers and anything else that is not an array count as NumPy's: layerkit converts
    them to NumPy arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.namespaces import library_of
    >>> library_of(np.zeros(2)), library_of([1.0, 2.0])
    ('numpy', 'numpy')
    """
    if not _is_foreign(array):
        return "numpy"
    return type(array).__module__.split(".")[0]


def namespace_of(*arrays: object, who: object = None) -> ModuleType:
    """Return the array namespace of ``arrays``: ``numpy`` itself for NumPy arrays.

    Lists and numbers count as NumPy's. For arrays of other libraries it is
    ``array_api_compat.array_namespace(*arrays)`` (``array_api_compat.torch`` for PyTorch
    tensors). ``who`` names the component asking, for the error message.

    Raises
    ------
    NamespaceError
        When the arrays belong to different libraries; the message names both.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.namespaces import namespace_of
    >>> namespace_of(np.zeros(2), np.ones(3)) is np
    True
    """
    for array in arrays:
        if type(array) is not np.ndarray:
            break
    else:
        return np
    foreign = [array for array in arrays if _is_foreign(array)]
    if not foreign:
        return np
    libraries = list(dict.fromkeys(library_of(array) for array in arrays))
    if len(libraries) > 1:
        raise NamespaceError(
            f"{who or 'layerkit'} got arrays of different libraries, {' and '.join(libraries)}; "
            f"convert them to one (a model moves with net.to(name))"
        )
    return _compat().array_namespace(*foreign)


def held_namespace(who: object, given: object, held: object, name: str, holds: str) -> ModuleType:
    """The namespace of ``given`` (an input, a gradient) and ``held`` (what ``who`` keeps).

    ``holds`` says what ``held`` is, e.g. ``"parameters"``; a mismatch is a `NamespaceError`
    naming both libraries.
    """
    if type(given) is np.ndarray and type(held) is np.ndarray:
        return np
    theirs, ours = library_of(given), library_of(held)
    if theirs != ours:
        raise NamespaceError(
            f"{who} holds {ours} {holds}, got {theirs} {name}; move the model with "
            f"net.to({theirs!r}) or convert the {name}"
        )
    return np if ours == "numpy" else _compat().array_namespace(given, held)


def namespace(name_or_module: str | ModuleType) -> ModuleType:
    """Return the namespace layerkit computes with for a library name or module.

    ``"numpy"`` (``numpy`` itself), ``"torch"`` (``array_api_compat.torch``), ``"cupy"``
    (``array_api_compat.cupy``) or ``"array_api_strict"``; or one of those modules, or
    ``torch`` or ``cupy`` themselves.

    Raises
    ------
    ConfigurationError
        For another name or module; the message lists the names.
    MissingDependencyError
        When the library is not installed; the message has the pip command.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.namespaces import namespace
    >>> namespace("numpy") is np
    True
    """
    if isinstance(name_or_module, ModuleType):
        name = name_or_module.__name__
        name = {"array_api_compat.numpy": "numpy"}.get(name, name.removeprefix("array_api_compat."))
    else:
        name = name_or_module
    if not isinstance(name, str) or name not in BACKENDS:
        raise ConfigurationError(
            f"layerkit cannot compute with {name_or_module!r}: expected one of "
            f"{', '.join(map(repr, BACKENDS))}, or its module"
        )
    if name == "numpy":
        return np
    module, package = BACKENDS[name]
    try:
        return importlib.import_module(module)
    except ImportError as error:
        if error.name == "array_api_compat":
            _compat()  # raises with its own hint
        from .install_hints import pip_install

        raise MissingDependencyError(
            f"computing with {name} needs the {package} package: {pip_install(package)}"
        ) from error


def to_numpy(array: Any) -> np.ndarray:
    """Return ``array`` as a NumPy array, copied to the host when it lives elsewhere.

    A NumPy array is returned as it is; a PyTorch tensor on the CPU shares its memory.

    Examples
    --------
    >>> import numpy as np
    >>> from layerkit.namespaces import to_numpy
    >>> x = np.zeros(2)
    >>> to_numpy(x) is x
    True
    """
    if isinstance(array, np.ndarray):
        return array
    if not _is_foreign(array):  # a NumPy scalar, a list
        return np.asarray(array)
    compat = _compat()
    if compat.is_torch_array(array):
        return array.detach().cpu().numpy()
    if compat.is_cupy_array(array):
        return array.get()
    return np.from_dlpack(array)  # array-api-strict and others with DLPack on the CPU


def from_numpy(array: np.ndarray, xp: ModuleType, device: object = None) -> Any:
    """Return a copy of the NumPy ``array`` in namespace ``xp``, on ``device``, same dtype."""
    if xp is np:
        return np.array(array, copy=True)
    return xp.asarray(array, copy=True, device=device)


def device_of(array: Any) -> object:
    """The device ``array`` lives on (``"cpu"`` for NumPy)."""
    if type(array) is np.ndarray:
        return "cpu"
    return _compat().device(array)


def convert(array: Any, xp: ModuleType, device: object = None) -> Any:
    """``array`` in namespace ``xp`` (on ``device`` if given): itself when it is there."""
    if namespace_of(array) is xp and (device is None or device_of(array) == device):
        return array
    return from_numpy(to_numpy(array), xp, device)


def on_numpy(model: Any) -> Any:
    """``model`` itself when its parameters are NumPy arrays, else a copy of it moved to NumPy.

    For what reads a model's parameters as NumPy arrays without changing them (`export_onnx`,
    `to_torch`), whatever library the model computes with; the model is left where it is.
    """
    if all(type(parameter.value) is np.ndarray for parameter in model.parameters()):
        return model
    return copy.deepcopy(model).to("numpy")


def copy_of(array: Any) -> Any:
    """A copy of ``array`` in its own library and on its own device."""
    if type(array) is np.ndarray:
        return array.copy()
    return namespace_of(array).asarray(array, copy=True)


def copy_into(target: Any, source: Any) -> None:
    """Overwrite ``target`` in place with ``source`` (equal shapes, one library)."""
    if type(target) is np.ndarray:
        np.copyto(target, source)
    else:
        target[...] = source
