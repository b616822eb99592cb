"""layerkit's pytest plugin: conformance tests for every registered component.

pytest loads this module through the ``pytest11`` entry point. One line in a plugin
author's test module runs the whole kit, one test per component and check:

```python
from layerkit.pytest_plugin import test_conformance  # noqa: F401
```

Select with ``-k``, e.g. ``pytest -k "tanh"``.
"""

from __future__ import annotations

import pytest

from .testing import Check, registered_checks


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the ``layerkit_check`` fixture with every registered component's checks."""
    if "layerkit_check" in metafunc.fixturenames:
        checks = list(registered_checks())
        metafunc.parametrize("layerkit_check", checks, ids=[check.id for check in checks])


def test_conformance(layerkit_check: Check) -> None:
    """Run one conformance check of one registered activation, loss or optimizer."""
    if layerkit_check.skip_reason is not None:
        pytest.skip(layerkit_check.skip_reason)
    layerkit_check()
