"""layerkit-optimizers: more optimizers for layerkit, registered as a plugin.

Installing this package makes these names available to `layerkit.optimizer`, each following
``torch.optim``'s documented update equations, option names and defaults:

=========== ========== ===============================================================
name        class      options
=========== ========== ===============================================================
``adam``    `Adam`     ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                       amsgrad=False``
``adamw``   `AdamW`    ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                       amsgrad=False``
``rmsprop`` `RMSprop`  ``lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                       centered=False``
``adagrad`` `Adagrad`  ``lr=1e-2, lr_decay=0, weight_decay=0,
                       initial_accumulator_value=0, eps=1e-10``
=========== ========== ===============================================================

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

from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop

__all__ = ["Adagrad", "Adam", "AdamW", "RMSprop"]


@layerkit.hookimpl
def register_optimizers(register: Register) -> None:
    """Register adam, adamw, rmsprop and adagrad."""
    register("adam", Adam)
    register("adamw", AdamW)
    register("rmsprop", RMSprop)
    register("adagrad", Adagrad)
