"""Model files: bit-exact round trips, atomic writes, and every way a file can be wrong."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import subprocess
import sys
import tracemalloc
import types
import warnings
import zipfile

import numpy as np
import pytest
from plugins.broken_plugins import BROKEN, Absolute, Cube

import layerkit as lk
from layerkit import atomic_file, model_description, model_rebuild, serialization
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    ModelFileError,
    NonFiniteError,
    UnsavableLayerError,
)
from layerkit.registry import reset_plugin_manager
from layerkit.serialization import HEADER, load, read, save

SET_ASIDE_HOOKS = [broken for broken in BROKEN if broken.whole and broken.source is None][:6]
"""Plugins whose hook registers 'cube' and is then set aside as a whole (a sample)."""


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


class Named(lk.Activation):
    """An activation whose parameters bear the names of np.savez's own arguments."""

    param_names = ("file", "allow_pickle")

    def __init__(self) -> None:
        self.file, self.allow_pickle = np.array([1.0]), np.array([2.0])
        self.dfile, self.dallow_pickle = np.zeros(1), np.zeros(1)

    def function(self, x):
        return self.file * x + self.allow_pickle

    def derivative(self, x, y):
        return np.broadcast_to(self.file, x.shape)


@pytest.mark.guarantee("files")
def test_parameters_named_like_savez_arguments_round_trip(tmp_path):
    # np.savez(file, allow_pickle=..., **arrays) took them for its own arguments
    register("named", named=Named)
    layer = Named()
    layer.file[:] = 3.0
    save(layer, tmp_path / "m.npz")
    assert_same(layer, load(tmp_path / "m.npz"), np.ones(2))


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


class ForgetfulScaled(Scaled):
    """Its config() names an option its constructor does not take."""

    def config(self):
        return {"scale": self.scale, "offset": 0.0}


@pytest.mark.guarantee("files")
def test_save_refuses_what_load_could_not_read_back(tmp_path):
    register("scales", forgetful=ForgetfulScaled)
    with pytest.raises(UnsavableLayerError, match="cannot be rebuilt from its config"):
        save(lk.Sequential(lk.Dense(2, 2), ForgetfulScaled()), tmp_path / "m.npz")
    resized = lk.Dense(2, 3, seed=0)
    resized.W = np.ones((4, 3))  # W no longer fits in_features=2
    with pytest.raises(UnsavableLayerError, match=r"do not fit its sizes \(2, 3\)"):
        save(resized, tmp_path / "m.npz")
    mixed = lk.Dense(2, 3, seed=0, dtype=np.float32)
    mixed.b = np.zeros(3)  # float64: load would round it to float32
    with pytest.raises(UnsavableLayerError, match="one dtype"):
        save(mixed, tmp_path / "m.npz")
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
        (lambda h: h.update(format_version=3), "format version 3.*upgrade layerkit"),
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
    assert "layerkit-elsewhere 1.2.3" in message
    assert f"{sys.executable} -m pip install layerkit-elsewhere==1.2.3" in message


def register_losses(name: str, **losses: type) -> None:
    module = types.ModuleType(name)

    def register_losses(register):
        for loss_name, cls in losses.items():
            register(loss_name, cls)

    module.register_losses = lk.hookimpl(register_losses)
    lk.plugin_manager().register(module, name=name)


@pytest.mark.guarantee("files")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_a_component_two_plugins_register_is_refused_naming_both(tmp_path):
    # load said "no installed plugin provides 'scaled'" of a name the registry set aside
    # because two plugins register it; the registry's reason names both and how to choose
    register("scales", scaled=Scaled)
    register_losses("absolutes", absolute=Absolute)
    save(lk.mlp([2, 3, 1], "scaled", seed=0), tmp_path / "activation.npz")
    save(lk.mlp([2, 3, 1], seed=0), tmp_path / "loss.npz", loss=Absolute())
    register("more_scales", scaled=Scaled)
    register_losses("more_absolutes", absolute=Absolute)
    for file, kind, name, plugins in [
        ("activation.npz", "activation", "scaled", ("scales", "more_scales")),
        ("loss.npz", "loss", "absolute", ("absolutes", "more_absolutes")),
    ]:
        with pytest.raises(ModelFileError) as raised:
            read(tmp_path / file)
        message = str(raised.value)
        assert f"needs the {kind} {name!r}" in message
        assert f"{kind} {name!r} is registered by 2 plugins" in message
        assert all(f"{plugin!r}" in message for plugin in plugins)
        assert "LAYERKIT_LOAD_PLUGINS" in message
        assert "no installed plugin provides" not in message and "register that" not in message


@pytest.mark.guarantee("files")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
@pytest.mark.parametrize("broken", SET_ASIDE_HOOKS, ids=[broken.id for broken in SET_ASIDE_HOOKS])
def test_a_component_of_a_set_aside_plugin_is_refused_saying_why(broken, tmp_path, monkeypatch):
    # the plugin that registers 'cube' is installed but set aside: load said nothing provides it
    register("cubes", cube=Cube)
    save(lk.mlp([2, 3, 1], "cube", seed=0), tmp_path / "m.npz")
    reset_plugin_manager()
    broken.install(monkeypatch, tmp_path)
    with pytest.raises(ModelFileError) as raised:
        load(tmp_path / "m.npz")
    message = str(raised.value)
    assert "needs the activation 'cube'" in message and "set aside" in message
    assert broken.why in message and "plugin 'bad'" in message
    assert "no installed plugin provides" not in message


