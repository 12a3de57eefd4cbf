"""Secrets typed by the user: a key typed at `%ygpt auth`, or on its line, or at its folder prompt
(or in YC_FOLDER_ID), is kept out of everything.

A key typed as an argument is refused unechoed and taken out of IPython's history (a short word
only from that cell), no magic declares a flag that would put a secret in the notebook, and a key
that an HTTP header cannot carry is refused naming where it came from, never its value. The
canary scans of every output, file and log are in test_secrets.py.
"""

from __future__ import annotations

import re

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error, run
from conftest import TEST_FOLDER, completions, typed_at_prompts
from kernels import Kernel
from test_secrets import API_KEY, FOLDER, IAM_TOKEN, PLAIN_KEY, leaks, use_auth, use_env

from ygpt_magic import commands

pytestmark = [*LOST_EXCEPTIONS]


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


#: a key of the published API-key shape (AQVN and 35 more), with the canary's fragments
SHAPED_KEY = "AQVN0f3a9d2c7b41e8LEAKCHECKabcdefghijkl"
#: a folder id is typed where a credential goes, a credential where the folder id goes
AT_THE_FOLDER_PROMPT = {"the key pasted twice": [SHAPED_KEY, SHAPED_KEY],
                        "the answers swapped": [FOLDER, SHAPED_KEY],
                        "a key run on past its shape": [PLAIN_KEY, API_KEY],
                        "an IAM token": [PLAIN_KEY, IAM_TOKEN],
                        "a key of no Yandex shape pasted twice": [PLAIN_KEY, PLAIN_KEY]}


@pytest.mark.parametrize("typed", sorted(AT_THE_FOLDER_PROMPT))
def test_a_key_at_the_folder_prompt_is_refused_unshown_and_changes_nothing(shell, magics, ygpt_server,
                                                                         monkeypatch, typed):
    """It was echoed as typed, then shown in full in the confirmation and by whoami, and sent as
    the folder of every model URI (gpt://AQVN…/yandexgpt/latest)."""
    from ygpt_magic.errors import FolderIsCredential

    before = run(shell, "%ygpt whoami").plain
    prompts = typed_at_prompts(monkeypatch, *AT_THE_FOLDER_PROMPT[typed])
    refused = run(shell, "%ygpt auth")
    assert len(prompts) == 2 and "hidden" in prompts[1], "the folder prompt shows what is typed"
    message = assert_clear_error(refused, "The folder id entered at %ygpt auth looks like ",
                                 "not a folder id", "nothing was changed", "Run %ygpt auth again",
                                 error_type=FolderIsCredential)
    assert not leaks(refused.shown + message) and "AQVN" not in message and "t1." not in message
    assert run(shell, "%ygpt whoami").plain == before
    assert run(shell, "%%ygpt\nHello").ok
    assert completions(ygpt_server)[-1].model_uri.startswith(f"gpt://{TEST_FOLDER}/")


@pytest.mark.parametrize(("source", "named", "fix"), [
    ("YC_FOLDER_ID", "YC_FOLDER_ID", "set YC_FOLDER_ID to the folder's id"),
    ("yc CLI config", "The yc CLI's folder-id", "run yc config set folder-id FOLDER_ID")])
def test_a_key_as_the_environments_folder_is_never_shown_or_sent(shell, magics, ygpt_server, monkeypatch,
                                                                 tmp_path, source, named, fix):
    from ygpt_magic.errors import FolderIsCredential

    if source == "YC_FOLDER_ID":
        monkeypatch.setenv("YC_FOLDER_ID", SHAPED_KEY)
    else:   # `yc config get folder-id` answers with the key
        monkeypatch.delenv("YC_FOLDER_ID")
        (tmp_path / "yc").write_text(f"#!/bin/sh\necho {SHAPED_KEY}\n")
        (tmp_path / "yc").chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    whoami = run(shell, "%ygpt whoami")
    assert (f"none used: {source} holds what looks like a Yandex Cloud API key, not a folder id"
            in whoami.plain)
    sent = len(ygpt_server.requests)
    refused = run(shell, "%%ygpt\nHello")
    assert_clear_error(refused, f"{named} holds what looks like a Yandex Cloud API key", "nothing was sent",
                       fix, error_type=FolderIsCredential)
    assert len(ygpt_server.requests) == sent, "a request went out with the key as its folder"
    shown = whoami.shown + refused.shown + run(shell, "%ygpt config").shown
    assert not leaks(shown) and "AQVN0f3a" not in shown


@pytest.mark.slow
def test_the_folder_prompt_hides_what_is_typed_in_a_real_kernel(ygpt_server):
    """What JupyterLab keeps of a prompt's answer in the notebook: the text typed, unless the
    kernel asked for a password (then dots)."""
    with Kernel(ygpt_server.address) as kernel:
        parent, asked = kernel.answering("%ygpt auth", [SHAPED_KEY, SHAPED_KEY])
        shown = kernel.shown(parent)
        assert [request["password"] for request in asked] == [True, True], asked
        assert "looks like a Yandex Cloud API key" in shown and "Traceback" not in shown
        assert not leaks(shown + kernel.shown(kernel.run("%ygpt whoami")))


def test_a_key_as_the_folder_of_a_model_uri_is_refused_before_it_is_sent(shell, magics, ygpt_server):
    """The model URI carries the folder (gpt://<folder>/yandexgpt/latest): a key pasted there
    went out in the request, and back in the footer, the usage table and whoami's config; an
    embedding model's URI (%ygpt embed --model emb://…) sent it after chat models' were refused."""
    sent, says = len(ygpt_server.requests), "model holds what looks like a Yandex Cloud API key"
    shell.user_ns["texts"] = ["a", "b"]
    for source in (f"%%ygpt --model gpt://{SHAPED_KEY}/yandexgpt/latest\nHello",
                   f"%ygpt config --model gpt://{SHAPED_KEY}/yandexgpt/latest",
                   f"%ygpt embed texts --model emb://{SHAPED_KEY}/text-search-doc/latest",
                   f"%%ygpt --labels good,bad --model cls://{SHAPED_KEY}/abc\nI love it"):
        refused = run(shell, source)
        message = assert_clear_error(refused, says, "gpt://<folder_id>/yandexgpt/latest")
        assert not leaks(refused.shown + message), source
    ignored = run(shell, f"%config YGptMagics.model = 'gpt://{SHAPED_KEY}/yandexgpt/latest'")
    assert says in ignored.shown and "Ignored: YGptMagics.model stays 'yandexgpt'" in ignored.shown
    assert not leaks(ignored.shown)
    assert len(ygpt_server.requests) == sent
    assert magics.kernel.session.chat().options.model is None and magics.model == "yandexgpt"
