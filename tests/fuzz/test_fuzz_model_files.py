"""Fuzz: mutated, crafted and bombed model files either load or raise ModelFileError.

Three families of hostile files, built from a real saved model:

- mutated: bytes flipped, inserted, deleted or cut off at random positions, in the archive as
  `save` writes it (stored) and recompressed (deflated);
- crafted headers: random JSON (huge integers, deep nesting, wrong types) put in place of any
  part of a valid header, or random bytes as the header;
- crafted members: extra members, members replaced by others of random shapes and sizes,
  zeros that deflate a thousandfold, sizes in the zip directory that lie, zip64 records.

Each example asserts that `load` returns the saved model (mutations), or any model
(crafted files that happen to be valid), or raises `ModelFileError`, never another exception;
and that it inflates no more than the header declares (counted at the decompressor).
"""

from __future__ import annotations

import io
import json
import re
import struct
import tempfile
import types
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plugins.broken_plugins import BROKEN, Absolute, Cube, plugin_module

import layerkit as lk
from layerkit import serialization
from layerkit.errors import (
    ComponentTypeError,
    ConfigurationError,
    ModelFileError,
    PluginError,
    UnknownComponentError,
    UnsavableLayerError,
)
from layerkit.registry import reset_plugin_manager
from layerkit.serialization import HEADER

pytestmark = pytest.mark.guarantee("files")

FUZZ = settings(
    deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow], database=None
)
SAVES = settings(FUZZ, max_examples=30)  # each save syncs the file to disk
PREAMBLE = 64 * 2**10  # what load allows a member beyond its array's bytes


class Saved(dict):
    """The saved model and its files; short in hypothesis's report of a failing example."""

    def __repr__(self) -> str:
        return "<the saved 2-3-2 model and its files>"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The model, its file's bytes (stored and deflated), header and members, and a work path."""
    folder = tmp_path_factory.mktemp("fuzz_model_files")
    model = lk.mlp([2, 3, 2], seed=0)
    serialization.save(model, folder / "m.npz", loss=lk.L2Loss(), metadata={"features": ["a"]})
    stored = (folder / "m.npz").read_bytes()
    with np.load(folder / "m.npz", allow_pickle=False) as archive:
        members = {name + ".npy": npy(archive[name]) for name in archive.files}
        header = json.loads(archive[HEADER].tobytes())
    declared = sum(len(data) for data in members.values())
    (folder / "names").mkdir()
    return Saved(
        model=model,
        stored=stored,
        deflated=zip_bytes(members.items(), zipfile.ZIP_DEFLATED),
        header=header,
        members=members,
        declared=declared,
        path=folder / "fuzz.npz",
    )


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def zip_bytes(members: Any, compression: int, zip64: frozenset[str] = frozenset()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            with archive.open(name, "w", force_zip64=name in zip64) as member:
                member.write(data)
    return buffer.getvalue()


class _Counting:
    """A decompressor that adds what it inflates to a shared count."""

    def __init__(self, decompressor: Any, counter: list[int]) -> None:
        self._decompressor = decompressor
        self._counter = counter

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out = self._decompressor.decompress(data, max_length)
        self._counter[0] += len(out)
        return out

    def flush(self, *length: int) -> bytes:
        out = self._decompressor.flush(*length)
        self._counter[0] += len(out)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decompressor, name)


@contextmanager
def counting_inflation() -> Iterator[list[int]]:
    """Count every byte zipfile inflates while the block runs (``counter[0]``)."""
    counter = [0]
    original = zipfile._get_decompressor  # type: ignore[attr-defined]

    def counted(compress_type: int) -> Any:
        decompressor = original(compress_type)
        return None if decompressor is None else _Counting(decompressor, counter)

    zipfile._get_decompressor = counted  # type: ignore[attr-defined]
    try:
        yield counter
    finally:
        zipfile._get_decompressor = original  # type: ignore[attr-defined]