@pytest.mark.guarantee("files")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_saving_a_component_the_registry_set_aside_says_why(tmp_path, monkeypatch):
    # save said "neither Dense, Sequential nor a registered activation; register it" of a
    # class two plugins register, or whose plugin was set aside
    register("cubes", cube=Cube)
    register("more_cubes", cube=Cube)
    register_losses("absolutes", absolute=Absolute)
    register_losses("more_absolutes", absolute=Absolute)
    with pytest.raises(UnsavableLayerError) as raised:
        save(lk.Sequential(lk.Dense(2, 2, seed=0), Cube()), tmp_path / "m.npz")
    message = str(raised.value)
    assert "registers activation 'cube', as does plugin 'more_cubes'" in message
    with pytest.raises(UnsavableLayerError) as raised:
        save(lk.mlp([2, 2], seed=0), tmp_path / "m.npz", loss=Absolute())
    assert "registers loss 'absolute', as does plugin 'more_absolutes'" in str(raised.value)
    reset_plugin_manager()
    SET_ASIDE_HOOKS[0].install(monkeypatch, tmp_path)
    with pytest.raises(UnsavableLayerError, match=SET_ASIDE_HOOKS[0].why):
        save(lk.Sequential(lk.Dense(2, 2, seed=0), Cube()), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


class Posing(Absolute):
    """A loss whose class hands back something else for some options (its __new__ does)."""

    def __new__(cls, pose: bool = False):
        return 42 if pose else super().__new__(cls)

    def __init__(self, pose: bool = False) -> None:
        self.pose = pose

    def config(self):
        return {"pose": self.pose}


class Exiting(Scaled):
    """An activation whose constructor ends the program for some options."""

    def __init__(self, scale: float = 1.0) -> None:
        if scale < 0:
            sys.exit(3)
        super().__init__(scale)


@pytest.mark.guarantee("files")
def test_a_class_that_builds_something_else_or_exits_is_a_model_file_error(tmp_path):
    # load built components by calling the class itself: a loss whose class returned 42 was
    # returned as the loss, and a class calling sys.exit ended the program (lk.activation and
    # lk.loss turn both into layerkit errors)
    register("exits", exiting=Exiting)
    register_losses("poses", posing=Posing)
    path = tmp_path / "m.npz"
    save(lk.Sequential(lk.Dense(2, 2, seed=0), Exiting()), path, loss=Posing())
    for edit in [
        lambda h: h["loss"]["config"].update(pose=True),
        lambda h: h["model"]["layers"][1]["config"].update(scale=-1.0),
    ]:
        save(lk.Sequential(lk.Dense(2, 2, seed=0), Exiting()), path, loss=Posing())
        rewrite(path, edit)
        with pytest.raises(ModelFileError, match="cannot be built with the saved options"):
            read(path)


@pytest.mark.guarantee("files")
def test_each_component_name_is_looked_up_once_per_file(tmp_path, monkeypatch):
    # every activation layer asked every plugin again: a 5.7 MB header of 100,000 sigmoid
    # layers took 5 s to load, 0.65 s with one lookup per name
    lookups = []

    def counted(kind, name):
        lookups.append((kind, name))
        return lk.registry._find(kind, name)

    monkeypatch.setattr(model_rebuild, "find_component", counted)
    net = lk.Sequential(*[lk.Sigmoid() for _ in range(50)], lk.Dense(2, 2, seed=0), lk.Sigmoid())
    save(net, tmp_path / "m.npz", loss=lk.L2Loss())
    assert repr(load(tmp_path / "m.npz")) == repr(net)
    assert sorted(lookups) == [("activation", "sigmoid"), ("loss", "l2")]


def test_installed_component_that_refuses_the_saved_options(model_file):
    rewrite(model_file, lambda h: h["model"]["layers"][1]["config"].update(steepness=2))
    with pytest.raises(ModelFileError, match="cannot be built with the saved options"):
        load(model_file)


# ------------------------------------------------------------------- hostile model files
def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """Write ``members`` (name → bytes, in order, names may repeat) as a zip archive."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, data in members:
                archive.writestr(name, data)


def members_of(path):
    with np.load(path, allow_pickle=False) as archive:
        return [(name + ".npy", npy_bytes(archive[name])) for name in archive.files]


def inflated_peak(function) -> int:
    """Run ``function`` (expected to raise ModelFileError); return its peak of allocations."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError):
            function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.guarantee("files")
def test_a_member_the_header_does_not_name_is_refused_unread(model_file):
    # issue 12, item 2: 16 MiB of zeros deflate to 16 KiB; the old reader inflated them all
    with (
        zipfile.ZipFile(model_file, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("padding.npy", "w", force_zip64=True) as member,
    ):
        np.lib.format.write_array_header_1_0(
            member, {"descr": "<f8", "fortran_order": False, "shape": (2**21,)}
        )
        member.write(bytes(2**24))
    assert model_file.stat().st_size < 2**16
    peak = inflated_peak(lambda: load(model_file))
    assert peak < 2**20


@pytest.mark.guarantee("files")
def test_a_member_larger_than_its_header_says_is_refused_before_inflating(model_file):
    members = dict(members_of(model_file))
    members["0.W.npy"] = npy_bytes(np.zeros(2**21))  # the header says (2, 3)
    write_zip(model_file, members.items(), zipfile.ZIP_DEFLATED)
    peak = inflated_peak(lambda: load(model_file))
    assert peak < 2**20


@pytest.mark.guarantee("files")
def test_a_member_that_lies_about_its_size_is_not_inflated_beyond_it(model_file):
    members = dict(members_of(model_file))
    true_size = len(members["0.W.npy"])
    members["0.W.npy"] = members["0.W.npy"] + bytes(2**24)
    write_zip(model_file, members.items(), zipfile.ZIP_DEFLATED)
    patch_sizes(model_file, "0.W.npy", uncompressed=true_size)
    peak = inflated_peak(lambda: load(model_file))
    assert peak < 2**20


def patch_sizes(path, name, *, compressed=None, uncompressed=None):
    """Make the local header and the central directory entry of ``name`` claim these sizes."""
    data = bytearray(path.read_bytes())
    # signature, offsets of the compressed size, the uncompressed size, the name's length, the name
    for signature, sizes, name_length, name_at in (
        (b"PK\x03\x04", (18, 22), 26, 30),
        (b"PK\x01\x02", (20, 24), 28, 46),
    ):
        at = data.find(signature)
        while at != -1:
            length = struct.unpack_from("<H", data, at + name_length)[0]
            if data[at + name_at : at + name_at + length] == name.encode():
                for offset, size in zip(sizes, (compressed, uncompressed), strict=True):
                    if size is not None:
                        struct.pack_into("<I", data, at + offset, size)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


@pytest.mark.guarantee("files")
def test_a_member_claiming_more_bytes_than_the_file_holds_is_refused(model_file):
    # A 2 GiB parameter stored in a file of 2 KiB: refused before memory is set aside for it
    rewrite(model_file, lambda h: h["parameters"]["0.W"].update(shape=[2**15, 2**13]))
    members = dict(members_of(model_file))
    preamble = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        preamble, {"descr": "<f8", "fortran_order": False, "shape": (2**15, 2**13)}
    )
    members["0.W.npy"] = preamble.getvalue() + bytes(48)
    write_zip(model_file, members.items())
    patch_sizes(model_file, "0.W.npy", compressed=2**31 + 128, uncompressed=2**31 + 128)
    peak = inflated_peak(lambda: load(model_file))
    assert peak < 2**20
    with pytest.raises(ModelFileError, match=r"'0\.W\.npy' claims 2147483776 bytes"):
        load(model_file)


@pytest.mark.guarantee("files")
def test_a_header_larger_than_the_limit_is_refused_before_inflating(model_file):
    members = dict(members_of(model_file))
    members[HEADER + ".npy"] = npy_bytes(np.zeros(serialization.MAX_HEADER_BYTES + 2**20, np.uint8))
    write_zip(model_file, members.items(), zipfile.ZIP_DEFLATED)
    peak = inflated_peak(lambda: load(model_file))
    assert peak < 2**20


@pytest.mark.guarantee("files")
def test_headers_with_more_values_than_the_limit_are_refused_before_parsing(model_file, tmp_path):
    # 1.5 MB of "{}," deflate to 2 KB; parsed, they were 500,000 dicts (~40 MB)
    many = b'{"format": "layerkit-model", "x": [' + b",".join([b"{}"] * 2**19) + b"]}"
    rewrite(model_file, extra={HEADER: np.frombuffer(many, dtype=np.uint8)})
    peak = inflated_peak(lambda: load(model_file))
    assert peak < 8 * 2**20
    with pytest.raises(ModelFileError, match="JSON values, more than 524288"):
        load(model_file)
    with pytest.raises(UnsavableLayerError, match="more than 524288"):
        save(lk.mlp([2, 2]), tmp_path / "m.npz", metadata={"rows": [0] * 2**19})
    assert os.listdir(tmp_path) == ["m.npz"]


@pytest.mark.guarantee("files")
@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        # issue 12, item 9, and its siblings: each escaped as a TypeError, AttributeError, ...
        (lambda h: h.update(components=5), "'components'"),
        (lambda h: h.update(components=[["a"]]), "'components'"),
        (lambda h: h.update(components=[{"kind": "activation", "name": ["x"]}]), "'components'"),
        (lambda h: h.update(parameters=[]), "'parameters'"),
        (lambda h: h.update(parameters={"0.W": 5}), "'0.W'"),
        (lambda h: h.update(metadata=[1, 2]), "'metadata'"),
        (lambda h: h.update(model=[]), "'model'"),
        (lambda h: h.update(loss=[1]), "'loss'"),
        (lambda h: h.update(loss={"name": 5}), "'loss'"),
        (lambda h: h.update(loss={"name": "l2", "config": {"reduction": 10**400}}), "'l2'"),
        (lambda h: h["model"]["layers"].__setitem__(0, 5), "layer 0 is not an object"),
        (lambda h: h["model"]["layers"][1].update(name=["sigmoid"]), "has no name"),
        (lambda h: h["model"]["layers"][1]["config"].update(x=10**400), "saved options"),
        (lambda h: h["model"]["layers"][0].update(config=[]), "config of layer 0"),
        (lambda h: h["parameters"]["0.W"].update(shape=[-2, 3]), "shape"),
        (lambda h: h["parameters"]["0.W"].update(shape=[10**30, 3]), "larger than any model"),
        (lambda h: h["parameters"]["0.W"].update(shape=[True, 3]), "shape"),
        (lambda h: h["parameters"]["0.W"].update(shape="2,3"), "shape"),
        (lambda h: h["parameters"]["0.W"].update(dtype="float16"), "float32 or float64"),
        (lambda h: h["parameters"]["0.W"].update(dtype="object"), "float32 or float64"),
        (lambda h: h["parameters"].update({"9.W": {"dtype": "float64", "shape": [2]}}), "9.W"),
    ],
)
def test_crafted_headers_are_model_file_errors(model_file, edit, fragment):
    rewrite(model_file, edit)
    with pytest.raises(ModelFileError, match=re.escape(fragment)) as raised:
        load(model_file)
    assert str(model_file) in str(raised.value)


