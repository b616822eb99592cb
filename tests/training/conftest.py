"""The tests of fit's reports, callbacks, early stopping and checkpoints.

pytest puts a conftest's folder on ``sys.path``, which makes ``training_support`` importable
from every test module here, whichever runs first.
"""
