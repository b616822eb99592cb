"""``layerkit exercise``: write backpropagation yourself, and have layerkit grade it."""

from __future__ import annotations

from pathlib import Path

import click

from .. import exercise as exercises
from ..errors import ExerciseFileError
from .error_handling import _Group

DIRECTORY = click.Path(file_okay=False, path_type=Path)


@click.group(cls=_Group)
def exercise() -> None:
    """Write the formulas of backpropagation yourself, and have layerkit grade them.

    `layerkit exercise start DIR` writes DIR/exercise.py, functions to fill in; `layerkit
    exercise check DIR` grades what you wrote, names the likely mistake of a wrong function,
    and when all pass trains the 2-3-2 network on the half adder with your functions.
    """


@exercise.command()
@click.argument("directory", type=DIRECTORY, metavar="DIR")
@click.option(
    "--level",
    type=click.Choice(exercises.LEVELS),
    default="functions",
    help="functions: the seven formulas of the derivation; layers: a whole Tanh and Dense.",
)
@click.option("--force", is_flag=True, help="Overwrite an exercise.py already in DIR.")
def start(directory: Path, level: str, force: bool) -> None:
    """Write DIR/exercise.py (functions to fill in) and DIR/README.md."""
    written = exercises.start(directory, level, force=force)
    click.echo(f"wrote {written[0]} and {written[1]}")
    click.echo(f"fill in each function, then run: layerkit exercise check {directory}")


@exercise.command()
@click.argument("directory", type=DIRECTORY, metavar="DIR")
@click.option("--only", metavar="NAME", help="Grade only this function (or class).")
@click.pass_context
def check(ctx: click.Context, directory: Path, only: str | None) -> None:
    """Grade DIR/exercise.py: one line per function, and the likely mistake of a wrong one.

    Exits 0 only when every function graded passes.
    """
    try:
        level, grades = exercises.check(directory, only)
    except ExerciseFileError as error:
        if only is not None and "has no" in str(error):
            raise click.BadParameter(str(error), param_hint="'--only'") from None
        raise
    for grade in grades:
        for line in grade.lines():
            click.echo(line)
    passed = sum(grade.passed for grade in grades)
    todo = sum(grade.status == "todo" for grade in grades)
    click.echo(f"{passed} of {len(grades)} pass" + (f", {todo} not done yet" if todo else ""))
    if passed < len(grades):
        ctx.exit(1)
    if level == "functions" and only is None:
        click.echo("all pass: training the 2-3-2 network on the half adder with your functions")
        module = exercises.load(directory)
        for epoch, loss in exercises.train_half_adder(module):
            click.echo(f"  epoch {epoch:>5}  loss {loss:.6f}")