def load_or_refuse(saved: dict[str, Any], data: bytes, declared: int) -> lk.Layer | None:
    """Load ``data``; return the model, or None after a ModelFileError; check the inflation.

    ``declared`` is what the file's header declares (its own size and its parameters').
    """
    saved["path"].write_bytes(data)
    with counting_inflation() as inflated:
        try:
            model = serialization.load(saved["path"])
        except ModelFileError:
            model = None
    members = max(1, data.count(b"PK\x01\x02"))
    assert inflated[0] <= declared + members * PREAMBLE
    return model


def assert_same(first: lk.Layer, second: lk.Layer) -> None:
    assert repr(first) == repr(second)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert a.name == b.name and a.value.dtype == b.value.dtype
        assert np.array_equal(a.value, b.value)


# ----------------------------------------------------------------------------- mutations
mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 2**20), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 2**20), st.integers(1, 32)),
    st.tuples(st.just("truncate"), st.integers(0, 2**20), st.just(0)),
)


@FUZZ
@given(
    kind=st.sampled_from(["stored", "deflated"]),
    mutations=st.lists(mutation, min_size=1, max_size=3),
)
def test_mutated_files_load_the_same_model_or_raise_model_file_error(saved, kind, mutations):
    data = bytearray(saved[kind])
    for operation, position, argument in mutations:
        position %= max(1, len(data))
        if operation == "flip":
            data[position] ^= argument
        elif operation == "insert":
            data[position:position] = argument
        elif operation == "delete":
            del data[position : position + argument]
        else:
            del data[position:]
        if not data:
            break
    declared = serialization.MAX_HEADER_BYTES + saved["declared"]
    model = load_or_refuse(saved, bytes(data), declared)
    if model is not None:  # bytes no reader checks (a timestamp) change nothing
        assert_same(saved["model"], model)


# ------------------------------------------------------------------------ crafted headers
DEEP = "@@deep@@"
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([-1, 0, 1, 2, 3, 2**31, 2**63, 2**64, 10**30, 10**400, -(10**400)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["dense", "sequential", "activation", "sigmoid", "l2", "float32", "W"]),
    st.integers(2, 3000).map(lambda depth: f"{DEEP}{depth}"),  # replaced by [[[...]]]
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["type", "config"]), children, max_size=4
        )
    ),
    max_leaves=12,
)
PLACES = [
    ("format_version",),
    ("layerkit_version",),
    ("model",),
    ("model", "type"),
    ("model", "layers"),
    ("model", "layers", 0),
    ("model", "layers", 0, "type"),
    ("model", "layers", 0, "config"),
    ("model", "layers", 0, "config", "in_features"),
    ("model", "layers", 0, "config", "init"),
    ("model", "layers", 1, "name"),
    ("model", "layers", 1, "config"),
    ("parameters",),
    ("parameters", "0.W"),
    ("parameters", "0.W", "shape"),
    ("parameters", "0.W", "shape", 0),
    ("parameters", "0.W", "dtype"),
    ("parameters", "2.b", "extra"),
    ("loss",),
    ("loss", "name"),
    ("loss", "config"),
    ("loss", "config", "reduction"),
    ("metadata",),
    ("metadata", "features"),
    ("components",),
    ("components", 0),
    ("components", 0, "name"),
]


def encode(header: Any) -> bytes:
    """The header as JSON, each ``DEEP`` marker replaced by lists nested that deep: deeper
    than json.dumps itself can write."""

    def nested(match: re.Match[str]) -> str:
        return "[" * int(match[1]) + "]" * int(match[1])

    return re.sub(re.escape(json.dumps(DEEP)[:-1]) + r'(\d+)"', nested, json.dumps(header)).encode()


def header_file(saved: dict[str, Any], header_bytes: bytes) -> bytes:
    members = dict(saved["members"])
    members[HEADER + ".npy"] = npy(np.frombuffer(header_bytes, dtype=np.uint8))
    return zip_bytes(members.items(), zipfile.ZIP_STORED)


def declared_by(header: Any, header_bytes: bytes) -> int:
    """The bytes a (crafted) header declares: its own and its parameters', as load reads them."""
    total = len(header_bytes) + 128
    parameters = header.get("parameters") if isinstance(header, dict) else None
    for entry in parameters.values() if isinstance(parameters, dict) else ():
        try:
            shape = [int(n) for n in entry["shape"]] if len(entry["shape"]) <= 32 else [0]
            total += max(0, int(np.prod(shape, dtype=object))) * 8 + 128
        except (TypeError, KeyError, ValueError, AttributeError):
            pass
    return total


