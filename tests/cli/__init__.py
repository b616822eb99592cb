"""Tests of the ``layerkit`` command line."""
