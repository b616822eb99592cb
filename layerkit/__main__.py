"""``python -m layerkit [COMMAND]``: the ``layerkit`` command; with no command, ``train``."""

import sys

from .cli import main

if __name__ == "__main__":
    main(sys.argv[1:] or ["train"])
