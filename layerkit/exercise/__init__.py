"""Backpropagation as an exercise: layerkit writes the file, you the formulas, layerkit grades.

Level ``functions`` asks for the seven formulas of the derivation (`function_grader`);
level ``layers`` for a ``Tanh`` and a ``Dense`` layer (`layer_grader`). ``layerkit exercise``
is the command line of this package.
"""

from __future__ import annotations

from pathlib import Path

from .function_grader import FUNCTIONS, grade_function
from .grade import Grade
from .half_adder import train_half_adder
from .layer_grader import CLASSES, grade_class
from .workspace import LEVELS, level_of, load, start

__all__ = ["LEVELS", "Grade", "check", "names", "start", "train_half_adder"]


def names(level: str) -> list[str]:
    """The functions (level ``functions``) or classes (level ``layers``) a level asks for."""
    return list(FUNCTIONS) if level == "functions" else list(CLASSES)


def check(directory: str | Path, only: str | None = None) -> tuple[str, list[Grade]]:
    """Load ``directory/exercise.py`` and grade it; return its level and one grade per name.

    ``only`` grades one function or class. Raises `ExerciseFileError` for a file that is
    missing or does not import, and `ValueError` (an `ExerciseFileError`) for an unknown
    ``only``.
    """
    from ..errors import ExerciseFileError

    module = load(directory)
    level = level_of(module)
    wanted = names(level)
    if only is not None:
        if only not in wanted:
            raise ExerciseFileError(
                f"level {level!r} has no {only!r}; choose one of {', '.join(wanted)}"
            )
        wanted = [only]
    grade = grade_function if level == "functions" else grade_class
    return level, [grade(name, getattr(module, name, None)) for name in wanted]
