"""MkDocs hook: the command-line reference, generated from the click commands while the site builds.

``docs/cli.md`` holds the marker ``<!-- cli-reference -->``; this hook replaces it with each
command's usage and a table of its options, with the default each ``--help`` shows, and the
marker ``<!-- train-defaults -->`` with the table of what ``layerkit train`` chooses for each
data set (from ``layerkit.cli.train_defaults``).

Why not mkdocs-click: with click 8.2 and later an option without a default has click's
``UNSET`` sentinel as its default, which mkdocs-click 0.9 printed as ``Sentinel.UNSET``; and it
printed ``N/A`` for an option without help. Here the defaults come from click's own
``Option.get_help_extra``, the source of ``--help``'s ``[default: …]``.
"""

from __future__ import annotations

import inspect
import re
from types import SimpleNamespace
from typing import Any

import click

from layerkit.cli.commands import cli
from layerkit.cli.data import BUILTIN
from layerkit.cli.options import _Spec
from layerkit.cli.train_defaults import MOMENTUM, Defaults, choose

MARKER = "<!-- cli-reference -->"
DEFAULTS_MARKER = "<!-- train-defaults -->"
PROGRAM = "layerkit"

# One (loss, output activation) pair for each way a loss's gradient reaches the last layer,
# in the order of the table's columns; `choose` picks the learning rate from it.
LEARNING_RATE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("sigmoid", "l2", "sigmoid"),  # l2 or huber through a sigmoid output
    ("softmax", "l2", "softmax"),  # l2 or huber through a softmax output
    ("cross-entropy", "cross_entropy", "softmax"),  # either cross-entropy, any output
    ("linear", "l2", "none"),  # l2 or huber through a linear output
    ("l1", "l1", "none"),
)
DATA_FILE = "a data file"
# "[default: 0.9]." or "(default: a column named y)." closing an option's help
_HELP_DEFAULT = re.compile(r"\s*[\[(]default: (.*?)[\])]\.?\s*$", re.S)


def _cell(text: str) -> str:
    """``text`` made safe for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "&#124;")


def _option_row(option: click.Option, ctx: click.Context) -> str:
    names = ", ".join(f"`{name}`" for name in option.opts)
    if option.secondary_opts:
        names += " / " + ", ".join(f"`{name}`" for name in option.secondary_opts)
    kind = "flag" if option.is_flag else option.make_metavar(ctx)
    description = inspect.cleandoc(option.help or "")
    default = option.get_help_extra(ctx).get("default")
    said = _HELP_DEFAULT.search(description)
    if said:  # the help says how the default is chosen: "[default: 0.9]"
        description = description[: said.start()].rstrip() + "."
        default = default or said.group(1)
    if default is None:
        default = "off" if option.is_flag else ("required" if option.required else "none")
    else:
        default = f"`{default}`" if not said else default
    return f"| {names} | {_cell(kind)} | {_cell(description)} | {_cell(default)} |"


def command_markdown(command: click.Command, ctx: click.Context, level: int) -> list[str]:
    """The heading, description, usage and options table of ``command``."""
    lines = [f"{'#' * level} {ctx.command_path}", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help), ""]
    pieces = " ".join(command.collect_usage_pieces(ctx))
    lines += ["```text", f"Usage: {ctx.command_path} {pieces}", "```", ""]
    options = [p for p in command.get_params(ctx) if isinstance(p, click.Option) and not p.hidden]
    if options:
        lines += ["| option | takes | description | default |", "| --- | --- | --- | --- |"]
        lines += [_option_row(option, ctx) for option in options]
        lines.append("")
    return lines


def reference_markdown(level: int = 3) -> str:
    """Every command of ``layerkit``, the group first."""
    root = click.Context(cli, info_name=PROGRAM, **cli.context_settings)  # show_default
    lines = command_markdown(cli, root, level)
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        assert command is not None
        lines += command_markdown(
            command, click.Context(command, info_name=name, parent=root), level
        )
    return "\n".join(lines)


def train_defaults() -> dict[str, dict[str, Defaults]]:
    """What ``layerkit train`` chooses for each data set, by column of the defaults table."""
    table = {}
    for data in (*BUILTIN, DATA_FILE):
        dataset: Any = SimpleNamespace(name=data)  # `choose` reads only the name
        table[data] = {
            column: choose(dataset, data != DATA_FILE, loss, _Spec(output, {}))
            for column, loss, output in LEARNING_RATE_COLUMNS
        }
    return table


def train_defaults_markdown() -> str:
    """Two tables: the learning rate, and the epochs, batch size and hidden width, by data set."""
    columns = [column for column, _, _ in LEARNING_RATE_COLUMNS]
    rates = ["| data set | " + " | ".join(columns) + " |", "| --- " * (len(columns) + 1) + "|"]
    sizes = ["| data | epochs | batch size | hidden units |", "| --- | --- | --- | --- |"]
    for data, chosen in train_defaults().items():
        first = next(iter(chosen.values()))
        name = data if data == DATA_FILE else f"`{data}`"
        rates.append(f"| {name} | " + " | ".join(f"{chosen[c].lr:g}" for c in columns) + " |")
        sizes.append(f"| {name} | {first.epochs} | {first.batch_size} | {first.hidden} |")
    explained = (
        "The learning rate η depends on how the loss's gradient reaches the last layer: "
        "*sigmoid*, *softmax* and *linear* are `l2` or `huber` through that output activation, "
        "*cross-entropy* is `cross_entropy` or `binary_cross_entropy`, and *l1* is `l1`. "
        f"The momentum is {MOMENTUM:g} for every data set."
    )
    return "\n".join(["Learning rate η:", "", *rates, "", explained, "", *sizes])


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Replace the markers on the command-line page."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, reference_markdown())
    if DEFAULTS_MARKER in markdown:
        markdown = markdown.replace(DEFAULTS_MARKER, train_defaults_markdown())
    return markdown
