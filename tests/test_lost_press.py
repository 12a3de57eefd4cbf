"""A Ctrl-C that lands where Python drops the KeyboardInterrupt still stops a run over rows.

Python raises a press where it lands; in a weakref callback or a finalizer, which the garbage
collector runs in the middle of any line, the KeyboardInterrupt is printed as "Exception ignored
in: <function WeakSet.__init__.<locals>._remove …>" and dropped. A `--map` over 200,000 rows whose
one press landed there (in a make test run) went on planning and sending to the end: 7 minutes
of requests after the user pressed Ctrl-C.
"""

from __future__ import annotations

import signal
import weakref

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions


class _Gone:
    pass


class PressedInACallback:
    """A row's value whose text (its repr), as the row is planned, lets a weakref callback run
    that the press lands in, as the garbage collector's do."""

    def __repr__(self) -> str:
        gone = _Gone()
        ref = weakref.ref(gone, lambda _: signal.raise_signal(signal.SIGINT))
        del gone
        assert ref() is None
        return "a review"


#: fresh_names: the row that presses Ctrl-C whenever its repr is taken must not outlive the test in
#: the shared shell: test_secrets takes the repr of every name there, and each press it then made was
#: lost in a callback and failed its four stories ("lost in a finalizer (10): KeyboardInterrupt"),
#: on whichever worker ran this module before it (CI, and one fresh make test here)
@pytest.mark.usefixtures("fresh_names")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped press, printed
def test_a_press_python_drops_in_a_callback_still_stops_the_rows_being_planned(shell, ygpt_server):
    shell.user_ns.update(data=["first review", PressedInACallback(), *[f"review {i}" for i in range(50)]],
                         res="kept")
    run = cell(shell, "%%ygpt --map data --out res\nSay {item}")
    assert_clear_error(run, "Stopped before any row was sent", "being planned", "Nothing was sent")
    assert shell.user_ns["res"] == "kept"
    assert not completions(ygpt_server)
