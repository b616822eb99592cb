"""The core on other array libraries: array-api-strict and PyTorch (CPU) against NumPy.

Each computation runs twice from the same weights, once on NumPy (the reference, itself
checked against the derivation's closed forms in tests/core) and once on the other library,
and the results must agree within the dtype's rounding. CuPy and CUDA are not available here.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

import layerkit as lk
from layerkit.errors import ConfigurationError, NamespaceError
from layerkit.namespaces import namespace, to_numpy

BACKENDS = ["array_api_strict", "torch"]
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}

X = np.array([[0.3, -0.7], [1.0, 0.5], [-0.4, 0.2]])
T = np.array([[0.01, 0.99], [1.0, 0.0], [0.5, 0.25]])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    pytest.importorskip(request.param)
    return request.param


def on(backend: str, array: np.ndarray):
    """``array`` converted to ``backend``'s arrays."""
    return namespace(backend).asarray(np.array(array, copy=True))


def close(got, expected, dtype=np.float64) -> None:
    got = to_numpy(got)
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def library(array) -> str:
    return type(array).__module__.split(".")[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seed_network_forward_backward_match_numpy(backend, seed_network, dtype):
    """The seed's 2-3-2 network: output, loss, ∂L/∂x and every parameter gradient."""
    reference = seed_network.astype(dtype)
    moved = lk.Sequential(
        *[
            lk.Dense(2, 3, W=reference[0].W, b=reference[0].b),
            lk.Sigmoid(),
            lk.Dense(3, 2, W=reference[2].W, b=reference[2].b),
            lk.Sigmoid(),
        ]
    ).to(backend)
    x, t = X.astype(dtype), T.astype(dtype)
    y = reference(x)
    loss = lk.L2Loss()
    value = loss(y, t)
    dx = reference.backward(loss.backward())

    y_other = moved(on(backend, x))
    assert library(y_other) == library(on(backend, x))
    other_loss = lk.L2Loss()
    assert other_loss(y_other, on(backend, t)) == pytest.approx(value, rel=TOLERANCE[dtype])
    close(y_other, y, dtype)
    close(moved.backward(other_loss.backward()), dx, dtype)
    for mine, theirs in zip(moved.parameters(), reference.parameters(), strict=True):
        assert mine.value.dtype == namespace(backend).asarray(theirs.value).dtype
        close(mine.grad, theirs.grad, dtype)


def test_one_sample_and_sigmoid_alone(backend):
    """A 1-D sample through Dense, and Sigmoid with no parameters, on the input's library."""
    layer = lk.Dense(2, 3, seed=0)
    reference = layer.forward(X[0])
    grad_in = layer.backward(np.ones(3))
    dW = layer.dW
    layer.to(backend)
    close(layer(on(backend, X[0])), reference)
    close(layer.backward(on(backend, np.ones(3))), grad_in)
    close(layer.dW, dW)
    sigmoid = lk.Sigmoid()
    close(sigmoid(on(backend, X)), 1 / (1 + np.exp(-X)))
    s = 1 / (1 + np.exp(-X))
    close(sigmoid.backward(on(backend, np.ones_like(X))), s * (1 - s))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.9, "nesterov": True},
        {"weight_decay": 0.01},
        {"momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1},
    ],
    ids=["plain", "momentum", "nesterov", "weight_decay", "all"],
)
def test_backward_step_with_sgd_matches_numpy(backend, options):
    """Three backward_step updates with each SGD option: the same parameters and state."""
    reference, moved = lk.mlp([2, 3, 2], seed=0), lk.mlp([2, 3, 2], seed=0).to(backend)
    sgd, other_sgd = lk.SGD(0.3, **options), lk.SGD(0.3, **options)
    loss = lk.L2Loss()
    for _ in range(3):
        loss(reference(X), T)
        reference.backward_step(loss.backward(), sgd)
        loss(moved(on(backend, X)), on(backend, T))
        moved.backward_step(loss.backward(), other_sgd)
    for mine, theirs in zip(moved.parameters(), reference.parameters(), strict=True):
        assert library(mine.value) == backend.split("_")[0] if backend == "torch" else True
        close(mine.value, theirs.value)
    states, other_states = sgd.state_dict(reference), other_sgd.state_dict(moved)
    assert states.keys() == other_states.keys()
    for name, state in states.items():
        for key, array in state.items():
            assert type(other_states[name][key]) is np.ndarray  # state_dict gives NumPy
            close(other_states[name][key], array)