@pytest.mark.guarantee("files")
@pytest.mark.parametrize(
    "config",
    [
        {"in_features": -1, "out_features": 3},
        {"in_features": "2", "out_features": 3},
        {"in_features": 10**400, "out_features": 3},
        {"in_features": 2.0, "out_features": 3},
        {"in_features": 2, "out_features": 3, "bogus": 1},
        {"in_features": 2, "out_features": 3, "W": [1.0]},
        {"in_features": 2, "out_features": 3, "init": ["glorot"]},
        {"in_features": 2, "out_features": 3, "dtype": "float16"},
        {"in_features": 2, "out_features": 3, "seed": -1},
    ],
)
def test_dense_options_a_constructor_refuses_name_the_file(model_file, config):
    rewrite(model_file, lambda h: h["model"]["layers"][0].update(config=config))
    with pytest.raises(ModelFileError, match="cannot build the Dense layer 0") as raised:
        load(model_file)
    assert str(model_file) in str(raised.value)


@pytest.mark.guarantee("files")
@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (b'{"format": "layerkit-model", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "deep"),
        (b"[" * 100_000, "corrupted header"),
        (b'{"format": "layerkit-model", "format_version": NaN}', "NaN"),
        (b'{"format": "layerkit-model", "format_version": 1e999}', "out of range"),
        (b'{"format": "layerkit-model", "format_version": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"format": "layerkit-model", "format_version": 10000000000000000000000}', "version"),
        ("{}".encode("utf-16"), "corrupted header"),
    ],
)
def test_headers_json_cannot_parse_are_model_file_errors(model_file, header, fragment):
    rewrite(model_file, extra={HEADER: np.frombuffer(header, dtype=np.uint8)})
    with pytest.raises(ModelFileError, match=fragment):
        load(model_file)


