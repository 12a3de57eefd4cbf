"""Secrets typed by the user: a key typed at `%ygpt auth`, or on its line, is kept out of everything.

A key typed as an argument is refused unechoed and taken out of IPython's history (a short word
only from that cell), no magic declares a flag that would put a secret in the notebook, and a key
that an HTTP header cannot carry is refused naming where it came from, never its value. The
canary scans of every output, file and log are in test_secrets.py.
"""

from __future__ import annotations

import re

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error, run
from test_secrets import PLAIN_KEY, leaks, use_auth, use_env

from ygpt_magic import commands

pytestmark = pytest.mark.filterwarnings(*LOST_EXCEPTIONS)


def test_a_word_typed_after_auth_is_taken_out_of_that_cell_only(shell, magics):
    """A short word (a typo, not a key) must not be cut out of the session's other cells."""
    assert run(shell, "total = 41 + 1").error is None
    earlier = len(shell.history_manager.input_hist_raw) - 1
    assert run(shell, "%ygpt auth o").error is not None
    history = shell.history_manager
    assert history.input_hist_raw[earlier] == "total = 41 + 1" == shell.user_ns[f"_i{earlier}"]
    rows = history.db.execute("SELECT source_raw FROM history WHERE session = ? AND line = ?",
                              (history.session_number, earlier)).fetchall()
    assert rows == [("total = 41 + 1",)]
    assert history.input_hist_raw[-1] == "%ygpt auth <removed by %ygpt auth>"


def test_a_key_typed_as_an_argument_is_refused_unechoed(shell, magics):
    before = magics.kernel.connection.describe()["credential"]
    refused = run(shell, f"%ygpt auth {PLAIN_KEY}")
    assert refused.error is not None and "takes no arguments" in refused.message
    assert not leaks(refused.shown + refused.message)
    assert magics.kernel.connection.describe()["credential"] == before
    assert "removed from IPython's history" in refused.message
    history = shell.history_manager
    number = len(history.input_hist_raw) - 1     # the refused cell's (others may hold canaries)
    stored = history.db.execute("SELECT source, source_raw FROM history WHERE session = ? AND line = ?",
                                (history.session_number, number)).fetchall()
    kept = [history.input_hist_raw[number], history.input_hist_parsed[number], *map(str, stored),
            history._i00, shell.user_ns[f"_i{number}"]]
    assert not leaks("\n".join(kept)), "the typed key stays in IPython's history"
    assert history.input_hist_raw[number] == "%ygpt auth <removed by %ygpt auth>"
    assert any("<removed by %ygpt auth>" in row[1] for row in stored), "the database's row is rewritten"

def _declared_options() -> list[tuple[str, list[str], str]]:
    """(magic, option strings, dest) for every argument of %%ygpt and each %ygpt subcommand."""
    from ygpt_magic.magics import YGptMagics

    parsers = {"%%ygpt": YGptMagics.ygpt.parser}
    parsers.update({f"%ygpt {name}": module.run.parser for name, module in commands.COMMANDS.items()})
    return [(magic, action.option_strings, action.dest)
            for magic, parser in parsers.items() for action in parser._actions]


def test_no_flag_takes_a_secret():
    """A secret on the command line would be saved in the notebook with the cell."""
    secretish = re.compile(r"key|secret|passw|auth|credential|iam|oauth|(?<!max[-_])token", re.I)
    declared = _declared_options()
    assert len(declared) > 20
    for magic, flags, dest in declared:
        assert not secretish.search(" ".join(flags) + " " + dest), f"{magic} takes {flags or dest}"



#: keys with what a header cannot carry: a pasted newline, a Cyrillic letter, a NUL
BAD_KEYS = {"newline": "AQVNbadkey0123456789\nabcdef", "cyrillic": "AQVNbadkey0123456789абвгд",
            "nul": "AQVNbadkey0123456789\x00abcdef"}


@pytest.mark.parametrize("kind", sorted(BAD_KEYS))
def test_a_key_a_header_cannot_carry_is_refused_at_auth_naming_no_value(shell, magics, monkeypatch, kind):
    from ygpt_magic.errors import CredentialMalformed

    result = use_auth(monkeypatch, shell, BAD_KEYS[kind])
    message = assert_clear_error(result, "the key entered at %ygpt auth", "%ygpt auth",
                                 error_type=CredentialMalformed)
    assert "badkey" not in result.shown and "0123456789" not in message
    assert magics.kernel.connection.client().credential.secret != BAD_KEYS[kind].strip()


@pytest.mark.parametrize("kind", ["newline", "cyrillic"])   # the environment holds no NUL
def test_a_key_a_header_cannot_carry_is_refused_at_first_use_naming_the_variable(shell, ygpt_server, monkeypatch, kind):
    from ygpt_magic.errors import CredentialMalformed

    use_env(monkeypatch, "YC_API_KEY", BAD_KEYS[kind])
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    sent = len(ygpt_server.requests)
    result = run(shell, "%%ygpt\nHello")
    assert_clear_error(result, "YC_API_KEY", error_type=CredentialMalformed)
    assert "badkey" not in result.shown and len(ygpt_server.requests) == sent