def test_fit_matches_numpy(backend):
    """Three shuffled epochs in batches, with validation data and metrics: losses, metrics and
    parameters agree."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 2))
    t = np.hstack([x[:, :1] > 0, x[:, 1:] > 0]).astype(float)

    def train(net, convert):
        return lk.fit(
            net,
            convert(x),
            convert(t),
            loss="l2",
            optimizer=lk.SGD(0.5, momentum=0.9),
            epochs=3,
            batch_size=6,
            seed=0,
            validation_data=(convert(x[:5]), convert(t[:5])),
            metrics=["binary_accuracy", "mae"],  # measured on NumPy copies
        )

    reference = lk.mlp([2, 3, 2], seed=0)
    history = train(reference, lambda a: a)
    moved = lk.mlp([2, 3, 2], seed=0).to(backend)
    other = train(moved, lambda a: on(backend, a))
    np.testing.assert_allclose(other.history["loss"], history.history["loss"], rtol=1e-12)
    for name in ("val_loss", "binary_accuracy", "val_binary_accuracy", "mae", "val_mae"):
        np.testing.assert_allclose(other.history[name], history.history[name], rtol=1e-12)
    assert 0 < history.history["binary_accuracy"][-1] < 1  # the comparison can fail
    for mine, theirs in zip(moved.parameters(), reference.parameters(), strict=True):
        close(mine.value, theirs.value)


@pytest.mark.parametrize(
    ("sizes", "where"),
    [((2, 4, 4, 3), "a value inside the network"), ((2, 4, 3), "the network's output")],
)
def test_divergence_is_found_and_named_on_another_library(backend, sizes, where):
    """fit's steps skip the passes for NaN on any library; the step run again with the
    checks names where it overflowed, as on NumPy, and every parameter is left finite."""
    pairs = itertools.pairwise(sizes)
    net = lk.Sequential(*(lk.Dense(i, o, seed=seed) for seed, (i, o) in enumerate(pairs)))
    net.to(backend)
    x, labels = on(backend, [[1.0, 2.0], [3.0, 4.0]]), namespace(backend).asarray([0, 2])
    loss = lk.loss("cross_entropy", from_logits=True)
    with pytest.raises(lk.errors.TrainingDivergedError, match=f"{where} was not finite"):
        lk.fit(net, x, labels, loss=loss, optimizer=lk.SGD(1e300), epochs=50, seed=0)
    assert all(np.isfinite(to_numpy(p.value)).all() for p in net.parameters())


def test_to_round_trip_is_bit_identical(backend):
    net = lk.mlp([2, 3, 2], seed=0, dtype=np.float32)
    before = [parameter.value.copy() for parameter in net.parameters()]
    net.to(backend)
    assert all(library(p.value) != "numpy" for p in net.parameters())
    net.to("numpy")
    for parameter, value in zip(net.parameters(), before, strict=True):
        assert type(parameter.value) is np.ndarray
        assert parameter.value.dtype == np.float32
        assert np.array_equal(parameter.value, value)


def test_save_from_another_library_writes_the_numpy_file(backend, tmp_path):
    """save converts to NumPy: the same bytes as the model saved from NumPy; load gives NumPy."""
    net = lk.mlp([2, 3, 2], seed=0)
    net.save(tmp_path / "numpy.npz")
    net.to(backend).save(tmp_path / "other.npz")
    assert (tmp_path / "numpy.npz").read_bytes() == (tmp_path / "other.npz").read_bytes()
    loaded = lk.load(tmp_path / "other.npz")
    assert all(type(p.value) is np.ndarray for p in loaded.parameters())


def test_model_on_numpy_given_another_library_is_refused(backend):
    net = lk.mlp([2, 3, 2], seed=0)
    with pytest.raises(
        NamespaceError, match=f"holds numpy parameters, got {library(on(backend, X))} input"
    ):
        net(on(backend, X))
    with pytest.raises(NamespaceError, match="numpy") as caught:
        lk.fit(net, on(backend, X), on(backend, T), loss="l2", optimizer=lk.SGD(0.1))
    assert library(on(backend, X)) in str(caught.value)
    assert isinstance(caught.value, TypeError)


def test_model_on_torch_given_strict_data_is_refused():
    pytest.importorskip("torch")
    pytest.importorskip("array_api_strict")
    net = lk.mlp([2, 3, 2], seed=0).to("torch")
    with pytest.raises(NamespaceError, match="holds torch parameters, got array_api_strict input"):
        net(on("array_api_strict", X))
    with pytest.raises(NamespaceError, match="torch parameters and array_api_strict data"):
        lk.fit(
            net,
            on("array_api_strict", X),
            on("array_api_strict", T),
            loss="l2",
            optimizer=lk.SGD(0.1),
        )
    with pytest.raises(NamespaceError, match="validation inputs of numpy, training data of torch"):
        lk.fit(
            net,
            on("torch", X),
            on("torch", T),
            loss="l2",
            optimizer=lk.SGD(0.1),
            validation_data=(X, T),
        )
    with pytest.raises(NamespaceError, match="inputs x of torch and targets t of numpy"):
        lk.fit(net, on("torch", X), T, loss="l2", optimizer=lk.SGD(0.1))
    with pytest.raises(NamespaceError, match="holds torch parameters, got numpy gradient"):
        net(on("torch", X))
        net[2].backward(np.ones((3, 3)))


def test_unknown_backend_name_lists_the_names():
    with pytest.raises(ConfigurationError, match="'numpy', 'torch', 'cupy', 'array_api_strict'"):
        lk.mlp([2, 1]).to("jax")
    with pytest.raises(ConfigurationError, match="expected one of"):
        namespace(np.random)


class NumPyOnlyTanh(lk.Activation):
    """A plugin activation without an array-API form (the first-party ones have one now)."""

    def function(self, x):
        return np.tanh(x)

    def derivative(self, x, y):
        return 1 - y * y


def test_plugin_activation_refuses_another_library(backend):
    tanh = NumPyOnlyTanh()
    with pytest.raises(NamespaceError, match="computes with NumPy arrays only"):
        tanh(on(backend, X))


def test_numpy_path_does_not_import_array_api_compat():
    """``import layerkit`` and a NumPy fit leave array-api-compat unimported."""
    code = (
        "import sys, numpy as np, layerkit as lk\n"
        "net = lk.mlp([2, 3, 1], seed=0)\n"
        "lk.fit(net, np.zeros((4, 2)), np.zeros((4, 1)), loss='l2', optimizer=lk.SGD(0.1),"
        " epochs=2, validation_data=([[0.0, 1.0]], [[1.0]]), patience=3)\n"
        "print('array_api_compat' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_backward_step_on_torch_skips_the_input_gradient_and_never_waits_for_the_device():
    """On another library, backward_step does what it does on NumPy: no δWᵀ with
    input_grad=False, and no finiteness check of the gradients it made (each would be a
    device-to-host wait on a GPU)."""
    torch = pytest.importorskip("torch")
    from torch.overrides import TorchFunctionMode

    class Counting(TorchFunctionMode):
        def __init__(self) -> None:
            super().__init__()
            self.calls: dict[str, int] = {}

        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", str(func))
            self.calls[name] = self.calls.get(name, 0) + 1
            return func(*args, **(kwargs or {}))

    net = lk.Dense(3, 2, seed=0).to("torch")
    net(torch.ones(4, 3, dtype=torch.float64))
    with Counting() as counted:
        returned = net.backward_step(
            torch.ones(4, 2, dtype=torch.float64), lk.SGD(0.1), input_grad=False
        )
    assert returned is None
    assert counted.calls.get("matmul", 0) + counted.calls.get("__matmul__", 0) == 1  # xᵀδ
    assert not {"isfinite", "all", "__bool__", "item"} & set(counted.calls)


def test_a_device_the_library_refuses_is_a_configuration_error_and_moves_nothing():
    net = lk.mlp([2, 3, 2], seed=0)
    with pytest.raises(ConfigurationError, match=r"NumPy on device='cuda'.*live on the CPU"):
        net.to("numpy", device="cuda")
    pytest.importorskip("torch")
    with pytest.raises(ConfigurationError, match=r"Dense\(2→3\) cannot move .* device='nope'"):
        net.to("torch", device="nope")
    assert all(type(parameter.value) is np.ndarray for parameter in net.parameters())


def test_export_and_hand_over_read_a_model_on_another_library_without_moving_it(backend, tmp_path):
    """export_onnx and to_torch work from NumPy copies of the parameters; the model stays."""
    torch = pytest.importorskip("torch")
    onnxruntime = pytest.importorskip("onnxruntime")
    reference = lk.mlp([2, 3, 2], seed=0)
    moved = lk.mlp([2, 3, 2], seed=0).to(backend)
    module = lk.to_torch(moved)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), reference[0].W.T)
    lk.export_onnx(moved, tmp_path / "m.onnx")
    session = onnxruntime.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": X})
    np.testing.assert_allclose(y, reference(X), rtol=1e-12)
    assert library(moved[0].W) == library(on(backend, X))  # still where it was
    assert isinstance(module, torch.nn.Sequential)
