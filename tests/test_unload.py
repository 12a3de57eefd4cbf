"""`%unload_ext ygpt_magic` as a user runs it: the magics go with the extension."""

from __future__ import annotations

from conftest import cell


def test_unload_takes_the_magics_away_and_load_brings_them_back(shell, ygpt_server):
    """They stayed registered: a `%%ygpt` cell still asked the server after the unload."""
    assert cell(shell, "%unload_ext ygpt_magic").ok
    asked = cell(shell, "%%ygpt --once\nStill there?")
    assert asked.message == "Cell magic `%%ygpt` not found." and ygpt_server.requests == []
    assert cell(shell, "%ygpt whoami").message == "Line magic function `%ygpt` not found."
    assert cell(shell, "%load_ext ygpt_magic").ok
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure").ok
    assert cell(shell, "%%ygpt --once\nBack?").ok and len(ygpt_server.requests) == 1


def test_unload_leaves_a_magic_of_the_same_name_registered_since_by_someone_else(shell):
    shell.register_magic_function(lambda line: f"mine: {line}", magic_name="ygpt")
    try:
        assert cell(shell, "%unload_ext ygpt_magic").ok
        assert shell.run_line_magic("ygpt", "hello") == "mine: hello"
    finally:
        shell.magics_manager.magics["line"].pop("ygpt", None)   # the shell is shared by later tests
