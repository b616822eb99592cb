"""``layerkit export``: a saved model, with its metadata, as an ONNX file ONNX Runtime runs."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pytest

import layerkit as lk

from .cli_support import Cube, assert_one_line_error


@pytest.fixture
def model_file(tmp_path):
    """A 2-3-2 sigmoid network saved as m.npz in the test's directory."""
    lk.save(lk.mlp([2, 3, 2], seed=0), tmp_path / "m.npz")
    return tmp_path / "m.npz"


def test_export_writes_a_model_onnx_runtime_runs_with_the_training_metadata(layerkit, tmp_path):
    trained = layerkit(
        "train", "--data", "blobs", "--layers", "2,5,3", "--activation", "tanh",
        "--output-activation", "softmax", "--loss", "cross_entropy", "--epochs", "3",
        "--save", "m.npz",
    )  # fmt: skip
    assert trained.code == 0, trained.err
    run = layerkit("export", "--model", "m.npz", "--output", "m.onnx")
    assert (run.code, run.out, run.err) == (0, "wrote m.onnx\n", "")
    saved = lk.serialization.read(tmp_path / "m.npz")
    session = onnxruntime.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(4, 2))
    y = session.run(["y"], {"x": x})[0]
    np.testing.assert_allclose(y, saved.model(x), rtol=1e-12, atol=1e-12)
    found = session.get_modelmeta().custom_metadata_map
    assert json.loads(found["classes"]) == saved.metadata["classes"]
    assert json.loads(found["features"]) == saved.metadata["features"] == ["x1", "x2"]
    assert found["task"] == "classification"


def test_export_replaces_an_existing_file(layerkit, model_file, tmp_path):
    (tmp_path / "m.onnx").write_text("old")
    assert layerkit("export", "--model", "m.npz", "-o", "m.onnx").code == 0
    assert (tmp_path / "m.onnx").read_bytes()[:4] != b"old"


def test_a_missing_model_is_exit_1(layerkit):
    run = layerkit("export", "--model", "nope.npz", "--output", "m.onnx")
    assert_one_line_error(run, "layerkit: error: No such file or directory: nope.npz", code=1)


def test_an_unwritable_output_is_exit_1_before_the_model_is_read(layerkit, tmp_path):
    run = layerkit("export", "--model", "nope.npz", "--output", "missing/m.onnx")
    assert_one_line_error(run, "--output: the directory 'missing' does not exist", code=1)
    (tmp_path / "folder.onnx").mkdir()
    run = layerkit("export", "--model", "nope.npz", "--output", "folder.onnx")
    assert_one_line_error(run, "--output: 'folder.onnx' is a directory", code=1)


def test_a_model_that_cannot_be_exported_is_exit_1_naming_the_component(
    layerkit, runtime_plugin, tmp_path
):
    runtime_plugin("cubes", cube=Cube)  # registered by name, but with no ONNX nodes
    lk.save(lk.Sequential(lk.Dense(2, 2, seed=0), Cube()), tmp_path / "c.npz")
    run = layerkit("export", "--model", "c.npz", "--output", "c.onnx")
    assert_one_line_error(
        run,
        "layerkit: error: cannot export Cube(scale=1.0) (cli.cli_support.Cube, registered as "
        "'cube' by plugin 'cubes') to ONNX: no installed plugin provides ONNX nodes for it",
        code=1,
    )
    assert not (tmp_path / "c.onnx").exists()


def test_positional_arguments_say_how_to_write_them(layerkit):
    run = layerkit("export", "m.npz", "m.onnx")
    assert_one_line_error(
        run,
        "the model and the output are options: layerkit export --model m.npz --output m.onnx",
        code=2,
    )


def test_a_corrupt_model_file_is_exit_1(layerkit, tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    run = layerkit("export", "--model", "bad.npz", "--output", "m.onnx")
    assert_one_line_error(run, "bad.npz", code=1)
    assert not (tmp_path / "m.onnx").exists()
