"""Exporting a model to ONNX: `export_onnx`, and the `OnnxGraph` that plugins add nodes to.

Every component is written by a plugin, through the hook ``export_onnx_nodes``: the
built-in plugin writes `Dense` (``Gemm``), `Sigmoid` and nested `Sequential` models, and a
plugin package writes its own classes, as layerkit-activations does. A plugin is handed an
`OnnxGraph`, which wraps ``onnx.helper``, so that it never imports onnx itself.

The onnx package is an optional extra: it is imported only when `export_onnx` runs.
"""

from __future__ import annotations

import json
import shlex
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .atomic_file import write_atomically
from .errors import (
    ComponentTypeError,
    ConfigurationError,
    DTypeError,
    ExportError,
    MissingDependencyError,
    PluginError,
)
from .install_hints import pip_install
from .layer import Layer
from .model_format import shown
from .namespaces import on_numpy
from .registry import BUILTIN, PluginWarning, plugin_manager, registered_name
from .serialization import PathLike, _as_path, iter_layers

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "OnnxGraph", "export_onnx"]

DEFAULT_OPSET = 17
"""The ONNX opset `export_onnx` writes unless told otherwise (ONNX Runtime 1.13 and later)."""
MIN_OPSET = 13
"""The oldest opset `export_onnx` writes: ``Softmax`` over one axis and ``Clip`` with its
bounds as inputs take their present meaning in opset 13."""
INPUT = "x"
"""The name of the exported model's input, ``(batch, in_features)``."""
OUTPUT = "y"
"""The name of the exported model's output."""
HOOK = "export_onnx_nodes"


def export_onnx(
    model: Layer,
    path: PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
    opset: int | None = None,
) -> None:
    """Write ``model`` to ``path`` as an ONNX model that computes ``model(x)``.

    The graph has one input ``"x"`` of shape ``("batch", in_features)`` (any batch size) and
    one output ``"y"``, both float32 or float64 as the model's parameters are (float64 for a
    model without parameters). Each component is written by the plugin that provides its ONNX
    nodes (hook ``export_onnx_nodes``): `Dense`, `Sigmoid` and `Sequential` are built in,
    and the first-party activations (tanh, relu, leaky_relu, softplus, elu, gelu, softmax)
    come with layerkit-activations. The model's ``metadata_props`` hold
    ``"layerkit.version"``, ``"layerkit.architecture"`` (the architecture as `save` describes
    it, as JSON; left out when a component cannot be saved) and each entry of ``metadata``.
    The graph passes ``onnx.checker.check_model`` before it is written, through a temporary
    file renamed over ``path`` as `save` does.

    Parameters
    ----------
    model
        A `Sequential` (nested ones too), a `Dense`, or any component a plugin exports.
    path
        Where to write the ``.onnx`` file; an existing file is replaced.
    metadata
        Entries for the ONNX model's ``metadata_props`` (the class names and feature names
        that `layerkit train --save` keeps, say): string keys; a string value is kept as it
        is, any other value is written as JSON.
    opset
        The ONNX opset to write, from `MIN_OPSET` to the newest the installed onnx knows;
        `DEFAULT_OPSET` when omitted.

    Raises
    ------
    MissingDependencyError
        When the onnx package is not installed; the message says how to install it.
    ExportError
        When no plugin provides ONNX nodes for a component (the message names it, its class
        and its plugin), when the plugins that could were set aside, or when a plugin refuses
        an option of its component.
    ComponentTypeError
        When ``model`` is not a `Layer`, ``metadata`` not a mapping with string keys, or
        ``path`` not a path.
    ConfigurationError
        When ``opset`` is out of range, a metadata value is not JSON, or a metadata key is one
        of layerkit's own.
    DTypeError
        When the model's parameters are not all of one dtype.
    OSError
        When ``path`` cannot be written (its directory is missing or read-only, it is a
        directory).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> import onnxruntime
    >>> import layerkit as lk
    >>> net = lk.mlp([2, 3, 1], seed=0)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.onnx"
    >>> lk.export_onnx(net, path, metadata={"features": ["a", "b"]})
    >>> session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    >>> x = np.array([[0.5, -1.0], [2.0, 0.0]])
    >>> y = session.run(["y"], {"x": x})[0]
    >>> np.allclose(y, net(x), rtol=1e-12, atol=0)
    True
    >>> session.get_modelmeta().custom_metadata_map["features"]
    '["a", "b"]'
    """
    onnx = _import_onnx()
    if not isinstance(model, Layer):
        hint = " (a class: did you forget the parentheses?)" if isinstance(model, type) else ""
        raise ComponentTypeError(
            f"export_onnx expects a Layer (a Sequential, a Dense or an activation), got "
            f"{shown(model)} of type {type(model).__name__}{hint}"
        )
    target = _as_path(path, "export_onnx")
    model = on_numpy(model)  # the graph's initializers are NumPy arrays, whatever it runs on
    opset = _checked_opset(opset, onnx)
    properties = _metadata_props(model, metadata)
    dtype = _model_dtype(model)
    graph = OnnxGraph(onnx, dtype, opset)
    result = graph.add_component(model, INPUT)
    proto = graph._model(result, _in_features(model), properties)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as error:  # a plugin's node that onnx refuses: say which model
        raise ExportError(
            f"cannot export {shown(model)} to ONNX: the graph its plugins built fails "
            f"onnx.checker ({type(error).__name__}: {' '.join(str(error).split())[:300]})"
        ) from error
    encoded = proto.SerializeToString()
    write_atomically(target, lambda file: file.write(encoded))


