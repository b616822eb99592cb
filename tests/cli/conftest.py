"""Fixtures for the command-line tests: a runner, a fresh plugin manager, runtime plugins."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

import layerkit as lk
from layerkit.cli.commands import cli
from layerkit.registry import reset_plugin_manager

from .cli_support import plugin


@pytest.fixture(autouse=True)
def fresh_plugins() -> Iterator[None]:
    """Each test sees the installed plugins freshly loaded, and leaves no runtime plugin."""
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@dataclass
class Run:
    """The outcome of one ``layerkit`` command run through click's test runner."""

    result: Result

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def out(self) -> str:
        return self.result.stdout

    @property
    def err(self) -> str:
        return self.result.stderr


@pytest.fixture
def layerkit(tmp_path, monkeypatch) -> Callable[..., Run]:
    """Run ``layerkit ARGS...`` in ``tmp_path`` through the real click entry point."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> Run:
        result = runner.invoke(cli, list(args), prog_name="layerkit")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a bug: show its traceback in the test report
        return Run(result)

    return run


@pytest.fixture
def runtime_plugin() -> Iterator[Callable[..., types.ModuleType]]:
    """Register plugins at run time; every one is unregistered at the end of the test."""
    names: list[str] = []

    def register(name: str, **activations: type) -> types.ModuleType:
        module = plugin(name, **activations)
        lk.plugin_manager().register(module, name=name)
        names.append(name)
        return module

    yield register
    for name in names:
        if lk.plugin_manager().get_plugin(name) is not None:
            lk.plugin_manager().unregister(name=name)
