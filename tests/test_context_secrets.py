"""No credential leaves in a prompt: a canary key in a variable, in a cell's source, in --system or
in a traceback is refused before anything is sent, naming the `{reference}` that carried it.

The canaries are the credentials in use (YC_API_KEY in the environment, or `%ygpt auth`), like
tests/test_secrets.py's; the assertion is on what the server received (nothing) and on what the
cell showed (never the secret).
"""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import TEST_KEY, cell, completions

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

CANARY = "AQVNcanaryCtx-5d0e8b3a71c2f9-LEAKCHECK-q7Rt"
IAM = "t1.canaryCtxIam.4c1f9e07ab3d52.LEAKCHECK.Wx2p"
FRAGMENTS = ("5d0e8b3a71c2f9", "4c1f9e07ab3d52", "LEAKCHECK")


@pytest.fixture
def canary(shell, clean_env):
    clean_env.setenv("YC_API_KEY", CANARY)
    return CANARY


def assert_refused(result, server, *keywords: str) -> None:
    assert_clear_error(result, "nothing was sent", *keywords, error_type=errors.CredentialInPrompt)
    assert not completions(server)
    for fragment in FRAGMENTS:
        assert fragment not in result.shown


def test_a_key_in_a_variable(shell, ygpt_server, canary):
    shell.user_ns["settings"] = {"endpoint": "cloud", "key": canary}
    result = cell(shell, "%%ygpt --once\nCheck my settings: {settings}")
    assert_refused(result, ygpt_server, "{settings}", "api key (from YC_API_KEY)")


def test_a_long_part_of_the_key_in_an_attribute(shell, ygpt_server, canary):
    class Config:
        token = "prefix-" + canary[6:20] + "-suffix"

    shell.user_ns["config"] = Config()
    result = cell(shell, "%%ygpt --once\n{config.token}")
    assert_refused(result, ygpt_server, "{config.token}")



def test_the_key_brought_in_by_an_expression(shell, ygpt_server, canary):
    shell.user_ns["profiles"] = [{"name": "prod", "key": canary}]
    result = cell(shell, "%%ygpt --once\nWhich key is this: {profiles[0]['key']}")
    assert_refused(result, ygpt_server, "{profiles[0]['key']}")

def test_the_key_in_the_cells_own_text_even_without_interpolation(shell, ygpt_server, canary):
    for flags in ("--once", "--once --no-interpolate", "--once --dry-run"):
        result = cell(shell, f"%%ygpt {flags}\nWhy is {canary} rejected?")
        assert_refused(result, ygpt_server, "the cell's text")


def test_the_key_in_system(shell, ygpt_server, canary):
    result = cell(shell, f'%%ygpt --once --system "Use the key {canary}"\nHi')
    assert_refused(result, ygpt_server, "--system")


def test_the_key_in_a_cells_source_and_output(shell, ygpt_server, canary):
    n = shell.execution_count
    cell(shell, f"key = {canary!r}\nkey")
    assert_refused(cell(shell, f"%%ygpt --once\n{{In[{n}]}}"), ygpt_server, f"{{In[{n}]}}")
    assert_refused(cell(shell, f"%%ygpt --once\n{{Out[{n}]}}"), ygpt_server, f"{{Out[{n}]}}")


def test_the_key_in_a_traceback_never_reaches_the_server_through_fix(shell, ygpt_server, canary):
    shell.user_ns["secret"] = canary
    n = shell.execution_count
    cell(shell, "raise ValueError('bad key ' + secret)")
    assert_refused(cell(shell, f"%%ygpt --once\n{{Err[{n}]}}"), ygpt_server, f"{{Err[{n}]}}")
    assert_refused(cell(shell, "%ygpt fix"), ygpt_server, f"{{Err[{n}]}}")


def test_a_key_given_with_auth_and_an_iam_token_in_the_environment(shell, magics, ygpt_server,
                                                                   clean_env):
    clean_env.setenv("YC_IAM_TOKEN", IAM)
    magics.kernel.connection.set_credentials(CANARY, "b1gfolder")
    shell.user_ns["a"], shell.user_ns["b"] = CANARY, IAM
    assert_refused(cell(shell, "%%ygpt --once\n{a}"), ygpt_server, "{a}", "%ygpt auth")
    assert_refused(cell(shell, "%%ygpt --once\n{b}"), ygpt_server, "{b}", "iam token (from YC_IAM_TOKEN)")


def test_text_near_the_key_is_not_refused(shell, ygpt_server):
    """Only a run of 12 characters of a secret counts: its 4-letter prefix alone is fine."""
    shell.user_ns["note"] = f"keys start with {TEST_KEY[:4]} and end with {TEST_KEY[-6:]}"
    assert cell(shell, "%%ygpt --once\n{note}").ok
    assert completions(ygpt_server)


def test_the_key_in_fix_instructions_or_in_the_fix_instruction(shell, magics, ygpt_server, canary):
    n = shell.execution_count
    cell(shell, "1 / 0")
    assert_refused(cell(shell, f"%ygpt fix {n} the key is {canary}"), ygpt_server,
                   "%ygpt fix's instructions")
    magics.fix_instruction = f"Fix it. Key: {canary}"
    assert_refused(cell(shell, "%ygpt fix"), ygpt_server, "YGptMagics.fix_instruction")


def test_fix_refused_for_a_key_in_the_failed_cell_says_which_cell_to_change(shell, ygpt_server, canary):
    """The advice spoke of a reference to leave out of 'the cell' (the %ygpt fix cell has none)."""
    n = shell.execution_count
    cell(shell, f"client = make_client(api_key={canary!r})")
    result = cell(shell, "%ygpt fix")
    assert_refused(result, ygpt_server, f"remove it from cell {n}", f"run cell {n} again, then %ygpt fix")
    assert "leave that reference out" not in result.message


#: someone else's API key (not the kernel's): only its published shape finds it
FOREIGN = "AQVN" + "k7Rz2pQw9XbT4mLs8VnC1dYh6GfJ3eKa0uI"


@pytest.mark.parametrize("where", ["table cell", "long string"])
def test_a_foreign_key_where_a_value_is_cut_is_not_sent_in_part(shell, ygpt_server, where):
    """A value cut to its first characters could end in a key's first 35 of 39 characters, which
    no published shape matches: the guard let most of someone's key go (context8 finding 1)."""
    pd = pytest.importorskip("pandas")
    line = "ERROR request failed " + "x" * 107 + " headers={'Authorization': 'Api-Key " + FOREIGN + "'}"
    shell.user_ns.update(logs=pd.DataFrame({"message": [line]}), whole="." * 7960 + " Api-Key " + FOREIGN)
    reference = "{logs}" if where == "table cell" else "{whole}"
    run = cell(shell, f"%%ygpt --once\nWhy did these requests fail? {reference}")
    sent = " ".join(m["text"] for r in completions(ygpt_server) for m in r.messages)
    assert FOREIGN[:12] not in sent and FOREIGN[:12] not in run.shown, sent[-300:]
    assert run.ok or "API key" in run.message, run.message
