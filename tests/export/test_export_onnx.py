"""lk.export_onnx: the exported graph computes what layerkit's forward computes.

Every built-in and first-party component runs in ONNX Runtime on batches of two sizes through
one session, in float32 and float64, against ``model(x)``; then the metadata, the graph's
declared shapes, and every error export_onnx raises.
"""

from __future__ import annotations

import builtins
import json
import subprocess
import sys

import numpy as np
import onnx
import pytest

import layerkit as lk
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    DTypeError,
    ExportError,
    MissingDependencyError,
)
from layerkit.model_description import describe
from layerkit.onnx_export import DEFAULT_OPSET, MIN_OPSET
from layerkit.registry import reset_plugin_manager

from .onnx_support import TOLERANCE, assert_agrees, session

ACTIVATIONS = [
    ("sigmoid", {}),
    ("tanh", {}),
    ("relu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"slope": 0.3}),
    ("softplus", {}),
    ("elu", {}),
    ("elu", {"alpha": 0.7}),
    ("gelu", {}),
    ("softmax", {}),
]
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def fresh_manager():
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def network(name: str, options: dict, dtype) -> lk.Sequential:
    """Dense 4→9, the activation, Dense 9→3, the activation; weights large enough to reach
    the activations' tails (|a| up to some 40) and the Kahan branches near 0."""
    net = lk.Sequential(
        lk.Dense(4, 9, seed=1),
        lk.activation(name, **options),
        lk.Dense(9, 3, seed=2),
        lk.activation(name, **options),
    )
    net[0].W *= 5.0
    net[0].b[:] = np.linspace(-2.0, 2.0, 9)
    return net.astype(dtype)


def inputs(batch: int, dtype, seed: int = 0, features: int = 4) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(batch, features)) * 3.0
    x[0] = [1e-9, -1e-9, 0.0, 0.5][:features]  # pre-activations near 0: expm1, log1p, cancellation
    return x.astype(dtype)


def exported(model: lk.Layer, tmp_path, **options):
    path = tmp_path / "model.onnx"
    lk.export_onnx(model, path, **options)
    return path


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("name", "options"), ACTIVATIONS, ids=lambda v: str(v or ""))
def test_exported_model_agrees_with_forward(name, options, dtype, tmp_path):
    net = network(name, options, dtype)
    run = session(exported(net, tmp_path))
    for batch, seed in ((17, 0), (2, 1)):  # two batch sizes through one session
        x = inputs(batch, dtype, seed)
        (y,) = run.run(["y"], {"x": x})
        assert_agrees(y, net(x))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("name", "options"), ACTIVATIONS[:-1], ids=lambda v: str(v or ""))
def test_each_output_agrees_from_1e_minus_12_to_1000(name, options, dtype, tmp_path):
    """Each output on its own, relative to itself: the tails are computed, not flushed to 0,
    and near 0 log1p and expm1 keep their digits (log(1 + x) and eˣ − 1 would lose them).

    Only the sigmoid is the ONNX operator itself, whose kernel is exact to the tolerance
    only while σ(x) is not tiny: ONNX Runtime's float32 Sigmoid stops at x = −18, and its
    float64 one loses digits below σ(x) ≈ 1e-8 (absolute error 1e-16).
    """
    x = np.concatenate([-np.logspace(-12, 3, 61), [0.0], np.logspace(-12, 3, 61)])
    x = x.reshape(-1, 1).astype(dtype)
    activation = lk.activation(name, **options)
    net = lk.Sequential(lk.Dense(1, 1, W=[[1.0]], b=[0.0], dtype=dtype), activation)
    (y,) = session(exported(net, tmp_path)).run(["y"], {"x": x})
    expected = net(x)  # the Dense layer is exact here: x · 1 + 0
    rtol = TOLERANCE[np.dtype(dtype)]
    tiny = {np.float32: 1e-7, np.float64: 1e-15}[dtype] if name == "sigmoid" else 0.0
    np.testing.assert_allclose(y, expected, rtol=rtol, atol=tiny)


def test_nested_sequential_and_a_lone_dense(tmp_path):
    inner = lk.Sequential(lk.activation("tanh"), lk.Dense(5, 4, seed=3))
    net = lk.Sequential(lk.Dense(3, 5, seed=2), inner, lk.Sequential(lk.activation("softmax")))
    x = inputs(6, np.float64, features=3)
    (y,) = session(exported(net, tmp_path)).run(["y"], {"x": x})
    assert_agrees(y, net(x))
    dense = lk.Dense(3, 2, seed=0, dtype=np.float32)
    (y,) = session(exported(dense, tmp_path)).run(["y"], {"x": x.astype(np.float32)})
    assert_agrees(y, dense(x.astype(np.float32)))


