"""``layerkit plugins``: the installed plugins and the components each provides."""

from __future__ import annotations

import json
from typing import Any

import click

from ..registry import (
    BUILTIN,
    _distributions,
    activations,
    failed_plugins,
    initializers,
    losses,
    metrics,
    optimizers,
    plugin_manager,
)
from . import render
from .error_handling import _one_line

KINDS = {
    "activations": activations,
    "losses": losses,
    "optimizers": optimizers,
    "initializers": initializers,
    "metrics": metrics,
}
"""The kinds of component a plugin can provide, as listed (columns and JSON keys)."""


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include layerkit's built-in components.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(show_all: bool, as_json: bool) -> None:
    """List the installed plugins, their versions and the components each provides.

    Plugins that were set aside (they failed to load, their hook raised or registered
    something invalid, or they register a name another plugin has) are listed at the end
    with the reason.
    """
    from .. import __version__ as version

    found: dict[str, dict[str, Any]] = {}
    for name, _ in plugin_manager().list_name_plugin():
        if name is not None:
            distribution, plugin_version = _distributions.get(name, (None, None))
            found[name] = {
                "name": name,
                "distribution": "layerkit" if name == BUILTIN else distribution,
                "version": version if name == BUILTIN else plugin_version,
                **{kind: [] for kind in KINDS},
            }
    for kind, listing in KINDS.items():
        for component in listing().values():
            entry = found.setdefault(
                component.plugin, {"name": component.plugin, **{kind: [] for kind in KINDS}}
            )
            entry[kind].append(component.name)
            if component.plugin != BUILTIN:
                entry["distribution"] = component.distribution
                entry["version"] = component.version
    listed = [entry for name, entry in found.items() if show_all or name != BUILTIN]
    listed.sort(key=lambda entry: (entry["name"] != BUILTIN, entry["name"]))
    failed = failed_plugins()
    if as_json:
        report = {
            "plugins": listed,
            "failed": [{"name": name, "reason": reason} for name, reason in sorted(failed.items())],
        }
        click.echo(json.dumps(report, indent=2))
        return
    if listed:
        # one line per kind a plugin provides, so the table stays narrow however many kinds
        rows = [["plugin", "distribution", "version", "provides"]]
        for entry in listed:
            provided = [
                f"{kind}: {', '.join(sorted(entry[kind]))}" for kind in KINDS if entry[kind]
            ] or ["-"]
            rows.append(
                [
                    entry["name"],
                    entry.get("distribution") or "(registered at run time)",
                    entry.get("version") or "-",
                    provided[0],
                ]
            )
            rows.extend(["", "", "", more] for more in provided[1:])
        click.echo(render.table(rows))
    else:
        nothing = "no plugin loaded" if failed else "no plugins installed"
        click.echo(f"{nothing}; `layerkit plugins --all` also lists the built-ins")
    if failed:
        click.echo("\nset aside (failed to load or to register):")
        for name, reason in sorted(failed.items()):
            click.echo(f"  {_one_line(name)}: {_one_line(reason)}")