@pytest.mark.guarantee("files")
def test_models_nested_too_deep_are_refused_by_save_and_load(tmp_path, model_file):
    deep = lk.Dense(2, 2, seed=0)
    for _ in range(serialization.MAX_DEPTH):
        deep = lk.Sequential(deep)
    save(deep, tmp_path / "deep.npz")
    assert_same(deep, load(tmp_path / "deep.npz"), np.ones((1, 2)))
    with pytest.raises(UnsavableLayerError, match="nest more than 100 deep"):
        save(lk.Sequential(deep), tmp_path / "deeper.npz")
    loop = lk.Sequential(lk.Dense(2, 2))
    loop.layers.append(loop)
    with pytest.raises(UnsavableLayerError, match="contain itself"):
        save(loop, tmp_path / "loop.npz")

    def nest(header):
        for _ in range(serialization.MAX_DEPTH + 1):
            header["model"] = {"type": "sequential", "layers": [header["model"]]}

    rewrite(model_file, nest)
    with pytest.raises(ModelFileError, match="nest more than 100 deep"):
        load(model_file)


@pytest.mark.guarantee("files")
def test_archives_no_save_writes_are_model_file_errors(model_file, tmp_path):
    members = members_of(model_file)
    cases = {
        "plain header": [
            (name.removesuffix(".npy") if name == HEADER + ".npy" else name, data)
            for name, data in members
        ],
        "duplicate": [*members, ("0.W.npy", npy_bytes(np.zeros((2, 3))))],
        "directory": [*members, ("0.W.npy/", b"")],
        "not an array": [*members, ("notes.txt", b"hello")],
    }
    fragments = {
        "plain header": "'__layerkit__' is not an .npy array",
        "duplicate": "two members named '0.W.npy'",
        "directory": "does not use: 0.W.npy/",
        "not an array": "does not use: notes.txt",
    }
    for case, archive_members in cases.items():
        path = tmp_path / f"{case}.npz"
        write_zip(path, archive_members)
        with pytest.raises(ModelFileError, match=re.escape(fragments[case])):
            load(path)


