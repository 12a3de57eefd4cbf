"""The short soak in `make test`: 200 cells with random faults in one shell (bench/soak.py).

The long one is `.venv/bin/python bench/soak.py --cells 1000` (README, reliability section).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from cellrun import LOST_EXCEPTIONS

pytestmark = [*LOST_EXCEPTIONS]

SOAK_PATH = Path(__file__).resolve().parent.parent / "bench" / "soak.py"


def _soak_module():
    spec = importlib.util.spec_from_file_location("ygpt_soak", SOAK_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_short_soak_keeps_every_chat_and_reports_every_fault(shell, ygpt_server):
    soak = _soak_module()

    result = soak.run_soak(shell, ygpt_server, cells=200, seed=7, time_limit=35)

    print("\n" + result.summary())
    assert not result.problems, "\n".join(result.problems[:10])
    assert result.cells >= 100, "the soak ran out of time before 100 cells"
    assert sum(result.faults.values()) >= 25 and len(result.faults) >= 8
    assert result.turns > 0 and set(result.modes) == {"stream", "--no-stream", "--once", "--deferred"}
    assert result.rss_end - result.rss_start < 50, f"RSS grew {result.rss_end - result.rss_start:.1f} MB"
