"""``layerkit check``: run the conformance kit on the registered activations, losses and
optimizers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from ..errors import PluginError, UnknownComponentError
from ..registry import _find, activations, failed_plugins, losses, optimizers
from ..testing import ConformanceError, registered_checks
from . import render
from .error_handling import _one_line


@click.command()
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def check(ctx: click.Context, names: tuple[str, ...], as_json: bool) -> None:
    """Run the conformance kit on every registered activation, loss and optimizer (or on NAMES).

    Exits with status 1 when any component fails a check, or when a plugin was set aside
    (it failed to load or to register; it is listed after the table).
    """
    registered = {
        **{f"activation {n!r}": n for n in activations()},
        **{f"loss {n!r}": n for n in losses()},
        **{f"optimizer {n!r}": n for n in optimizers()},
    }
    unknown = sorted(set(names) - set(registered.values()))
    for name in unknown:  # a name two plugins register: say so, naming both
        for kind in ("activation", "loss", "optimizer"):
            try:
                _find(kind, name)
            except PluginError:
                raise
            except UnknownComponentError:
                pass
    if unknown:
        set_aside = failed_plugins()
        hint = (
            f"; set aside because they are broken: {', '.join(map(repr, sorted(set_aside)))} "
            f"(see `layerkit plugins`)"
            if set_aside
            else ""
        )
        raise UnknownComponentError(
            f"no activation, loss or optimizer named {', '.join(map(repr, unknown))}; registered: "
            f"{', '.join(sorted(set(registered.values())))}{hint}"
        )
    results: dict[str, dict[str, Any]] = {}
    for item in registered_checks():
        if names and registered.get(item.component) not in names:
            continue
        result = results.setdefault(
            item.component,
            {"component": item.component, "checks": 0, "failures": [], "skipped": []},
        )
        if item.skip_reason is not None:  # it cannot run here: said, not counted as passed
            result["skipped"].append({"check": item.check, "reason": item.skip_reason})
            continue
        result["checks"] += 1
        failure = _run_check(item)
        if failure is not None:
            result["failures"].append({"check": item.check, "message": failure})
    failed = [r for r in results.values() if r["failures"]]
    set_aside = failed_plugins()
    if as_json:
        for result in results.values():
            result["passed"] = not result["failures"]
        report = {
            "components": list(results.values()),
            "set_aside": [{"name": n, "reason": r} for n, r in sorted(set_aside.items())],
        }
        click.echo(json.dumps(report, indent=2))
    else:
        rows = [["component", "result", "checks"]]
        for result in results.values():
            status = "FAIL" if result["failures"] else "pass"
            rows.append([result["component"], status, str(result["checks"])])
        click.echo(render.table(rows))
        for result in failed:
            for failure in result["failures"]:
                click.echo(f"  {result['component']}, {failure['check']}: {failure['message']}")
        click.echo(
            f"{len(results)} components: {len(results) - len(failed)} passed, {len(failed)} failed"
        )
        skipped: dict[str, set[str]] = {}
        for result in results.values():
            for each in result["skipped"]:
                skipped.setdefault(each["reason"], set()).add(each["check"])
        for reason, checks in sorted(skipped.items()):
            click.echo(f"skipped for every component, {', '.join(sorted(checks))}: {reason}")
        for name, reason in sorted(set_aside.items()):
            click.echo(f"plugin set aside, {_one_line(name)}: {_one_line(reason)}")
    if failed or set_aside:
        ctx.exit(1)


def _run_check(item: Callable[[], None]) -> str | None:
    """Run one check; return why it failed, or None. A crash is a failure too."""
    try:
        item()
    except ConformanceError as error:
        return _one_line(str(error))
    except Exception as error:  # a component that crashes fails its check
        return _one_line(f"{type(error).__name__}: {error}")
    return None