@pytest.mark.guarantee("files")
@pytest.mark.parametrize("flaw", ["encrypted", "bzip2", "stored size"])
def test_members_zip_flags_layerkit_does_not_read_are_refused(model_file, flaw):
    write_zip(model_file, members_of(model_file))
    data = bytearray(model_file.read_bytes())
    at = data.find(b"PK\x01\x02")  # the first central directory entry: the header
    while at != -1:
        if flaw == "encrypted":
            data[at + 8] |= 0x1
        elif flaw == "bzip2":
            struct.pack_into("<H", data, at + 10, zipfile.ZIP_BZIP2)
        else:
            struct.pack_into("<I", data, at + 20, 3)  # compressed size, stored
        at = data.find(b"PK\x01\x02", at + 4)
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"encrypted|compression method|stored in"):
        load(model_file)


@pytest.mark.guarantee("files")
@pytest.mark.parametrize(("signature", "at"), [(b"PK\x05\x06", 16), (b"PK\x01\x02", 42)])
@pytest.mark.parametrize("offset", [0xFFFFFFFF, 0x7FFFFFFF])
def test_offsets_before_the_start_of_the_file_are_model_file_errors(
    model_file, signature, at, offset
):
    # A real file answers a seek before its start with OSError(EINVAL): not an I/O error here
    data = bytearray(model_file.read_bytes())
    struct.pack_into("<I", data, data.rfind(signature) + at, offset)
    model_file.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="truncated or corrupted"):
        load(model_file)


@pytest.mark.guarantee("files")
def test_non_finite_parameters_are_refused(model_file, tmp_path):
    # save refuses NaN and infinity, so a file holding them was altered: refuse it too
    rewrite(model_file, extra={"0.W": np.full((2, 3), np.nan)})
    with pytest.raises(ModelFileError, match=r"'0\.W' holds NaN or infinity"):
        load(model_file)
    register("slopes", slope=Slope)
    save(lk.Sequential(Slope()), tmp_path / "slope.npz")
    rewrite(tmp_path / "slope.npz", extra={"0.a": np.array([np.inf])})
    with pytest.raises(ModelFileError, match=r"'0\.a' holds NaN or infinity"):
        load(tmp_path / "slope.npz")


@pytest.mark.guarantee("files")
def test_a_preamble_as_python_2_wrote_it_is_a_warning_or_where_warnings_are_errors_refused(
    model_file,
):
    original = load(model_file)
    members = dict(members_of(model_file))
    members["0.b.npy"] = members["0.b.npy"].replace(b"(3,), } ", b"(3L,), }", 1)  # same length
    write_zip(model_file, members.items())
    with pytest.raises(ModelFileError, match="Python 2"):  # this suite makes warnings errors
        load(model_file)
    with pytest.warns(UserWarning, match="Python 2"):
        assert_same(original, load(model_file), np.ones((1, 2)))


def test_fortran_order_and_big_endian_members_load_the_same_values(model_file):
    original = load(model_file)
    with np.load(model_file, allow_pickle=False) as archive:
        W = archive["0.W"]
    rewrite(model_file, extra={"0.W": np.asfortranarray(W)})
    assert_same(original, load(model_file), np.ones((1, 2)))
    rewrite(model_file, extra={"0.W": W.astype(">f8")})
    copy = load(model_file)
    assert copy[0].W.dtype == np.float64 and copy[0].W.dtype.isnative
    assert_same(original, copy, np.ones((1, 2)))


# ----------------------------------------------------------------------- bad arguments
@pytest.mark.guarantee("errors")
@pytest.mark.parametrize(
    ("path", "error"),
    [
        (None, ComponentTypeError),
        (5, ComponentTypeError),
        (["m.npz"], ComponentTypeError),
        ("", ConfigurationError),
        ("m\0.npz", ConfigurationError),
    ],
)
def test_load_and_save_refuse_what_is_not_a_path(path, error):
    with pytest.raises(error, match="path"):
        load(path)
    with pytest.raises(error, match="path"):
        save(lk.mlp([2, 2]), path)


@pytest.mark.guarantee("errors")
def test_save_refuses_bad_arguments_with_layerkit_errors(tmp_path):
    net, path = lk.mlp([2, 2], seed=0), tmp_path / "m.npz"
    for kwargs, error, fragment in [
        ({"metadata": [1, 2]}, ComponentTypeError, "metadata"),
        ({"metadata": "abc"}, ComponentTypeError, "metadata"),
        ({"metadata": {1: "a"}}, UnsavableLayerError, "key 1"),
        ({"metadata": {"a": {(1, 2): "b"}}}, UnsavableLayerError, r"key \(1, 2\)"),
        ({"metadata": {"a": [float("nan")]}}, UnsavableLayerError, "metadata"),
        ({"metadata": {"a": "\ud800"}}, UnsavableLayerError, "metadata"),
        ({"metadata": {"a": np.int64(1)}}, UnsavableLayerError, "metadata"),
        ({"metadata": {"a": 10**5000}}, UnsavableLayerError, "metadata"),
        ({"loss": 5}, ComponentTypeError, "Loss instance"),
        ({"loss": lk.L2Loss}, ComponentTypeError, "parentheses"),
        ({"loss": "l2"}, ComponentTypeError, "Loss instance"),
    ]:
        with pytest.raises(error, match=fragment):
            save(net, path, **kwargs)
    deep: dict = {}
    for _ in range(3000):
        deep = {"a": deep}
    with pytest.raises(UnsavableLayerError, match="nested more than"):
        save(net, path, metadata=deep)
    with pytest.raises(ComponentTypeError, match="parentheses"):
        save(lk.Dense, path)
    with pytest.raises(ComponentTypeError, match="model comes first"):
        save(path, net)  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == []


