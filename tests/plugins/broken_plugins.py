"""Throwaway plugins for the registry tests: fake installs and a catalogue of broken plugins.

Nothing is installed: `install` replaces ``importlib.metadata.distributions`` with the real
distributions plus fakes whose entry points name plugin modules placed in ``sys.modules``
(or, for a plugin that must fail while it is imported, written to a temporary directory).

Test modules import it as ``plugins.broken_plugins``: ``tests/`` is on ``sys.path`` (through
``tests/conftest.py``), and ``tests/plugins`` has no ``__init__.py``, so it is a portion of the
namespace package ``plugins``, whichever directory a test module is in.
"""

from __future__ import annotations

import functools
import importlib.metadata
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import layerkit as lk
from layerkit.registry import AUTOLOAD_ENV, LOAD_ENV


class Cube(lk.Activation):
    """A tiny activation for the tests: y = x³."""

    def function(self, x):
        return x**3

    def derivative(self, x, y):
        return 3 * x**2


class Absolute(lk.Loss):
    """A tiny loss for the tests: Σ|y − t|."""

    def forward(self, y, t):
        self._sign = np.sign(np.asarray(y) - np.asarray(t)) * self._batch_scale(np.asarray(y))
        return float(np.sum(np.abs(np.asarray(y) - np.asarray(t)))) * self._batch_scale(y)

    def backward(self):
        return self._sign


class Bomb(BaseException):
    """A BaseException that is neither an Exception nor KeyboardInterrupt."""


class Unprintable(Exception):
    """An exception whose message itself raises."""

    def __str__(self) -> str:
        raise RuntimeError("no message for you")


