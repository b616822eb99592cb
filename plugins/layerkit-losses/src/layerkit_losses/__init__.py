"""layerkit-losses: more losses for layerkit, registered as a plugin.

Installing this package makes these names available to `layerkit.loss`:

======================== ====================== ===========================================
name                     class                  options
======================== ====================== ===========================================
``cross_entropy``        `CrossEntropy`         ``from_logits=False``, ``reduction="mean"``
``binary_cross_entropy`` `BinaryCrossEntropy`   ``from_logits=False``, ``reduction="mean"``
``l1``                   `L1Loss`               ``reduction="mean"``
``huber``                `HuberLoss`            ``delta=1.0``, ``reduction="mean"``
======================== ====================== ===========================================

layerkit finds this module through the entry point in ``pyproject.toml``:

```toml
[project.entry-points.layerkit]
losses = "layerkit_losses"
```

and calls the ``@layerkit.hookimpl`` function below, which registers each class by name.
"""

from __future__ import annotations

import layerkit
from layerkit.hookspecs import Register

from .binary_cross_entropy import BinaryCrossEntropy
from .cross_entropy import CrossEntropy
from .huber import HuberLoss
from .l1 import L1Loss

__all__ = ["BinaryCrossEntropy", "CrossEntropy", "HuberLoss", "L1Loss"]


@layerkit.hookimpl
def register_losses(register: Register) -> None:
    """Register cross_entropy, binary_cross_entropy, l1 and huber."""
    register("cross_entropy", CrossEntropy)
    register("binary_cross_entropy", BinaryCrossEntropy)
    register("l1", L1Loss)
    register("huber", HuberLoss)