@FUZZ
@given(
    place=st.sampled_from(PLACES),
    value=json_value,
    delete=st.booleans(),
)
def test_crafted_headers_load_or_raise_model_file_error(saved, place, value, delete):
    header = json.loads(json.dumps(saved["header"]))
    parent = header
    try:
        for key in place[:-1]:
            parent = parent[key]
        if delete and isinstance(parent, dict):
            parent.pop(place[-1], None)
        else:
            parent[place[-1]] = value
    except (KeyError, IndexError, TypeError):
        return
    header_bytes = encode(header)
    model = load_or_refuse(
        saved, header_file(saved, header_bytes), declared_by(header, header_bytes)
    )
    assert model is None or isinstance(model, lk.Layer)


@FUZZ
@given(header=json_value, raw=st.binary(max_size=64), as_raw=st.booleans())
def test_random_headers_raise_model_file_error(saved, header, raw, as_raw):
    header_bytes = raw if as_raw else encode(header)
    model = load_or_refuse(saved, header_file(saved, header_bytes), len(header_bytes) + 128)
    assert model is None


# ------------------------------------------------------------------------ crafted members
def patch_declared_size(data: bytearray, name: str, size: int) -> None:
    """Make the local header and the central directory entry of ``name`` declare ``size``."""
    for signature, size_at, name_length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        at = data.find(signature)
        while at != -1 and at + name_at <= len(data):
            length = struct.unpack_from("<H", data, at + name_length_at)[0]
            if data[at + name_at : at + name_at + length] == name.encode():
                struct.pack_into("<I", data, at + size_at, size % 2**32)
            at = data.find(signature, at + 4)


@FUZZ
@given(
    name=st.sampled_from(
        ["0.W.npy", "2.b.npy", "padding.npy", HEADER + ".npy", "a.txt", "0.W.npy/"]
    ),
    replace=st.booleans(),
    shape=st.sampled_from([(2, 3), (3,), (2,), (2**19,), (0,), (4, 2**18)]),
    dtype=st.sampled_from(["<f8", "<f4", ">f8", "|u1", "<i8"]),
    extra=st.integers(0, 2**22),
    lie=st.sampled_from([None, 0, 1, 48, 2**16, 2**31, 2**32 - 1]),
    compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
    zip64=st.booleans(),
)
def test_crafted_members_and_bombs_load_or_raise_model_file_error(
    saved, name, replace, shape, dtype, extra, lie, compression, zip64
):
    members = dict(saved["members"])
    if not replace and name in members:
        name = "extra." + name
    preamble = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        preamble, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if compression == zipfile.ZIP_STORED:
        size, extra = min(size, 2**16), min(extra, 2**16)  # stored bytes cost disk, not memory
    members[name] = preamble.getvalue() + bytes(size + extra)
    data = bytearray(zip_bytes(members.items(), compression, frozenset({name} if zip64 else ())))
    if lie is not None:
        patch_declared_size(data, name, lie)
    declared = saved["declared"] + serialization.MAX_HEADER_BYTES * (name == HEADER + ".npy")
    model = load_or_refuse(saved, bytes(data), declared)
    assert model is None or isinstance(model, lk.Layer)


# ------------------------------------------------------------------- save's arguments
python_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(4300, 4400).map(lambda digits: 10**digits),  # too long for int -> str
    st.sampled_from([float("nan"), float("inf"), -0.0, np.float32(1.5), np.int64(3)]),
    st.floats(),
    st.text(max_size=6),
    st.binary(max_size=3),
)
python_value = st.recursive(
    python_leaf,
    lambda children: (
        st.lists(children, max_size=3)
        | st.tuples(children, children)
        | st.frozensets(st.integers(), max_size=2)
        | st.dictionaries(
            st.one_of(st.text(max_size=4), st.integers(), st.none(), st.floats(), st.booleans()),
            children,
            max_size=3,
        )
    ),
    max_leaves=10,
)


