"""Model files: bit-exact round trips, atomic writes, and every way a file can be wrong."""

from __future__ import annotations

import json
import os
import types
import zipfile

import numpy as np
import pytest

import layerkit as lk
from layerkit import serialization
from layerkit.errors import ModelFileError, NonFiniteError, UnsavableLayerError
from layerkit.registry import reset_plugin_manager
from layerkit.serialization import HEADER, load, read, save


@pytest.fixture(autouse=True)
def fresh_plugins():
    reset_plugin_manager()
    yield
    reset_plugin_manager()


class Scaled(lk.Activation):
    """y = scale · x, registered at run time; it has a constructor option."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def function(self, x):
        return self.scale * x

    def derivative(self, x, y):
        return np.full_like(x, self.scale)

    def config(self):
        return {"scale": self.scale}


class Slope(lk.Activation):
    """y = a · x with a learnable a: an activation that has a parameter."""

    param_names = ("a",)

    def __init__(self) -> None:
        self.a = np.array([0.5])
        self.da = np.zeros(1)

    def function(self, x):
        return self.a * x

    def derivative(self, x, y):
        return np.broadcast_to(self.a, x.shape)


def register(name: str, **activations: type) -> None:
    module = types.ModuleType(name)

    def register_activations(register):
        for activation_name, cls in activations.items():
            register(activation_name, cls)

    module.register_activations = lk.hookimpl(register_activations)
    lk.plugin_manager().register(module, name=name)


def assert_same(first: lk.Layer, second: lk.Layer, x: np.ndarray) -> None:
    assert repr(first) == repr(second)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert a.name == b.name
        assert a.value.dtype == b.value.dtype
        assert np.array_equal(a.value, b.value)
    assert np.array_equal(first(x), second(x))


# ------------------------------------------------------------------------------ round trip
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    net = lk.mlp([2, 5, 4, 3], seed=1, dtype=dtype)
    x = np.random.default_rng(0).normal(size=(7, 2)).astype(dtype)
    lk.fit(net, x, np.zeros((7, 3), dtype), loss=lk.L2Loss(), optimizer=lk.SGD(0.3), epochs=3)
    save(net, tmp_path / "net.npz")
    assert_same(net, load(tmp_path / "net.npz"), x)


def test_nested_sequential_single_layers_and_activation_parameters(tmp_path):
    register("slopes", slope=Slope)
    inner = lk.Sequential(lk.Dense(3, 3, seed=2, init="he"), Slope())
    net = lk.Sequential(lk.Dense(2, 3, seed=1), inner, lk.Dense(3, 1, seed=3))
    net[1][1].a[:] = 0.25
    save(net, tmp_path / "nested.npz")
    copy = load(tmp_path / "nested.npz")
    assert [p.name for p in copy.parameters()] == [
        "0.W",
        "0.b",
        "1.0.W",
        "1.0.b",
        "1.1.a",
        "2.W",
        "2.b",
    ]
    assert copy[1][0].init == "he"
    assert_same(net, copy, np.ones((2, 2)))
    for layer in (lk.Dense(4, 2, seed=0), lk.Sigmoid()):
        save(layer, tmp_path / "one.npz")
        assert_same(
            layer, load(tmp_path / "one.npz"), np.ones((1, 4)) if layer.param_names else np.ones(3)
        )


def test_activation_options_loss_metadata_and_versions_are_kept(tmp_path):
    register("scales", scaled=Scaled)
    net = lk.mlp([2, 3, 1], "scaled", None, activation_options={"scale": 0.5}, seed=0)
    save(net, tmp_path / "m.npz", loss=lk.L2Loss("sum"), metadata={"features": ["a", "b"]})
    saved = read(tmp_path / "m.npz")
    assert saved.model[1].scale == 0.5
    assert repr(saved.loss) == "L2Loss(reduction='sum')"
    assert saved.metadata == {"features": ["a", "b"]}
    assert saved.layerkit_version == lk.__version__
    by_name = {c["name"]: c for c in saved.components}
    assert by_name["scaled"]["plugin"] == "scales"
    assert by_name["l2"] == {
        "kind": "loss",
        "name": "l2",
        "class": "layerkit.l2loss.L2Loss",
        "plugin": "layerkit",
        "distribution": "layerkit",
        "version": lk.__version__,
    }


def test_file_is_a_plain_npz_with_a_json_header(tmp_path):
    save(lk.mlp([2, 3, 2], seed=0), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted([HEADER, "0.W", "0.b", "2.W", "2.b"])
        header = json.loads(archive[HEADER].tobytes())
    assert header["format"] == "layerkit-model" and header["format_version"] == 1
    assert header["model"]["layers"][1] == {"type": "activation", "name": "sigmoid", "config": {}}
    assert header["model"]["layers"][0]["config"] == {
        "in_features": 2,
        "out_features": 3,
        "init": "glorot",
    }


# ------------------------------------------------------------------------------- saving
class Custom(lk.Layer):
    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


class MyDense(lk.Dense):
    pass


class UnregisteredLoss(lk.L2Loss):
    pass


@pytest.mark.parametrize(
    ("layer", "names"),
    [
        (Custom(), ["Custom", "register"]),
        (MyDense(2, 2), ["MyDense", "register"]),
    ],
)
def test_unregistered_layers_cannot_be_saved(tmp_path, layer, names):
    net = lk.Sequential(lk.Dense(2, 2), layer)
    with pytest.raises(UnsavableLayerError) as raised:
        save(net, tmp_path / "m.npz")
    for name in names:
        assert name in str(raised.value)
    assert "layer 1" in str(raised.value)
    assert os.listdir(tmp_path) == []  # nothing written


def test_unserialisable_config_and_non_finite_parameters(tmp_path):
    register("scales", scaled=Scaled)
    with pytest.raises(UnsavableLayerError, match="JSON"):
        save(lk.Sequential(Scaled(scale=np.array([1.0]))), tmp_path / "m.npz")
    net = lk.mlp([2, 2], seed=0)
    net[0].W[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match=r"parameter 'W'"):
        save(net, tmp_path / "m.npz")
    with pytest.raises(UnsavableLayerError, match="loss"):
        save(lk.mlp([2, 2]), tmp_path / "m.npz", loss=UnregisteredLoss())
    assert os.listdir(tmp_path) == []


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    old = lk.mlp([2, 3, 2], seed=0)
    save(old, path)
    before = path.read_bytes()

    def crash(file, arrays):
        file.write(b"PK\x03\x04 half of an archive")
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_npz", crash)
    with pytest.raises(OSError, match="disk full"):
        save(lk.mlp([2, 3, 2], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]  # no temporary file left behind
    assert_same(old, load(path), np.ones((1, 2)))

    monkeypatch.undo()
    save(lk.mlp([2, 3, 2], seed=1), path)
    assert path.read_bytes() != before and os.listdir(tmp_path) == ["m.npz"]


def test_saved_file_gets_ordinary_permissions(tmp_path):
    save(lk.mlp([2, 2]), tmp_path / "m.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o666 & ~umask


# ------------------------------------------------------------------------------ loading
@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "m.npz"
    save(lk.mlp([2, 3, 2], seed=0), path, loss=lk.L2Loss())
    return path


def rewrite(path, edit_header=None, extra=None, drop=()):
    """Rewrite a model file with its header edited, arrays added or dropped."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files if name not in drop}
    header = json.loads(arrays[HEADER].tobytes())
    if edit_header is not None:
        edit_header(header)
    arrays[HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    arrays.update(extra or {})
    np.savez(path, **arrays)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


@pytest.mark.parametrize("keep", [0, 10, 100, 0.3, 0.6, 0.9, -1])
def test_truncated_files(model_file, keep):
    data = model_file.read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    model_file.write_bytes(data[:size])
    with pytest.raises(ModelFileError, match=str(model_file.name)):
        load(model_file)


def test_corrupted_bytes_never_load_silently_wrong(model_file):
    data = model_file.read_bytes()
    original = load(model_file)
    x = np.array([[0.3, -0.7]])
    failures = 0
    for position in range(0, len(data), 7):
        corrupted = bytearray(data)
        corrupted[position] ^= 0xFF
        model_file.write_bytes(bytes(corrupted))
        try:
            copy = load(model_file)
        except ModelFileError:
            failures += 1
            continue
        # Bytes that no reader checks (a timestamp in a zip header) change nothing.
        assert_same(original, copy, x)
    assert failures > len(data) // 7 // 2


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"hello, this is a text file\n", "not a zip archive"),
        ("zip", "truncated or corrupted|not a layerkit model"),
        ("npz", "not a layerkit model file"),
        ("npy", "not a zip archive"),
        ("pickle", "truncated or corrupted|not a layerkit model"),
    ],
)
def test_foreign_files(tmp_path, content, fragment):
    path = tmp_path / "foreign.npz"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "not arrays")
    elif content == "npz":
        np.savez(path, a=np.arange(3), b=np.ones((2, 2)))
    elif content == "npy":
        np.save(path, np.arange(3))
        os.replace(tmp_path / "foreign.npz.npy", path)
    elif content == "pickle":
        np.savez(path, **{HEADER: np.array([{"format": "layerkit-model"}], dtype=object)})
    else:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=fragment):
        load(path)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda h: h.update(format_version=2), "format version 2.*upgrade layerkit"),
        (lambda h: h.update(format_version="1"), "invalid format version"),
        (lambda h: h.update(format="other"), "not a layerkit model file"),
        (lambda h: h["model"]["layers"][0].update(type="conv2d"), "unknown type 'conv2d'"),
        (lambda h: h["model"].update(layers=3), "corrupted header"),
        (lambda h: h["model"]["layers"][0]["config"].update(in_features=5), "corrupted header"),
        (lambda h: h["parameters"]["0.W"].update(dtype="float32"), "'0.W' has dtype float64"),
        (lambda h: h.pop("model"), "corrupted header"),
    ],
)
def test_inconsistent_headers(model_file, edit, fragment):
    rewrite(model_file, edit)
    with pytest.raises(ModelFileError, match=fragment):
        load(model_file)


