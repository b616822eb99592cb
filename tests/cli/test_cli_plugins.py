"""`layerkit plugins` and `layerkit check`: components listed, failures reported."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import types

import pytest
from plugins.broken_plugins import BROKEN

import layerkit as lk
from layerkit.cli import main
from layerkit.registry import AUTOLOAD_ENV, LOAD_ENV, PluginWarning, reset_plugin_manager

from .cli_support import Cube, WrongGradient, assert_one_line_error

FIRST_PARTY_ACTIVATIONS = {"tanh", "relu", "leaky_relu", "softplus", "elu", "gelu", "softmax"}
FIRST_PARTY_LOSSES = {"cross_entropy", "binary_cross_entropy", "l1", "huber"}
# One of each way to break (tests/plugins/test_registry.py tries them all on the library).
SOME_BROKEN = [
    broken
    for broken in BROKEN
    if broken.id
    in {"raises", "exits", "base-exception", "instance", "function", "object", "async"}
    | {"loss-as-activation", "layer-as-loss", "upper-case-name", "none-name", "builtin-name"}
    | {"misspelled-hook", "import-exit", "import-base-exception", "import-syntax-error"}
]


def test_all_lists_the_built_ins_as_plugin_layerkit(layerkit):
    run = layerkit("plugins", "--all")
    assert run.code == 0, run.err
    header, builtin, losses, optimizers, *_ = run.out.splitlines()
    assert header.split() == ["plugin", "distribution", "version", "provides"]
    assert builtin.split() == ["layerkit", "layerkit", lk.__version__, "activations:", "sigmoid"]
    column = header.index("provides")
    assert losses[:column].strip() == "" and losses[column:] == "losses: l2"
    assert optimizers[column:].startswith("optimizers: sgd")
    assert "layerkit " not in "\n".join(layerkit("plugins").out.splitlines()[1:]) + " "


def test_json_lists_runtime_and_installed_plugins(layerkit, runtime_plugin):
    runtime_plugin("cubes", cube=Cube)
    report = json.loads(layerkit("plugins", "--json").out)
    by_name = {entry["name"]: entry for entry in report["plugins"]}
    assert "layerkit" not in by_name
    assert by_name["cubes"] == {
        "name": "cubes",
        "distribution": None,
        "version": None,
        "activations": ["cube"],
        "losses": [],
        "optimizers": [],
        "initializers": [],
        "metrics": [],
    }
    everything = json.loads(layerkit("plugins", "--all", "--json").out)["plugins"]
    activations = {name for entry in everything for name in entry["activations"]}
    losses = {name for entry in everything for name in entry["losses"]}
    assert {"sigmoid", "cube"} <= activations and "l2" in losses
    installed = set(lk.activations()) | set(lk.losses())
    assert (FIRST_PARTY_ACTIVATIONS | FIRST_PARTY_LOSSES) & installed <= activations | losses
    assert report["failed"] == []


def test_text_table_shows_a_runtime_plugin(layerkit, runtime_plugin):
    runtime_plugin("cubes", cube=Cube)
    row = next(line for line in layerkit("plugins").out.splitlines() if line.startswith("cubes"))
    assert "(registered at run time)" in row and "cube" in row


def broken_install(monkeypatch, *also: types.SimpleNamespace) -> None:
    """Install one distribution whose plugin module does not exist, and ``also`` these."""
    broken = distribution("layerkit-broken", "0.3", broken="no_such_module_anywhere")
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(LOAD_ENV, raising=False)
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [broken, *also])


def distribution(name: str, version: str, **entry_points: str) -> types.SimpleNamespace:
    """A stand-in for an installed distribution with entry points in the group layerkit."""
    return types.SimpleNamespace(
        metadata={"name": name},
        version=version,
        entry_points=[
            importlib.metadata.EntryPoint(name=entry_point, value=module, group="layerkit")
            for entry_point, module in entry_points.items()
        ],
    )


def test_failed_plugins_are_listed_with_their_reason(layerkit, monkeypatch):
    broken_install(monkeypatch)
    with pytest.warns(PluginWarning):
        run = layerkit("plugins", "--json")
    failed = json.loads(run.out)["failed"]
    assert [entry["name"] for entry in failed] == ["broken"]
    assert "layerkit-broken 0.3" in failed[0]["reason"]
    assert "ModuleNotFoundError" in failed[0]["reason"]
    text = layerkit("plugins").out
    assert "set aside (failed to load or to register):" in text and "broken:" in text
    assert text.startswith("no plugin loaded;")  # not "no plugins installed": one is


def test_check_passes_for_every_registered_component(layerkit):
    run = layerkit("check")
    assert run.code == 0, run.out
    lines = run.out.splitlines()
    components = {line.split("  ")[0] for line in lines[1:-1]}
    expected = {f"activation {name!r}" for name in lk.activations()}
    expected |= {f"loss {name!r}" for name in lk.losses()}
    expected |= {f"optimizer {name!r}" for name in lk.optimizers()}
    assert components == expected
    assert all(" pass " in line for line in lines[1:-1])
    assert lines[-1].endswith(f"{len(expected)} passed, 0 failed")


def test_check_fails_a_broken_component_and_exits_non_zero(layerkit, runtime_plugin):
    runtime_plugin("mixed", cube=Cube, wrong=WrongGradient)
    run = layerkit("check", "cube", "wrong", "sigmoid")
    assert run.code == 1
    rows = {line.split()[1]: line.split()[2] for line in run.out.splitlines()[1:4]}
    assert rows == {"'cube'": "pass", "'wrong'": "FAIL", "'sigmoid'": "pass"}
    assert "activation 'wrong', gradient:" in run.out
    assert run.out.splitlines()[-1] == "3 components: 2 passed, 1 failed"
    report = json.loads(layerkit("check", "wrong", "--json").out)
    [component] = report["components"]
    assert component["passed"] is False
    assert "gradient" in {failure["check"] for failure in component["failures"]}


def test_check_of_an_unknown_name_is_an_error(layerkit):
    assert_one_line_error(layerkit("check", "nope"), "'nope'", "sigmoid")


# ------------------------------------------------------------------------ broken plugins
@pytest.mark.guarantee("plugins")
def test_a_plugin_that_fails_is_one_line_on_stderr(monkeypatch, capsys):
    """The command reports each set-aside plugin once, as one line, not a Python warning."""

    @lk.hookimpl
    def register_activations(register):
        raise RuntimeError("boom\non two lines")

    exploding = types.ModuleType("fake_exploding")
    exploding.register_activations = register_activations
    monkeypatch.setitem(sys.modules, "fake_exploding", exploding)
    broken_install(
        monkeypatch, distribution("layerkit-exploding", "1.0", exploding="fake_exploding")
    )
    with pytest.raises(SystemExit) as exited:
        main(["check", "sigmoid"])
    assert exited.value.code == 1  # check fails while a plugin is set aside
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert all(line.startswith("layerkit: warning: plugin '") for line in lines)
    assert all(line.endswith("; run 'layerkit plugins' for details") for line in lines)
    assert "'broken' from distribution layerkit-broken 0.3 failed to load" in lines[0]
    assert "'exploding' from distribution layerkit-exploding 1.0 raised RuntimeError: " in lines[1]
    assert "boom on two lines in register_activations" in lines[1]
    assert "PluginWarning" not in "".join(lines) and "warn(" not in "".join(lines)


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
@pytest.mark.parametrize("broken", SOME_BROKEN, ids=[broken.id for broken in SOME_BROKEN])
def test_every_command_works_beside_a_broken_plugin(broken, layerkit, monkeypatch, tmp_path):
    """plugins, check and train run and report the set-aside plugin; nothing else changes."""
    before = layerkit("train", "--epochs", "1")
    reset_plugin_manager()
    broken.install(monkeypatch, tmp_path, keep_installed=True)

    run = layerkit("plugins", "--json")
    assert run.code == 0
    [failed] = json.loads(run.out)["failed"]
    assert failed["name"] == "bad" and broken.why in failed["reason"]
    run = layerkit("plugins")
    assert run.code == 0 and "\n  bad: plugin 'bad' from distribution layerkit-bad 0.1" in run.out
    if lk.plugin_manager().get_plugin("bad") is not None:
        row = next(line for line in run.out.splitlines() if line.startswith("bad "))
        assert row.split()[1:3] == ["layerkit-bad", "0.1"]

    run = layerkit("check")
    assert run.code == 1
    assert any(
        line.startswith("activation 'relu'") and " pass " in line for line in run.out.splitlines()
    )
    assert "plugin set aside, bad: plugin 'bad'" in run.out

    after = layerkit("train", "--epochs", "1")
    assert after.code == before.code
    loss = [line for line in before.out.splitlines() if line.startswith("loss")]
    assert loss == [line for line in after.out.splitlines() if line.startswith("loss")]


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_check_of_an_unknown_name_mentions_set_aside_plugins(layerkit, monkeypatch):
    broken_install(monkeypatch)
    assert_one_line_error(layerkit("check", "cube"), "'cube'", "set aside", "'broken'")


@pytest.mark.guarantee("plugins")
@pytest.mark.filterwarnings("ignore::layerkit.registry.PluginWarning")
def test_check_of_a_name_two_plugins_register_names_both(layerkit, runtime_plugin):
    runtime_plugin("first", cube=Cube)
    runtime_plugin("second", cube=Cube)
    line = assert_one_line_error(layerkit("check", "cube"), "'cube'", "'first'", "'second'")
    assert "uninstall one" in line
    report = json.loads(layerkit("check", "--json").out)
    assert {entry["name"] for entry in report["set_aside"]} == {"first", "second"}