class OnnxGraph:
    """The ONNX graph being built by `export_onnx`, as a plugin's export hook sees it.

    A hook adds nodes with `add_node` and constants with `add_initializer` or `constant`,
    using names from `fresh_name`, and returns the name of its component's output. A
    container exports each of its layers with `add_component`. Nothing here needs
    ``import onnx`` in the plugin.

    Tensors hold ``dtype`` (float32 or float64) throughout; ONNX Runtime computes each
    standard operator in both, except a few (``Elu``, ``Softplus``, ``Erf``: float32 only)
    that a hook writes out with elementary operators instead. An operator's float
    attributes (``alpha`` of ``LeakyRelu``) are float32 in ONNX: a float64 constant has to be
    an input (`constant`) to keep its digits.
    """

    def __init__(self, onnx: Any, dtype: np.dtype[Any], opset: int) -> None:
        self._onnx = onnx
        self.dtype: np.dtype[Any] = np.dtype(dtype)
        """The float dtype of every tensor of the graph: float32 or float64."""
        self.opset: int = opset
        """The opset of the default ONNX domain being written."""
        self._nodes: list[Any] = []
        self._initializers: list[Any] = []
        self._names: set[str] = {INPUT, OUTPUT}
        self._set_aside: dict[str, str] = {}  # plugin → why its hook is asked no more

    def fresh_name(self, hint: str) -> str:
        """Return a tensor name starting with ``hint`` that no tensor of the graph has yet."""
        base = "".join(c if c.isalnum() or c in "_." else "_" for c in str(hint)) or "t"
        name, count = base, 0
        while name in self._names:
            count += 1
            name = f"{base}_{count}"
        self._names.add(name)
        return name

    def add_node(
        self,
        op_type: str,
        inputs: Sequence[str],
        outputs: Sequence[str] | None = None,
        **attributes: Any,
    ) -> str:
        """Add the operator ``op_type`` of the default domain; return its (first) output's name.

        ``inputs`` name existing tensors (``""`` for an omitted optional input); ``outputs``
        are new names, from `fresh_name` (one is made from ``op_type`` when omitted);
        ``attributes`` are the operator's attributes (``axis=-1``).
        """
        known = self._known()
        unknown = [name for name in inputs if name and name not in known]
        if unknown:
            raise PluginError(
                f"an ONNX {op_type} node reads {unknown}, which no node or constant of the graph "
                f"writes (known: {sorted(known)[:10]})"
            )
        if outputs is None:
            outputs = [self.fresh_name(op_type.lower())]
        taken = [name for name in outputs if name in known]
        if taken:
            raise PluginError(f"an ONNX {op_type} node writes {taken}, which already exist")
        self._names.update(outputs)
        name = self.fresh_name(f"{op_type}_node")
        node = self._onnx.helper.make_node(
            op_type, list(inputs), list(outputs), name=name, **attributes
        )
        self._nodes.append(node)
        return outputs[0]

    def add_initializer(self, hint: str, array: ArrayLike) -> str:
        """Add ``array`` as a constant tensor, in its own dtype; return its name."""
        name = self.fresh_name(hint)
        value = np.ascontiguousarray(array)
        self._initializers.append(self._onnx.numpy_helper.from_array(value, name))
        return name

    def constant(self, value: float | ArrayLike, hint: str = "c") -> str:
        """Add ``value`` as a constant of the graph's dtype (a scalar stays a scalar)."""
        return self.add_initializer(hint, np.asarray(value, dtype=self.dtype))

    def add_component(self, component: Layer, input_name: str) -> str:
        """Add the nodes of ``component`` applied to ``input_name``; return the output's name.

        Each plugin's ``export_onnx_nodes`` hook is asked in turn until one returns a name.
        """
        arguments = {"component": component, "graph": self, "input_name": input_name}
        hook = getattr(plugin_manager().hook, HOOK)
        tried: list[str] = []
        for implementation in reversed(hook.get_hookimpls()):  # pluggy's order of calls
            plugin = implementation.plugin_name
            if plugin in self._set_aside:
                continue
            if implementation.hookwrapper or implementation.wrapper:
                self._put_aside(plugin, f"declares {HOOK} as a hook wrapper; declare a plain hook")
                continue
            mark = (len(self._nodes), len(self._initializers), set(self._names))
            try:
                result = implementation.function(
                    *[arguments[name] for name in implementation.argnames]
                )
            except ExportError as error:  # a refusal, or a layer inside it that is not known
                if not getattr(error, "_placed", False):  # said once, where it was raised
                    error.add_note(f"while plugin {plugin!r} exported {_shown(component)}")
                    error._placed = True  # type: ignore[attr-defined]
                raise
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit too: a plugin must not end the export
                self._undo(mark)
                self._put_aside(plugin, f"raised {_describe(error)} for {_shown(component)}")
                tried.append(plugin)
                continue
            if result is None and (len(self._nodes), len(self._initializers)) == mark[:2]:
                continue  # not this plugin's component
            problem = self._result_problem(result)
            if problem is not None:
                self._undo(mark)
                self._put_aside(plugin, f"{problem} for {_shown(component)}")
                tried.append(plugin)
                continue
            return result  # type: ignore[return-value]
        error = ExportError(self._not_exportable(component, tried))
        error._placed = True  # type: ignore[attr-defined]  # the message names the component
        raise error

    # ------------------------------------------------------------------------ internals
    def _known(self) -> set[str]:
        names = {INPUT}
        names.update(initializer.name for initializer in self._initializers)
        for node in self._nodes:
            names.update(node.output)
        return names

    def _result_problem(self, result: object) -> str | None:
        if not isinstance(result, str):
            return f"returned {shown(result)}, not the name of a tensor"
        if result not in self._known():
            return f"returned {result!r}, which no node of the graph writes"
        return None

    def _undo(self, mark: tuple[int, int, set[str]]) -> None:
        nodes, initializers, names = mark
        del self._nodes[nodes:]
        del self._initializers[initializers:]
        self._names = set(names)

    def _put_aside(self, plugin: str, problem: str) -> None:
        reason = f"plugin {plugin!r}'s {HOOK} {problem}; it is set aside for this export"
        self._set_aside[plugin] = reason
        warnings.warn(PluginWarning(reason, plugin), stacklevel=4)

    def _not_exportable(self, component: Layer, tried: list[str]) -> str:
        cls = type(component)
        name = registered_name(component)
        provider = f"registered as {name!r}" if name else "registered by no plugin"
        if name is not None:
            from .registry import activations

            found = activations().get(name)
            if found is not None:
                provider += f" by plugin {found.plugin!r}"
                if found.plugin != BUILTIN and found.distribution:
                    provider += f" ({found.distribution} {found.version})"
        set_aside = "".join(f"; {self._set_aside[plugin]}" for plugin in dict.fromkeys(tried))
        return (
            f"cannot export {_shown(component)} ({cls.__module__}.{cls.__qualname__}, "
            f"{provider}) to ONNX: no installed plugin provides ONNX nodes for it{set_aside}. "
            f"A plugin provides them with an export_onnx_nodes hook (see 'Writing a plugin')"
        )

    def _model(self, result: str, in_features: int | None, properties: dict[str, str]) -> Any:
        """The ONNX model: the nodes, ``result`` renamed ``"y"``, and the metadata."""
        onnx, helper = self._onnx, self._onnx.helper
        nodes = list(self._nodes)
        writers = [node for node in nodes if result in node.output]
        if writers and result not in {init.name for init in self._initializers}:
            for node in nodes:  # rename: the last tensor becomes the output itself
                node.input[:] = [OUTPUT if name == result else name for name in node.input]
                node.output[:] = [OUTPUT if name == result else name for name in node.output]
        else:  # the input, or a constant, is the output
            nodes.append(helper.make_node("Identity", [result], [OUTPUT]))
        element = helper.np_dtype_to_tensor_dtype(self.dtype)
        features = in_features if in_features is not None else "features"
        graph = helper.make_graph(
            nodes,
            "layerkit",
            [helper.make_tensor_value_info(INPUT, element, ["batch", features])],
            [helper.make_tensor_value_info(OUTPUT, element, None)],
            self._initializers,
        )
        opsets = [helper.make_opsetid("", self.opset)]
        model = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="layerkit",
            producer_version=properties["layerkit.version"],
            ir_version=helper.find_min_ir_version_for(opsets),
        )
        helper.set_model_props(model, properties)
        _output_shape(onnx, model)
        return model