def test_missing_and_extra_arrays(model_file):
    rewrite(model_file, extra={"9.W": np.ones(2)})
    with pytest.raises(ModelFileError, match=r"does not use: 9\.W"):
        load(model_file)
    rewrite(model_file, drop=["9.W", "2.b"])
    with pytest.raises(ModelFileError, match=r"'2\.b' is missing"):
        load(model_file)


def test_header_that_is_not_json(model_file):
    rewrite(model_file, extra={HEADER: np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(ModelFileError, match="corrupted header"):
        load(model_file)


def test_missing_runtime_plugin_is_named(tmp_path):
    register("scales", scaled=Scaled)
    save(lk.mlp([2, 3, 1], "scaled", seed=0), tmp_path / "m.npz")
    lk.plugin_manager().unregister(name="scales")
    with pytest.raises(ModelFileError) as raised:
        load(tmp_path / "m.npz")
    message = str(raised.value)
    assert "activation 'scaled'" in message and "plugin 'scales'" in message
    assert "registered at run time" in message


def test_missing_installed_plugin_names_its_distribution(model_file):
    def tanh_from_a_distribution(header):
        header["model"]["layers"][1]["name"] = "tanh_from_elsewhere"
        header["components"].append(
            {
                "kind": "activation",
                "name": "tanh_from_elsewhere",
                "plugin": "elsewhere",
                "distribution": "layerkit-elsewhere",
                "version": "1.2.3",
            }
        )

    rewrite(model_file, tanh_from_a_distribution)
    with pytest.raises(ModelFileError) as raised:
        load(model_file)
    message = str(raised.value)
    assert "'tanh_from_elsewhere'" in message
    assert "layerkit-elsewhere 1.2.3" in message and "pip install layerkit-elsewhere" in message


def test_installed_component_that_refuses_the_saved_options(model_file):
    rewrite(model_file, lambda h: h["model"]["layers"][1]["config"].update(steepness=2))
    with pytest.raises(ModelFileError, match="cannot be built with the saved options"):
        load(model_file)
