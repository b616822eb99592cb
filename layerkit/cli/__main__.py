"""``python -m layerkit.cli``: the same as the ``layerkit`` command."""

from . import main

if __name__ == "__main__":
    main()
