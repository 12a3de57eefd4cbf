"""The modules the kernel has imported, asked for without importing anything new.

A value can be a DataFrame only once pandas is imported, so the code that tells values apart asks
for pandas (numpy, ...) only when it is in ``sys.modules``: a ``--map`` over a list never pays for
importing pandas. But ``sys.modules`` holds a module from the start of its import, and another
thread may still be importing it: the local server embedded by ``%ygpt connect local`` warms
pyarrow up on a thread (emulator/dataset_rows.py), which imports pandas, and a ``--map`` cell run
meanwhile read ``pandas.DataFrame`` from the half-made module: "partially initialized module
'pandas' has no attribute 'DataFrame'", as a traceback. Asking the import system instead waits for
that import to end, as an ``import`` statement does.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def imported(name: str) -> ModuleType | None:
    """The module ``name`` once whole, if the kernel has imported it (or is importing it); None
    when nothing has (or an entry of None blocks it), and then nothing is imported."""
    return importlib.import_module(name) if sys.modules.get(name) is not None else None