# ---------------------------------------------------------------------------- helpers
def _import_onnx() -> Any:
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
        import onnx.shape_inference
    except ImportError as error:
        raise MissingDependencyError(
            f"export_onnx needs the onnx package (layerkit's extra 'onnx'), which cannot be "
            f"imported ({error}); install it with: {pip_install(shlex.quote('onnx>=1.16'))}, "
            f'or from a clone of layerkit: pip install -e ".[onnx]" (pip install '
            f'"layerkit[onnx]" once layerkit is on the package index)'
        ) from None
    return onnx


def _checked_opset(opset: object, onnx: Any) -> int:
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ConfigurationError(
            f"export_onnx expects opset to be an integer from {MIN_OPSET} to {newest} (the "
            f"newest the installed onnx {onnx.__version__} knows), got opset={shown(opset)}"
        )
    return opset


def _model_dtype(model: Layer) -> np.dtype[Any]:
    """The one dtype of the model's parameters (float64 when it has none)."""
    found: dict[np.dtype[Any], str] = {}
    for parameter in model.parameters():
        found.setdefault(parameter.value.dtype, parameter.name)
    if len(found) > 1:
        held = " and ".join(f"{dtype} ({name})" for dtype, name in found.items())
        raise DTypeError(
            f"export_onnx needs one dtype for the whole graph, but {shown(model)} holds {held} "
            f"parameters; convert it first with model.astype(np.float32) or np.float64"
        )
    return next(iter(found), np.dtype(np.float64))