def plugin_module(name: str, **hooks: Callable[..., Any]) -> types.ModuleType:
    """A module object holding ``hooks`` as ``@hookimpl`` functions, as a plugin package would."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, lk.hookimpl(function))
    return module


class FakeDistribution:
    """Stands in for an installed distribution with entry points in the ``layerkit`` group."""

    def __init__(self, name: str, entry_points: dict[str, str], version: str = "1.0") -> None:
        self.metadata = {"name": name}
        self.version = version
        self.entry_points = [
            importlib.metadata.EntryPoint(name=ep, value=module, group="layerkit")
            for ep, module in entry_points.items()
        ]


@functools.cache
def real_distributions() -> tuple[Any, ...]:
    """The distributions really installed (the first-party plugins among them), read once."""
    return tuple(importlib.metadata.distributions())


def install(
    monkeypatch: pytest.MonkeyPatch,
    *distributions: FakeDistribution,
    modules: dict[str, types.ModuleType] | None = None,
    keep_installed: bool = False,
) -> None:
    """Make ``distributions`` (and, with ``keep_installed``, the real ones) the installed set."""
    for name, module in (modules or {}).items():
        monkeypatch.setitem(sys.modules, name, module)
    installed = [*(real_distributions() if keep_installed else ()), *distributions]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: list(installed))
    monkeypatch.delenv(AUTOLOAD_ENV, raising=False)
    monkeypatch.delenv(LOAD_ENV, raising=False)


# ------------------------------------------------------------------ the broken plugins
@dataclass
class Broken:
    """One way a plugin can be broken, and a fragment of the reason layerkit gives."""

    id: str
    why: str
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    source: str | None = None
    """Python source of a plugin module that fails while it is imported."""
    whole: bool = True
    """Whether the plugin loses all its activations, ``cube`` included."""

    def install(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str = "bad", **keep: bool
    ) -> None:
        """Install this plugin as entry point ``name`` of distribution ``layerkit-<name>``."""
        module_name = f"fake_{name}_{self.id.replace('-', '_')}"
        distribution = FakeDistribution(f"layerkit-{name}", {name: module_name}, "0.1")
        if self.source is not None:
            (tmp_path / f"{module_name}.py").write_text(self.source)
            monkeypatch.syspath_prepend(str(tmp_path))
            install(monkeypatch, distribution, **keep)
        else:
            module = plugin_module(module_name, **self.hooks)
            install(monkeypatch, distribution, modules={module_name: module}, **keep)


def _registers(*registrations: tuple[Any, Any], then: BaseException | None = None):
    def register_activations(register):
        register("cube", Cube)
        for name, thing in registrations:
            register(name, thing)
        if then is not None:
            raise then

    return {"register_activations": register_activations}


def _returns(value_of: Callable[[], Any]):
    def register_activations(register):
        register("cube", Cube)
        return value_of()

    return {"register_activations": register_activations}


async def _async_hook(register):
    register("cube", Cube)


def _generator_hook(register):
    register("cube", Cube)
    yield


def _looks_up(register):
    register("cube", Cube)
    lk.activations()


def _wrong_kinds_of_loss(register):
    register("absolute", Absolute)
    register("cube", Cube)


def _exits(register):
    register("cube", Cube)
    sys.exit(3)


def _import_raising(statement: str) -> str:
    return f"import layerkit\n{statement}\n"


BROKEN = [
    Broken("raises", "RuntimeError: boom", _registers(then=RuntimeError("boom"))),
    Broken("exits", "SystemExit: 3", {"register_activations": _exits}),
    Broken("generator-exit", "GeneratorExit", _registers(then=GeneratorExit())),
    Broken("base-exception", "Bomb: lit", _registers(then=Bomb("lit"))),
    Broken("memory-error", "MemoryError", _registers(then=MemoryError())),
    Broken("unprintable", "could not be shown", _registers(then=Unprintable())),
    Broken("instance", "register the class itself", _registers(("cube_2", Cube()))),
    Broken("function", "not a subclass of layerkit.Layer", _registers(("f", lambda x: x))),
    Broken("int", "not a subclass of layerkit.Layer", _registers(("five", 5))),
    Broken("object", "not a subclass of layerkit.Layer", _registers(("thing", object))),
    Broken("loss-as-activation", "register it in register_losses", _registers(("a", Absolute))),
    Broken(
        "layer-as-loss",
        "register it in register_activations",
        {"register_losses": _wrong_kinds_of_loss, **_registers()},
        whole=False,  # only its losses are set aside; its activation cube is fine
    ),
    Broken("upper-case-name", "lower-case identifiers", _registers(("Cube2", Cube))),
    Broken("empty-name", "lower-case identifiers", _registers(("", Cube))),
    Broken("none-name", "name None", _registers((None, Cube))),
    Broken("int-name", "name 5", _registers((5, Cube))),
    Broken("list-name", "name ['tanh']", _registers((["tanh"], Cube))),
    Broken("newline-name", "lower-case identifiers", _registers(("cube\n", Cube))),
    Broken("twice", "'cube' twice", _registers(("cube", Cube))),
    Broken("returns", "returned [('cube'", _returns(lambda: [("cube", Cube)])),
    Broken("async", "returned <coroutine", {"register_activations": _async_hook}),
    Broken("generator", "returned <generator", {"register_activations": _generator_hook}),
    Broken("looks-up", "looked up activations", {"register_activations": _looks_up}),
    Broken(
        "misspelled-hook",
        "register_activation",
        {"register_activation": lambda register: register("cube", Cube)},
    ),
    Broken("import-error", "ImportError: no", source=_import_raising("raise ImportError('no')")),
    Broken("import-exit", "SystemExit: 4", source=_import_raising("import sys; sys.exit(4)")),
    Broken(
        "import-base-exception",
        "Custom: x",
        source=_import_raising("class Custom(BaseException): pass\nraise Custom('x')"),
    ),
    Broken("import-generator-exit", "GeneratorExit", source="raise GeneratorExit"),
    Broken("import-syntax-error", "SyntaxError", source="def broken(:\n"),
    Broken("no-hooks", "which has no @layerkit.hookimpl functions"),
    Broken(
        "builtin-name",
        "'sigmoid', a name built into layerkit",
        _registers(("sigmoid", Cube)),
        whole=False,
    ),
]
"""Every kind of broken plugin the registry must survive; each registers ``cube`` first."""
