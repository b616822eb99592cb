"""Write an exercise into a folder, and load the learner's file back to grade it."""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path
from types import ModuleType

from ..errors import ExerciseFileError

__all__ = ["LEVELS", "load", "start"]

LEVELS = ("functions", "layers")
"""The exercise levels: seven functions of the derivation, or whole layers."""

FILE_NAME = "exercise.py"


def start(directory: str | Path, level: str = "functions", *, force: bool = False) -> list[Path]:
    """Write ``exercise.py`` and ``README.md`` for ``level`` into ``directory``; return them.

    The folder is created if needed. An existing file is refused unless ``force``.
    """
    if level not in LEVELS:
        raise ExerciseFileError(f"exercise level must be one of {', '.join(LEVELS)}, got {level!r}")
    folder = Path(directory)
    targets = [folder / FILE_NAME, folder / "README.md"]
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise ExerciseFileError(
            f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            f"pass --force to overwrite (your work in it would be lost)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    templates = resources.files(__package__) / "templates"
    code = (templates / f"{level}.py").read_text(encoding="utf-8")
    readme = (templates / f"README_{level}.md").read_text(encoding="utf-8")
    targets[0].write_text(code, encoding="utf-8")
    targets[1].write_text(readme.format(directory=folder), encoding="utf-8")
    return targets


def load(directory: str | Path) -> ModuleType:
    """Import ``directory/exercise.py`` afresh; a file that does not import is one-line error."""
    path = Path(directory) / FILE_NAME
    if not path.is_file():
        raise ExerciseFileError(
            f"{path} not found; write it with 'layerkit exercise start {directory}'"
        )
    name = "layerkit_exercise_under_check"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None  # a .py path always has a loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop(name, None)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise ExerciseFileError(
            f"{path}, line {error.lineno}: {error.msg}; fix it and check again"
        ) from None
    except Exception as error:
        raise ExerciseFileError(
            f"{path} could not be imported: {type(error).__name__}: {error}"
        ) from None
    return module


def level_of(module: ModuleType) -> str:
    """The level a loaded exercise file is at: its ``LEVEL``, else guessed from its names."""
    level = getattr(module, "LEVEL", None)
    if level in LEVELS:
        return level
    return "layers" if hasattr(module, "Dense") or hasattr(module, "Tanh") else "functions"
