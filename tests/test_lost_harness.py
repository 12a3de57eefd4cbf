"""The harness itself: an exception lost in a finalizer while a test runs fails the test, with a
line naming what raised, where and in which thread (cellrun.lost_fails, which the modules marked
with cellrun.LOST_EXCEPTIONS run every test in). A CI log shows a failure's first line only."""

from __future__ import annotations

import pytest
from cellrun import lost_fails


class _RaisesWhenCollected:
    def __del__(self) -> None:
        raise RuntimeError("Event loop is closed")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")   # pytest's own report of it
def test_an_exception_lost_in_a_finalizer_fails_the_test_naming_it():
    with pytest.raises(pytest.fail.Exception) as failed, lost_fails():
        _RaisesWhenCollected()
    line = str(failed.value)
    assert line.startswith("lost in a finalizer (1): RuntimeError: Event loop is closed at "), line
    assert "test_lost_harness.py" in line and "_RaisesWhenCollected.__del__" in line and "MainThread" in line


def test_an_object_collected_cleanly_fails_nothing():
    with lost_fails():
        object()