def test_graph_declares_dynamic_batch_shapes_dtype_and_standard_ops(tmp_path):
    net = lk.mlp([4, 6, 3], activation="relu", output="softmax", seed=0).astype(np.float32)
    model = onnx.load(exported(net, tmp_path))
    onnx.checker.check_model(model, full_check=True)

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    (x,), (y,) = model.graph.input, model.graph.output
    assert (x.name, dims(x), x.type.tensor_type.elem_type) == (
        "x",
        ["batch", 4],
        onnx.TensorProto.FLOAT,
    )
    assert (y.name, dims(y), y.type.tensor_type.elem_type) == (
        "y",
        ["batch", 3],
        onnx.TensorProto.FLOAT,
    )
    assert [node.op_type for node in model.graph.node] == ["Gemm", "Relu", "Gemm", "Softmax"]
    assert [(o.domain, o.version) for o in model.opset_import] == [("", DEFAULT_OPSET)]
    weights = {init.name: onnx.numpy_helper.to_array(init) for init in model.graph.initializer}
    assert any(np.array_equal(w, net[0].W) for w in weights.values())  # W as (in × out)


@pytest.mark.parametrize("opset", [MIN_OPSET, 21])
def test_other_opsets_run(opset, tmp_path):
    net = network("gelu", {}, np.float64)
    path = exported(net, tmp_path, opset=opset)
    assert onnx.load(path).opset_import[0].version == opset
    x = inputs(5, np.float64)
    assert_agrees(session(path).run(["y"], {"x": x})[0], net(x))


def test_a_model_without_parameters_is_float64_with_any_width(tmp_path):
    net = lk.Sequential(lk.activation("relu"))
    model = onnx.load(exported(net, tmp_path))
    assert model.graph.input[0].type.tensor_type.shape.dim[1].dim_param == "features"
    x = np.array([[-1.0, 2.0, -3.0]])
    np.testing.assert_array_equal(session(tmp_path / "model.onnx").run(["y"], {"x": x})[0], net(x))


def test_metadata_round_trip(tmp_path):
    net = lk.mlp([2, 3, 2], output="softmax", seed=0)
    metadata = {
        "classes": ["cat", "dog"],
        "features": ["height", "weight"],
        "task": "classification",
        "epochs": 3,
    }
    path = exported(net, tmp_path, metadata=metadata)
    found = session(path).get_modelmeta().custom_metadata_map
    assert found["task"] == "classification"  # a string stays as it is
    assert {key: json.loads(found[key]) for key in ("classes", "features", "epochs")} == {
        "classes": ["cat", "dog"],
        "features": ["height", "weight"],
        "epochs": 3,
    }
    assert found["layerkit.version"] == lk.__version__
    assert json.loads(found["layerkit.architecture"]) == describe(net, None, None)[0]["model"]
    assert set(found) == {*metadata, "layerkit.version", "layerkit.architecture"}
    assert onnx.load(path).producer_name == "layerkit"


