"""docs/reference/optimizers.md documents every first-party optimizer: formula, class, options."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from docs_support import reference_sections

import layerkit as lk
import layerkit_optimizers

PAGE = Path(__file__).parents[2] / "docs" / "reference" / "optimizers.md"
OPTIMIZERS = {
    "sgd": lk.SGD,
    "adam": layerkit_optimizers.Adam,
    "adamw": layerkit_optimizers.AdamW,
    "rmsprop": layerkit_optimizers.RMSprop,
    "adagrad": layerkit_optimizers.Adagrad,
}


@pytest.mark.parametrize(("name", "cls"), OPTIMIZERS.items(), ids=list(OPTIMIZERS))
def test_each_optimizer_has_a_section_with_its_equations_class_and_options(name, cls):
    section = reference_sections(PAGE).get(name)
    assert section is not None, f"no section ## `{name}`"
    assert section.count("$$") >= 2, f"the {name} section shows no formula"
    assert f"::: {cls.__module__.split('.')[0]}.{cls.__name__}" in section
    options = [option for option in inspect.signature(cls).parameters if option != "self"]
    unnamed = [option for option in options if f"`{option}`" not in section]
    assert not unnamed, f"the {name} section does not name its options {unnamed}"


def test_the_table_lists_every_registered_name_with_its_defaults():
    text = PAGE.read_text(encoding="utf-8")
    for name, cls in OPTIMIZERS.items():
        row = re.search(rf"^\| `{name}` \|.*$", text, re.M)
        assert row is not None, f"no table row for {name}"
        for option, parameter in inspect.signature(cls).parameters.items():
            shown = f"`{option}`" if parameter.default is inspect.Parameter.empty else option
            assert shown in row.group(0), f"{name}'s row lacks {option}"


def test_the_schedules_and_the_kit_are_documented():
    text = PAGE.read_text(encoding="utf-8")
    for entry in ("layerkit.StepLR", "layerkit.ExponentialLR", "layerkit.CosineAnnealingLR",
                  "layerkit.optimizer_checks", "layerkit.Optimizer"):  # fmt: skip
        assert f"::: {entry}\n" in text