@pytest.mark.guarantee("errors")
def test_error_messages_survive_values_that_cannot_be_shown(tmp_path):
    # repr(10**5000) raises ValueError: the message must not
    huge = 10**5000
    with pytest.raises(ComponentTypeError, match="cannot be shown"):
        load(huge)
    with pytest.raises(ComponentTypeError, match="cannot be shown"):
        save(lk.mlp([2, 2]), tmp_path / "m.npz", metadata=huge)
    register("scales", scaled=Scaled)
    with pytest.raises(UnsavableLayerError, match="cannot be shown"):
        save(lk.Sequential(Scaled(scale=huge)), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.guarantee("errors")
def test_directories_as_paths_are_honest_os_errors(tmp_path):
    net = lk.mlp([2, 2], seed=0)
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    with pytest.raises(IsADirectoryError, match="over a directory"):
        save(net, tmp_path)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        save(net, tmp_path / "missing" / "m.npz")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        save(net, tmp_path / "file" / "m.npz")


@pytest.mark.guarantee("files")
def test_pipes_load_and_are_never_replaced_by_save(model_file, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    writer = subprocess.Popen(["cp", str(model_file), str(pipe)])  # fills the pipe once
    try:
        assert_same(load(model_file), load(pipe), np.ones((1, 2)))  # a pipe cannot seek
    finally:
        writer.wait()
    with pytest.raises(FileExistsError, match="device, a pipe or a socket"):
        save(lk.mlp([2, 2]), pipe)
    assert stat.S_ISFIFO(pipe.stat().st_mode)


@pytest.mark.guarantee("plugins")
def test_saving_a_dense_only_model_does_not_need_the_registry(tmp_path, monkeypatch):
    save(lk.mlp([2, 3, 1], seed=0), tmp_path / "sigmoid.npz")

    def broken():
        raise lk.errors.PluginError("plugin 'bad' raised RuntimeError in register_activations")

    monkeypatch.setattr(model_description, "activations", broken)
    monkeypatch.setattr(model_rebuild, "find_component", lambda kind, name: broken())
    net = lk.Sequential(lk.Dense(2, 3, seed=0), lk.Sequential(lk.Dense(3, 1, seed=1)))
    save(net, tmp_path / "dense.npz")
    assert_same(net, load(tmp_path / "dense.npz"), np.ones((1, 2)))
    with pytest.raises(UnsavableLayerError, match="plugin 'bad'") as raised:
        save(lk.mlp([2, 3, 1], seed=0), tmp_path / "sigmoid.npz")
    assert "layer 1" in str(raised.value)
    with pytest.raises(ModelFileError, match=r"needs the activation 'sigmoid'.*plugin 'bad'"):
        load(tmp_path / "sigmoid.npz")


def test_save_is_exported_beside_load(tmp_path):
    # issue 13: lk.save(net, path) beside lk.load(path)
    assert lk.save is save and "save" in lk.__all__
    net = lk.mlp([2, 3, 2], seed=0)
    lk.save(net, tmp_path / "m.npz", metadata={"task": "demo"})
    assert_same(net, lk.load(tmp_path / "m.npz"), np.ones((1, 2)))


# ------------------------------------------------------------------ temporary files
@pytest.mark.guarantee("files")
def test_save_works_for_names_up_to_the_file_system_limit(tmp_path):
    # issue 12, item 10: names of 242 to 255 bytes failed, the temporary name was 14 longer
    net = lk.mlp([2, 3, 2], seed=0)
    for name in ["m" * 251 + ".npz", "é" * 125 + ".npz", "x" * 255]:
        save(net, tmp_path / name)
        assert_same(net, load(tmp_path / name), np.ones((1, 2)))
        (tmp_path / name).unlink()
    assert os.listdir(tmp_path) == []


SLOW_SAVE = """
import sys, time
import layerkit as lk
from layerkit import serialization

def slow(file, arrays):
    file.write(b"PK\\x03\\x04 the first bytes of an archive")
    file.flush()
    print("writing", flush=True)
    time.sleep(120)

serialization._write_npz = slow
serialization.save(lk.Sequential(lk.Dense(2, 2, seed=0)), sys.argv[1])
"""


def start_slow_save(path):
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVE, str(path)],
        stdout=subprocess.PIPE,
        env={**os.environ, "LAYERKIT_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert child.stdout.readline() == b"writing\n"
    return child


@pytest.mark.guarantee("files")
def test_temporary_files_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    # issue 12, item 11: a save killed mid-write left its temporary file for ever
    path, net = tmp_path / "m.npz", lk.mlp([2, 3, 2], seed=0)
    save(net, path)
    child = start_slow_save(path)
    try:
        [temporary] = [name for name in os.listdir(tmp_path) if name != "m.npz"]
        assert temporary.startswith(".m.npz.") and temporary.endswith(".tmp")
        save(net, path)  # a live save's temporary file is left alone
        assert sorted(os.listdir(tmp_path)) == sorted(["m.npz", temporary])
        before = path.read_bytes()
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert path.read_bytes() == before  # the killed save changed nothing
    # A dead save of another file keeps its temporary file until that file is saved.
    other = atomic_file.temporary_stem(tmp_path / "other.npz") + "abcdefgh.tmp"
    (tmp_path / other).write_bytes(b"PK")
    save(net, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.npz", other])
    save(net, tmp_path / "other.npz")
    assert sorted(os.listdir(tmp_path)) == ["m.npz", "other.npz"]


# ----------------------------------------------------------------------------- checkpoints
def trained_with(optimizer, dtype=np.float64):
    net = lk.mlp([2, 3, 2], seed=0, dtype=dtype)
    x = np.random.default_rng(0).normal(size=(6, 2)).astype(dtype)
    lk.fit(net, x, np.zeros((6, 2), dtype), loss="l2", optimizer=optimizer, epochs=2, batch_size=4)
    return net


@pytest.fixture
def checkpoint_file(tmp_path):
    path = tmp_path / "c.npz"
    sgd = lk.SGD(0.25, momentum=0.5)
    save(trained_with(sgd), path, optimizer=sgd, epoch=2)
    return path


class StepCounter(lk.Optimizer):
    """SGD that counts its steps per parameter in a 0-d int64 state, registered at run time."""

    def __init__(self, lr: float = 0.1, note: tuple = (1, "a")) -> None:
        self.lr, self.note = lr, note

    def update(self, value, grad, *, overwrite_grad=False):
        state = self.state_of(value)
        state["step"] = state.get("step", np.array(0, np.int64)) + 1
        value -= self.lr * grad

    def config(self):
        return {"lr": self.lr, "note": self.note}


def register_optimizers(name: str, **optimizers: type) -> None:
    module = types.ModuleType(name)

    def register_optimizers(register):
        for optimizer_name, cls in optimizers.items():
            register(optimizer_name, cls)

    module.register_optimizers = lk.hookimpl(register_optimizers)
    lk.plugin_manager().register(module, name=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_optimizer_and_its_state_round_trip_bit_exact(tmp_path, dtype):
    sgd = lk.SGD(0.25, momentum=0.5)
    net = trained_with(sgd, dtype)
    save(net, tmp_path / "c.npz", optimizer=sgd, epoch=2, metadata={"run": 1})
    model, optimizer, epoch = load(tmp_path / "c.npz", with_optimizer=True)
    assert (optimizer.config(), epoch) == (sgd.config(), 2)
    saved, loaded = sgd.state_dict(net), optimizer.state_dict(model)
    assert saved.keys() == loaded.keys() == {"0.W", "0.b", "2.W", "2.b"}
    for name in saved:
        kept = loaded[name]["momentum_buffer"]
        assert kept.dtype == dtype
        np.testing.assert_array_equal(kept, saved[name]["momentum_buffer"], strict=True)
    assert read(tmp_path / "c.npz").metadata == {"run": 1}


def test_scalar_integer_state_and_json_options_round_trip(tmp_path):
    register_optimizers("counters", step_counter=StepCounter)
    counter = StepCounter(0.5, note=(2, "b"))
    net = trained_with(counter)
    save(net, tmp_path / "c.npz", optimizer=counter)
    model, optimizer, epoch = load(tmp_path / "c.npz", with_optimizer=True)
    assert epoch is None and optimizer.note == [2, "b"]  # JSON keeps tuples as lists
    step = optimizer.state_dict(model)["0.W"]["step"]
    assert step.dtype == np.int64 and step.shape == () and step == 4  # 2 epochs of 2 steps


def test_a_plain_model_file_stays_version_1_and_a_checkpoint_is_version_2(tmp_path, model_file):
    def version(path):
        with np.load(path) as archive:
            return json.loads(archive[HEADER].tobytes())["format_version"]

    sgd = lk.SGD(0.1)
    save(trained_with(sgd), tmp_path / "c.npz", optimizer=sgd)
    assert version(model_file) == 1 and version(tmp_path / "c.npz") == 2


def test_load_without_with_optimizer_returns_the_model_and_needs_no_optimizer_plugin(tmp_path):
    register_optimizers("counters", step_counter=StepCounter)
    counter = StepCounter()
    save(trained_with(counter), tmp_path / "c.npz", optimizer=counter, epoch=1)
    reset_plugin_manager()  # the plugin is gone
    assert isinstance(load(tmp_path / "c.npz"), lk.Sequential)
    assert read(tmp_path / "c.npz").optimizer_name == "step_counter"
    with pytest.raises(ModelFileError, match="needs the optimizer 'step_counter'"):
        load(tmp_path / "c.npz", with_optimizer=True)


def test_a_file_without_an_optimizer_gives_none(model_file):
    checkpoint = load(model_file, with_optimizer=True)
    assert isinstance(checkpoint, serialization.Checkpoint)
    assert checkpoint.optimizer is None and checkpoint.epoch is None


def test_an_unregistered_optimizer_is_refused_by_name(tmp_path):
    class Unnamed(lk.SGD):
        pass

    optimizer = Unnamed(0.1, momentum=0.5)
    net = trained_with(optimizer)
    with pytest.raises(UnsavableLayerError, match=r"Unnamed is not a registered optimizer"):
        save(net, tmp_path / "c.npz", optimizer=optimizer)
    assert not (tmp_path / "c.npz").exists()


def test_save_refuses_bad_optimizers_epochs_and_state(tmp_path):
    net = lk.mlp([2, 2], seed=0)
    with pytest.raises(ComponentTypeError, match="forget the parentheses"):
        save(net, tmp_path / "c.npz", optimizer=lk.SGD)
    with pytest.raises(ComponentTypeError, match="an Optimizer instance"):
        save(net, tmp_path / "c.npz", optimizer="sgd")
    for epoch in (-1, 1.5, True, "3"):
        with pytest.raises(ConfigurationError, match="epoch="):
            save(net, tmp_path / "c.npz", epoch=epoch)
    sgd = lk.SGD(0.1, momentum=0.5)
    net = trained_with(sgd)
    sgd.state_of(net[0].W)["momentum_buffer"][0, 0] = np.inf
    with pytest.raises(NonFiniteError, match=r"'momentum_buffer' of parameter '0\.W'"):
        save(net, tmp_path / "c.npz", optimizer=sgd)
    sgd.state_of(net[0].W)["momentum_buffer"] = np.zeros(5)
    with pytest.raises(UnsavableLayerError, match="shaped like the parameter"):
        save(net, tmp_path / "c.npz", optimizer=sgd)
    assert not (tmp_path / "c.npz").exists()


def set_state_entry(header, **entry):
    header["optimizer"]["state"]["0.W"]["momentum_buffer"].update(entry)


@pytest.mark.guarantee("files")
@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda h: h.update(epoch=-1), "'epoch' is -1"),
        (lambda h: h.update(epoch="3"), "'epoch' is 3"),
        (lambda h: h.update(optimizer=[1]), "'optimizer' is"),
        (lambda h: h["optimizer"].update(name=5), "'optimizer' is"),
        (lambda h: set_state_entry(h, dtype="object"), "state 'momentum_buffer' of param"),
        (lambda h: set_state_entry(h, shape=[3, 2]), "state 'momentum_buffer' of param"),
        (lambda h: set_state_entry(h, shape=[2.0, 3]), "state 'momentum_buffer' of param"),
        (lambda h: set_state_entry(h, shape=[2, True]), "state 'momentum_buffer' of param"),
        (lambda h: set_state_entry(h, shape="23"), "state 'momentum_buffer' of param"),
        (lambda h: h["optimizer"]["state"].update(x={}), "state for 'x', which is not a param"),
        (lambda h: h["optimizer"].update(name="nothing"), "needs the optimizer 'nothing'"),
        (lambda h: h["optimizer"]["config"].update(lr=-1), "cannot be built with the saved"),
    ],
)
def test_crafted_optimizer_entries_are_model_file_errors(checkpoint_file, edit, fragment):
    rewrite(checkpoint_file, edit)
    with pytest.raises(ModelFileError, match=fragment):
        load(checkpoint_file, with_optimizer=True)


@pytest.mark.guarantee("files")
def test_state_arrays_are_checked_like_parameters(checkpoint_file):
    member = "__optimizer__.0.W.momentum_buffer"
    rewrite(checkpoint_file, extra={member: np.full((2, 3), np.nan)})
    with pytest.raises(ModelFileError, match="holds NaN or infinity"):
        load(checkpoint_file, with_optimizer=True)
    rewrite(checkpoint_file, extra={member: np.zeros((3, 2))})
    with pytest.raises(ModelFileError, match="has shape"):
        load(checkpoint_file, with_optimizer=True)
    rewrite(checkpoint_file, drop=(member,))
    with pytest.raises(ModelFileError, match=re.escape(f"state {member!r} is missing")):
        load(checkpoint_file, with_optimizer=True)


@pytest.mark.guarantee("files")
def test_a_state_member_the_header_does_not_name_is_refused_unread(checkpoint_file):
    rewrite(checkpoint_file, extra={"__optimizer__.0.W.exp_avg": np.zeros((2, 3))})
    with pytest.raises(ModelFileError, match="arrays the model does not use"):
        load(checkpoint_file)


@pytest.mark.guarantee("files")
def test_a_state_member_larger_than_declared_is_refused_before_inflating(checkpoint_file):
    members = dict(members_of(checkpoint_file))
    members["__optimizer__.0.W.momentum_buffer.npy"] = npy_bytes(np.zeros(2**21))
    write_zip(checkpoint_file, members.items(), zipfile.ZIP_DEFLATED)
    peak = inflated_peak(lambda: load(checkpoint_file, with_optimizer=True))
    assert peak < 2**20


def test_net_save_takes_the_optimizer_too(tmp_path):
    sgd = lk.SGD(0.1, momentum=0.9)
    net = trained_with(sgd)
    net.save(tmp_path / "c.npz", optimizer=sgd, epoch=4)
    assert load(tmp_path / "c.npz", with_optimizer=True).epoch == 4


def test_with_optimizer_must_be_a_bool(model_file):
    with pytest.raises(ConfigurationError, match="with_optimizer True or False"):
        load(model_file, with_optimizer="yes")
