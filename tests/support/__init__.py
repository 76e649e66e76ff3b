"""Test infrastructure: real Docker engines and offline images for tests and benchmarks.

Import `engines` from here (``from support import engines`` inside pytest, where
tests/ is on sys.path; ``from tests.support import engines`` from a bench script
that put the repository root on sys.path). Nothing in this package imports pytest.
"""
