"""What to install when something is missing, said as a command that works where the user is.

layerkit and its first-party plugins are installed from a clone of the repository; they are not
on the package index yet, so ``pip install "layerkit[plot]"`` would fail (or, once someone else
takes the name, install another project). A hint therefore names packages that exist on the
index (matplotlib, click, tqdm), or the clone's folder for a first-party plugin, and the pip of
the Python that is running layerkit, so that it installs into the right environment.
"""

from __future__ import annotations

import shlex
import sys

__all__ = ["FIRST_PARTY_PLUGINS", "distribution_hint", "first_party_provider", "pip_install"]

FIRST_PARTY_PLUGINS: dict[str, dict[str, tuple[str, ...]]] = {
    "layerkit-activations": {
        "activation": ("tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "softmax"),
    },
    "layerkit-losses": {"loss": ("cross_entropy", "binary_cross_entropy", "l1", "huber")},
    "layerkit-optimizers": {"optimizer": ("adam", "adamw", "rmsprop", "adagrad")},
}
"""The plugin packages in the repository's ``plugins/`` folder, with the names they register."""


def pip_install(*arguments: str) -> str:
    """``python -m pip install ...`` with the Python running now, ready to paste in a shell.

    Examples
    --------
    >>> pip_install("matplotlib").endswith("-m pip install matplotlib")
    True
    """
    return " ".join([shlex.quote(sys.executable), "-m", "pip", "install", *arguments])


def distribution_hint(distribution: str, version: str | None = None) -> str:
    """How to install ``distribution``: from the clone for a first-party plugin, else by name.

    Examples
    --------
    >>> "plugins/layerkit-losses" in distribution_hint("layerkit-losses")
    True
    >>> distribution_hint("layerkit-extras", "1.2").endswith("install layerkit-extras==1.2")
    True
    """
    if distribution in FIRST_PARTY_PLUGINS:
        return (
            f"from a clone of the layerkit repository: "
            f"{pip_install('-e', f'plugins/{distribution}')} (it is not on the package index yet)"
        )
    requirement = f"{distribution}=={version}" if version else distribution
    return pip_install(shlex.quote(requirement))


def first_party_provider(kind: str, name: str) -> str | None:
    """The first-party plugin package that registers the ``kind`` called ``name``, if one does.

    Examples
    --------
    >>> first_party_provider("activation", "tanh"), first_party_provider("loss", "tanh")
    ('layerkit-activations', None)
    """
    for distribution, provides in FIRST_PARTY_PLUGINS.items():
        if name in provides.get(kind, ()):
            return distribution
    return None
