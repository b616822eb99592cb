"""layerkit-optimizers: more optimizers for layerkit, registered as a plugin.

Installing this package makes these names available to `layerkit.optimizer`:

=========== ========= ===========================================================
name        class     options (PyTorch's names and defaults)
=========== ========= ===========================================================
``adam``    `Adam`    ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                      amsgrad=False``
=========== ========= ===========================================================

layerkit finds this module through the entry point in ``pyproject.toml``:

```toml
[project.entry-points.layerkit]
optimizers = "layerkit_optimizers"
```

and calls the ``@layerkit.hookimpl`` function below, which registers each class by name.
"""

from __future__ import annotations

import layerkit
from layerkit.hookspecs import Register

from .adam import Adam

__all__ = ["Adam"]


@layerkit.hookimpl
def register_optimizers(register: Register) -> None:
    """Register adam."""
    register("adam", Adam)