def _in_features(model: Layer) -> int | None:
    """The number of input features, when the first layer is one that declares it."""
    first = next(iter_layers(model))
    features = getattr(first, "in_features", None)
    return features if isinstance(features, int) and not isinstance(features, bool) else None


def _metadata_props(model: Layer, metadata: Mapping[str, Any] | None) -> dict[str, str]:
    """``metadata_props``: layerkit's version and the architecture, then the user's entries."""
    from . import __version__
    from .errors import UnsavableLayerError
    from .model_description import describe

    properties = {"layerkit.version": __version__}
    try:
        header, _ = describe(model, None, None)
    except UnsavableLayerError:  # a component a plugin exports but the registry cannot save
        pass
    else:
        properties["layerkit.architecture"] = json.dumps(header["model"], ensure_ascii=False)
    if metadata is None:
        return properties
    if not isinstance(metadata, Mapping):
        raise ComponentTypeError(
            f"export_onnx expects metadata=None or a mapping with string keys, got "
            f"{shown(metadata)} of type {type(metadata).__name__}"
        )
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ComponentTypeError(
                f"export_onnx expects metadata keys to be strings, got {shown(key)} of type "
                f"{type(key).__name__}"
            )
        if key in properties or key.startswith("layerkit."):
            raise ConfigurationError(
                f"export_onnx got metadata key {key!r}, a name layerkit writes itself "
                f"(layerkit.version, layerkit.architecture); choose another key"
            )
        if isinstance(value, str):
            properties[key] = value
            continue
        try:
            properties[key] = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(
                f"export_onnx expects metadata values to be strings or JSON, got "
                f"{key!r}: {shown(value)} ({error})"
            ) from error
    return properties


def _output_shape(onnx: Any, model: Any) -> None:
    """Declare the output's shape as ONNX shape inference finds it, when it can."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # a plugin's custom operator, say: the output keeps an open shape
        return
    for output in inferred.graph.output:
        if output.name == OUTPUT and output.type.tensor_type.HasField("shape"):
            model.graph.output[0].type.CopyFrom(output.type)


def _shown(component: object) -> str:
    """`shown` on one line: a Sequential's repr has a line per layer."""
    return " ".join(shown(component).split())


def _describe(error: BaseException) -> str:
    """``TypeName: message`` on one line."""
    try:
        message = " ".join(str(error).split())
    except Exception:
        message = ""
    return f"{type(error).__name__}: {message[:240]}" if message else type(error).__name__
