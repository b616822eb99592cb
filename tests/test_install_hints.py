"""A message that says what to install names something that installs on the user's path.

layerkit and its first-party plugins are not on the package index: a hint to ``pip install
layerkit-activations`` or ``"layerkit[plot]"`` fails there. Hints name the clone's folder for a
first-party plugin, packages that are on the index otherwise, and the running Python's pip.
"""

from __future__ import annotations

import sys

import pytest

import layerkit as lk
from layerkit.errors import ModelFileError, UnknownComponentError
from layerkit.install_hints import FIRST_PARTY_PLUGINS, first_party_provider
from layerkit.registry import AUTOLOAD_ENV, reset_plugin_manager

CLONE_INSTALL = f"{sys.executable} -m pip install -e plugins/layerkit-activations"


@pytest.fixture
def without_installed_plugins(monkeypatch):
    """Only the built-ins: as if the first-party plugin packages were not installed."""
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def test_the_table_of_first_party_names_is_what_the_plugins_register():
    """The hint's table cannot drift from the plugin packages the project installs."""
    for kind, registered in (("activation", lk.activations()), ("loss", lk.losses())):
        for name, component in registered.items():
            if component.distribution in FIRST_PARTY_PLUGINS:
                assert first_party_provider(kind, name) == component.distribution
        named = {n for provides in FIRST_PARTY_PLUGINS.values() for n in provides.get(kind, ())}
        assert named <= set(registered)


@pytest.mark.guarantee("errors")
def test_a_missing_first_party_activation_says_how_to_install_it_from_a_clone(
    without_installed_plugins,
):
    with pytest.raises(UnknownComponentError) as caught:
        lk.activation("tanh")
    message = str(caught.value)
    assert "first-party plugin layerkit-activations" in message
    assert CLONE_INSTALL in message and "not on the package index" in message


@pytest.mark.guarantee("files")
def test_a_model_needing_a_missing_first_party_plugin_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "tanh.npz"
    lk.Sequential(lk.Dense(2, 3, seed=0), lk.activation("tanh")).save(path)
    monkeypatch.setenv(AUTOLOAD_ENV, "1")
    reset_plugin_manager()
    try:
        with pytest.raises(ModelFileError) as caught:
            lk.load(path)
    finally:
        reset_plugin_manager()
    message = str(caught.value)
    assert CLONE_INSTALL in message
    assert "pip install layerkit-activations" not in message  # not on the index
