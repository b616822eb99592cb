"""``python -m layerkit [COMMAND]``: the ``layerkit`` command; with no command, its help."""

from .cli import main

if __name__ == "__main__":
    main()
