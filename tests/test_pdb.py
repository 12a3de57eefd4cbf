"""With ``%pdb on``, an error of ours is one paragraph and never opens the debugger: there is
nothing of the user's to debug inside the magic. IPython skips the debugger for UsageError itself;
the replay-mode cache error (a UsageError subclass, shown as an error so that nbval fails the
cell) is shown through IPython's custom exception handler, which never debugs."""

from __future__ import annotations

import pytest
from conftest import cell
from IPython.core.error import UsageError


@pytest.fixture
def debugged(shell, monkeypatch):
    """``%pdb on``; the list of the times IPython would have opened ipdb (a real one would wait
    at its prompt for the rest of the test run)."""
    opened: list[bool] = []
    monkeypatch.setattr(shell, "debugger", lambda force=False: opened.append(force))
    shell.run_line_magic("pdb", "on")
    yield opened
    shell.run_line_magic("pdb", "off")


def test_a_replay_cache_miss_under_pdb_on_shows_its_line_and_opens_no_debugger(shell, tmp_path, debugged):
    assert cell(shell, f"%ygpt cache {tmp_path / 'replies.sqlite'}").ok
    assert cell(shell, "%ygpt cache --mode replay").ok
    missed = cell(shell, "%%ygpt --once\nnever asked before")
    assert missed.error is not None and "replay mode" in missed.message
    assert "CacheMiss: No recorded reply" in missed.shown and "Traceback" not in missed.shown, missed.shown
    assert debugged == [], "the debugger was opened"


def test_other_errors_of_ours_under_pdb_on_open_no_debugger(shell, debugged):
    refused = cell(shell, "%ygpt load /nonexistent.json")
    assert isinstance(refused.error, UsageError)
    assert debugged == []


def test_a_users_own_error_is_still_debugged(shell, debugged):
    """The handler is for our line only: ``%pdb on`` still debugs the user's code."""
    assert not cell(shell, "1 / 0").ok
    assert debugged == [True]


def test_unloading_puts_back_the_handler_it_found(ipython, shell):
    assert ipython.custom_exceptions != ()
    ipython.extension_manager.unload_extension("ygpt_magic")
    assert ipython.custom_exceptions == ()
    ipython.extension_manager.load_extension("ygpt_magic")


class _TheirError(Exception):
    """Another extension's exception, shown by its own handler."""


def test_unloading_leaves_a_handler_set_since_by_another_extension(ipython, shell):
    """Another extension loaded after ours sets its handler, calling ours for what is not its
    own; unloading ours puts back nothing (that dropped theirs without a word), and leaves only
    their exceptions to it."""
    ours, handled = ipython.CustomTB, []

    def theirs(shell, etype, value, tb, tb_offset=None):
        if isinstance(value, _TheirError):
            handled.append(str(value))
            return []
        return ours(etype, value, tb, tb_offset=tb_offset)

    ipython.set_custom_exc((*ipython.custom_exceptions, _TheirError), theirs)
    installed, ipython.user_ns["TheirError"] = ipython.CustomTB, _TheirError
    try:
        ipython.extension_manager.unload_extension("ygpt_magic")
        assert ipython.CustomTB is installed
        assert ipython.custom_exceptions == (_TheirError,)
        shown = cell(ipython, "raise TheirError('handled')")
        assert handled == ["handled"] and "Traceback" not in shown.shown, shown.shown
    finally:
        ipython.set_custom_exc((), None)   # the shell is shared by later tests
        del ipython.user_ns["TheirError"]
        ipython.extension_manager.load_extension("ygpt_magic")