@SAVES
@given(metadata=st.one_of(python_value, st.dictionaries(st.text(max_size=4), python_value)))
def test_metadata_round_trips_as_json_or_is_refused(saved, metadata):
    try:
        serialization.save(saved["model"], saved["path"], metadata=metadata)
    except (UnsavableLayerError, ComponentTypeError):
        return
    expected = {} if metadata is None else json.loads(json.dumps(metadata))  # tuples: lists
    assert serialization.read(saved["path"]).metadata == expected


@SAVES
@given(
    path=st.one_of(
        st.none(),
        st.integers(),
        st.floats(),
        st.binary(max_size=8),
        st.lists(st.text(max_size=3), max_size=2),
        st.text(max_size=300).map(lambda name: ("in folder", name)),
    )
)
def test_paths_are_used_or_refused_with_layerkit_or_os_errors(saved, path):
    if isinstance(path, tuple):  # a name inside the work folder, never the current directory
        path = saved["path"].parent / "names" / path[1].replace("..", "__")
    elif isinstance(path, bytes) and path:
        return  # bytes name a file relative to the current directory: not written here
    for attempt in (serialization.save, serialization.load):
        try:
            if attempt is serialization.save:
                attempt(saved["model"], path)
            else:
                assert_same(saved["model"], attempt(path))
        except (ComponentTypeError, ConfigurationError, OSError):
            pass


# -------------------------------------------------------------------- refusing registries
SAVED_BY = [
    {},
    {"plugin": "bad"},
    {"plugin": "rival_0"},
    {"plugin": "gone"},
    {"plugin": "gone", "distribution": "layerkit-gone", "version": "2.0"},
]
"""Where a file may say its component came from: nowhere, an installed plugin, a gone one."""


def rival(name: str, kind: str, component: str) -> types.ModuleType:
    """A plugin registering ``component`` (cube or absolute) at run time, as ``name``."""
    cls = Cube if kind == "activation" else Absolute

    def register_component(register):
        register(component, cls)

    hook = "register_activations" if kind == "activation" else "register_losses"
    return plugin_module(f"fake_{name}", **{hook: register_component})


@SAVES
@given(
    broken=st.sampled_from(BROKEN),
    kind=st.sampled_from(["activation", "loss"]),
    rivals=st.integers(0, 2),
    saved_by=st.sampled_from(SAVED_BY),
)
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_a_component_the_registry_refuses_is_refused_with_its_reason(
    saved, broken, kind, rivals, saved_by
):
    # load said "no installed plugin provides" a name two plugins register or a broken one does
    name = "cube" if kind == "activation" else "absolute"
    header = json.loads(json.dumps(saved["header"]))
    if kind == "activation":
        header["model"]["layers"][1] = {"type": "activation", "name": name, "config": {}}
    else:
        header["loss"] = {"name": name, "config": {}}
    header["components"].append({"kind": kind, "name": name, **saved_by})
    saved["path"].write_bytes(header_file(saved, encode(header)))
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as folder:
        reset_plugin_manager()
        try:
            broken.install(patch, Path(folder))
            for i in range(rivals):
                lk.plugin_manager().register(rival(f"rival_{i}", kind, name), name=f"rival_{i}")
            try:
                (lk.activation if kind == "activation" else lk.loss)(name)
                reason = None
            except (PluginError, UnknownComponentError) as error:
                reason = str(error).rstrip(".")
            try:
                read = serialization.read(saved["path"])
            except ModelFileError as error:
                message = str(error)
                assert reason is not None and reason in message, message
                assert "no installed plugin provides" not in message
                if saved_by.get("plugin") in ("bad", "rival_0") and rivals:
                    assert "install it" not in message and "register that plugin" not in message
            else:
                assert reason is None
                assert isinstance(read.model, lk.Layer) and isinstance(read.loss, lk.Loss)
            model = lk.Sequential(
                lk.Dense(2, 2, seed=0), Cube() if kind == "activation" else lk.Sigmoid()
            )
            try:
                serialization.save(
                    model, saved["path"], loss=Absolute() if kind == "loss" else None
                )
            except UnsavableLayerError as error:
                assert reason is not None
                assert not lk.failed_plugins() or "set aside" in str(error)
            else:
                assert reason is None
        finally:
            reset_plugin_manager()