def test_an_existing_file_is_replaced_and_left_alone_on_failure(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    lk.export_onnx(lk.Dense(2, 1, seed=0), path)
    assert onnx.load(path).graph.node[0].op_type == "Gemm"
    before = path.read_bytes()
    with pytest.raises(ExportError):
        lk.export_onnx(lk.Sequential(lk.Dense(2, 2), Halve()), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no temporary left


# ---------------------------------------------------------------------------- errors
class Halve(lk.Layer):
    """A layer no plugin registers or exports."""

    def forward(self, x):
        return np.asarray(x) / 2

    def backward(self, grad):
        return np.asarray(grad) / 2


def test_a_component_no_plugin_exports_is_named(tmp_path):
    net = lk.Sequential(lk.Dense(2, 2, seed=0), Halve())
    with pytest.raises(ExportError) as caught:
        lk.export_onnx(net, tmp_path / "m.onnx")
    message = str(caught.value)
    assert message.startswith(
        "cannot export Halve() (export.test_export_onnx.Halve, registered by no plugin) to ONNX"
    )
    assert "no installed plugin provides ONNX nodes for it" in message
    assert "export_onnx_nodes" in message
    assert not (tmp_path / "m.onnx").exists()


def test_a_subclass_of_an_exported_class_is_not_taken_for_it(tmp_path):
    from layerkit_activations import Tanh

    class ScaledTanh(Tanh):
        def function(self, x):
            return 2 * np.tanh(x)

    with pytest.raises(
        ExportError, match=r"cannot export ScaledTanh\(\) \(.*ScaledTanh, registered by no plugin\)"
    ):
        lk.export_onnx(lk.Sequential(lk.Dense(1, 1), ScaledTanh()), tmp_path / "m.onnx")


def test_a_registered_component_without_onnx_nodes_names_its_plugin(tmp_path):
    manager = lk.plugin_manager()

    class Plugin:
        register_activations = staticmethod(lk.hookimpl(lambda register: register("halve", Halve)))

    manager.register(Plugin, name="halving")
    try:
        with pytest.raises(ExportError, match="registered as 'halve' by plugin 'halving'"):
            lk.export_onnx(lk.Sequential(lk.Dense(1, 1), Halve()), tmp_path / "m.onnx")
    finally:
        manager.unregister(name="halving")


@pytest.mark.parametrize(
    ("arguments", "error", "fragments"),
    [
        (
            (lk.Dense, "m.onnx"),
            ComponentTypeError,
            ["got <class", "did you forget the parentheses?"],
        ),
        (
            ("m.onnx", lk.Dense(1, 1)),
            ComponentTypeError,
            ["expects a Layer", "got 'm.onnx' of type str"],
        ),
        ((lk.Dense(1, 1), None), ComponentTypeError, ["export_onnx expects a path", "got None"]),
        (
            (lk.Dense(1, 1), ""),
            ConfigurationError,
            ["export_onnx expects a path, got an empty string"],
        ),
    ],
)
def test_bad_arguments(arguments, error, fragments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error) as caught:
        lk.export_onnx(*arguments)
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("options", "error", "fragments"),
    [
        (
            {"opset": MIN_OPSET - 1},
            ConfigurationError,
            [f"from {MIN_OPSET} to", f"got opset={MIN_OPSET - 1}"],
        ),
        ({"opset": 10_000}, ConfigurationError, ["got opset=10000", "the installed onnx"]),
        ({"opset": True}, ConfigurationError, ["got opset=True"]),
        ({"opset": "17"}, ConfigurationError, ["got opset='17'"]),
        (
            {"metadata": ["classes"]},
            ComponentTypeError,
            ["metadata=None or a mapping", "of type list"],
        ),
        (
            {"metadata": {1: "a"}},
            ComponentTypeError,
            ["metadata keys to be strings, got 1 of type int"],
        ),
        (
            {"metadata": {"layerkit.version": "9"}},
            ConfigurationError,
            ["'layerkit.version', a name layerkit writes"],
        ),
        (
            {"metadata": {"loss": float("nan")}},
            ConfigurationError,
            ["strings or JSON, got 'loss': nan"],
        ),
        ({"metadata": {"when": object}}, ConfigurationError, ["got 'when': <class 'object'>"]),
    ],
)
def test_bad_options(options, error, fragments, tmp_path):
    with pytest.raises(error) as caught:
        lk.export_onnx(lk.Dense(2, 1, seed=0), tmp_path / "m.onnx", **options)
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert not (tmp_path / "m.onnx").exists()


def test_mixed_dtypes_are_refused(tmp_path):
    net = lk.Sequential(lk.Dense(2, 2, dtype=np.float32), lk.Dense(2, 1, dtype=np.float64))
    with pytest.raises(DTypeError, match=r"holds float32 \(0.W\) and float64 \(1.W\) parameters"):
        lk.export_onnx(net, tmp_path / "m.onnx")


@pytest.mark.parametrize(("name", "option"), [("elu", "alpha"), ("leaky_relu", "slope")])
def test_an_option_beyond_float32_is_refused_in_float32(name, option, tmp_path):
    layer = lk.activation(name, **{option: 1e39})
    net = lk.Sequential(lk.Dense(1, 1, dtype=np.float32), layer)
    with pytest.raises(ExportError, match=rf"float32 ONNX graph: {option}=1e\+39 is beyond"):
        lk.export_onnx(net, tmp_path / "m.onnx")
    lk.export_onnx(net.astype(np.float64), tmp_path / "m.onnx")  # float64 holds it


def test_unwritable_paths(tmp_path):
    with pytest.raises(FileNotFoundError):
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "missing" / "m.onnx")
    with pytest.raises(IsADirectoryError):
        lk.export_onnx(lk.Dense(1, 1), tmp_path)


def test_without_onnx_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ModuleNotFoundError("No module named 'onnx'", name="onnx")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(MissingDependencyError) as caught:
        lk.export_onnx(lk.Dense(1, 1), tmp_path / "m.onnx")
    message = str(caught.value)
    assert "export_onnx needs the onnx package" in message
    assert "No module named 'onnx'" in message
    assert f"{sys.executable} -m pip install 'onnx>=1.16'" in message
    assert '"layerkit[onnx]"' in message and 'pip install -e ".[onnx]"' in message
    assert isinstance(caught.value, ImportError)


def test_importing_layerkit_does_not_import_onnx():
    code = (
        "import sys, layerkit, layerkit_activations, layerkit.cli.commands; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'onnxruntime')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
