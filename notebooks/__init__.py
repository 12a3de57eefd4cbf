"""Not code: this file makes pytest import notebooks/conftest.py as ``notebooks.conftest``.

Without it, one pytest run over ``tests`` and ``notebooks`` would load two modules named
``conftest``, and the tests' ``from conftest import ...`` would get the wrong one.
"""
