"""Bad input, table-driven: every mistake a user can type gets one clear paragraph and changes
nothing.

Each row is a cell (or line magic) a user might run. The shell first holds chats worth
protecting (a system message, turns, options, two chats); after the bad cell they must be exactly
as before (``session.to_dict()``), and no completion may have reached the server. Rows whose
source mentions ``TMP`` run against files written into the test's temporary directory, so the
hostile chat files (huge, deeply nested, wrong types, not UTF-8) are real files on disk.

Two kinds of input look odd but are valid, and the rule for them is tested at the end: braces
that hold no Python expression and control characters are sent exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clean, assert_clear_error, run
from conftest import completions
from IPython.core.error import UsageError

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS]

MB = 1024 * 1024


def chat_file(**changes) -> bytes:
    """A valid version-1 chat file, with some fields replaced by hostile values."""
    chat = {"name": "default", "system": None, "options": {"model": "yandexgpt"}, "turns": []}
    chat.update(changes.pop("chat", {}))
    data = {"version": 1, "current": "default", "chats": [chat], **changes}
    return json.dumps(data).encode()


def a_turn(**reply_changes) -> dict:
    reply = {"text": "Hi", "status": "FINAL", "model": "yandexgpt", "model_version": "23.10.2024",
             "elapsed": 0.5, "usage": {"input_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    reply.update(reply_changes)
    return {"prompt": "Hello", "cell_id": "c1", "reply": reply}


@dataclass(frozen=True)
class Bad:
    """One row: what the user runs, the words the message must hold, files it needs."""

    name: str
    source: str
    keywords: tuple[str, ...]
    files: dict[str, Callable[[], bytes]] = field(default_factory=dict)
    error: type = errors.YGptError


LONG = "word " * 40_000  # 40k tokens by the server's tokenizer: over any model's context

BAD_INPUT = [
    Bad("unknown flag", "%%ygpt --bogus\nHi", ("unrecognized arguments: --bogus", "%%ygpt?"), error=errors.OptionError),
    Bad("flag without value", "%%ygpt --temperature\nHi", ("--temperature", "expected one argument"),
        error=errors.OptionError),
    Bad("temperature out of range", "%%ygpt -t 1.5\nHi", ("from 0 to 1", "1.5"), error=errors.OptionError),
    Bad("temperature not a number", "%%ygpt -t warm\nHi", ("from 0 to 1", "warm"), error=errors.OptionError),
    Bad("temperature NaN", "%%ygpt -t nan\nHi", ("from 0 to 1", "nan"), error=errors.OptionError),
    Bad("negative max tokens", "%%ygpt --max-tokens -5\nHi", ("--max-tokens", "≥ 1", "-5"), error=errors.OptionError),
    Bad("fractional max tokens", "%%ygpt --max-tokens 2.5\nHi", ("--max-tokens", "whole number"),
        error=errors.OptionError),
    Bad("infinite max tokens", "%%ygpt --max-tokens inf\nHi", ("--max-tokens", "finite", "inf"),
        error=errors.OptionError),
    Bad("max tokens beyond any context", "%%ygpt --max-tokens 99999999999999999999\nHi",
        ("--max-tokens", "at most 262144", "1e+20"), error=errors.OptionError),
    Bad("max tokens filling the model's context", "%%ygpt --max-tokens 40000\nHi",
        ("max_tokens is 40000", "yandexgpt's context holds 32,768", "smaller --max-tokens"), error=errors.OptionError),
    Bad("unknown format", "%%ygpt --format xml\nHi", ("--format", "xml", "markdown"), error=errors.OptionError),
    Bad("--out not a variable name", "%%ygpt --out 1st\nHi", ("variable name", "1st"), error=errors.OptionError),
    Bad("two modes at once", "%%ygpt --deferred --no-stream\nHi", ("--deferred", "--no-stream"),
        error=errors.OptionError),
    Bad("--once with --append", "%%ygpt --once --append\nHi", ("--append", "--once"), error=errors.OptionError),
    Bad("--once with an unknown --chat", "%%ygpt --once --chat nosuch\nHi", ("no chat named 'nosuch'",),
        error=errors.UnknownChat),
    Bad("empty chat name", '%%ygpt --chat ""\nHi', ("chat name", "one line of text of 1 to 200 characters"),
        error=errors.OptionError),
    Bad("empty model name", '%%ygpt --model ""\nHi', ("model", "yandexgpt-lite"), error=errors.OptionError),
    # IPython itself refuses a cell magic with no body, with a plain UsageError.
    Bad("empty cell", "%%ygpt\n", ("cell body is empty", "%ygpt"), error=UsageError),
    Bad("whitespace-only cell", "%%ygpt\n   \n\t \n", ("empty",), error=errors.OptionError),
    Bad("unknown {name}", "%%ygpt\nTranslate {nosuchvariable} into French", ("nosuchvariable", "--no-interpolate"),
        error=errors.InterpolationError),
    Bad("{expression} that raises", "%%ygpt\nShow {1 / 0}", ("{1 / 0}", "ZeroDivisionError", "--no-interpolate"),
        error=errors.InterpolationError),
    Bad("huge cell over the context budget", "%%ygpt\n" + LONG, ("needs 40,0", "budget", "shorten"),
        error=errors.ContextTooLong),
    # Written out: IPython no longer runs its var_expand (quadratic on a 200 kB line) on the
    # magic's line, and a {variable} there would be ours, bounded like a value in the cell.
    Bad("very long system message", f'%%ygpt --system "{LONG}"\nHi', ("budget", "system message"),
        error=errors.ContextTooLong),
    # Through a variable: a surrogate in the cell's own source crashes IPython's history thread.
    Bad("lone surrogate (not encodable)", "%%ygpt\nSummarise: {pasted}", ("cannot be sent", "remove"),
        error=errors.OptionError),
    # A cell's line cannot carry one (IPython's history refuses it, and IPython no longer fills
    # in a {variable}); a chat file can.
    Bad("chat name with a lone surrogate", "%ygpt load TMP/surrogate_name.json",
        ("unpaired surrogate",), {"surrogate_name.json": lambda: chat_file(chat={"name": "notes\ud800"})}),
    Bad("unknown subcommand", "%ygpt frobnicate", ("no subcommand 'frobnicate'", "%ygpt help"),
        error=errors.OptionError),
    Bad("reset an unknown chat", "%ygpt reset --chat nosuch", ("no chat named 'nosuch'", "existing chats"),
        error=errors.UnknownChat),
    Bad("reset --chat with --all", "%ygpt reset --chat default --all", ("--chat", "--all"), error=errors.OptionError),
    Bad("history of an unknown chat", "%ygpt history --chat nosuch", ("no chat named 'nosuch'",),
        error=errors.UnknownChat),
    Bad("connect to a malformed address", "%ygpt connect not-an-address", ("HOST:PORT",), error=errors.OptionError),
    Bad("connect to a port out of range", "%ygpt connect 127.0.0.1:99999", ("127.0.0.1:99999", "HOST:PORT"),
        error=errors.OptionError),
    Bad("load without a path", "%ygpt load", ("required", "path"), error=errors.OptionError),
    Bad("load a missing file", "%ygpt load TMP/missing.json", ("missing.json", "no such file", "unchanged"),
        error=errors.ChatFileError),
    Bad("load a directory", "%ygpt load TMP", ("is a folder, not a regular file", "unchanged"),
        error=errors.ChatFileError),
    Bad("load malformed JSON", "%ygpt load TMP/bad.json", ("not valid JSON", "unchanged"),
        {"bad.json": lambda: b'{"version": 1, "chats": ['}, error=errors.ChatFileError),
    Bad("load a newer version", "%ygpt load TMP/v5.json",
        ("written by a newer ygpt_magic", "version is 5", "versions 1, 2, 3 and 4", "upgrade ygpt_magic"),
        {"v5.json": lambda: chat_file(version=5)}, error=errors.ChatFileError),
    Bad("load a wrong version", "%ygpt load TMP/v0.json", ("version is 0", "versions 1, 2, 3 and 4"),
        {"v0.json": lambda: chat_file(version=0)}, error=errors.ChatFileError),
    Bad("load version true", "%ygpt load TMP/vt.json", ("version is True",),
        {"vt.json": lambda: chat_file(version=True)}, error=errors.ChatFileError),
    Bad("load a huge file", "%ygpt load TMP/huge.json", ("20 MB limit",),
        {"huge.json": lambda: b'{"version": 1, "pad": "' + b"x" * (21 * MB) + b'"}'}, error=errors.ChatFileError),
    Bad("load a deeply nested file", "%ygpt load TMP/deep.json", ("nested too deeply",),
        {"deep.json": lambda: b"[" * 200_000 + b"]" * 200_000}, error=errors.ChatFileError),
    Bad("load binary garbage", "%ygpt load TMP/garbage.json", ("not UTF-8",),
        {"garbage.json": lambda: bytes(range(256)) * 4}, error=errors.ChatFileError),
    Bad("load a list instead of an object", "%ygpt load TMP/list.json", ("should be an object",),
        {"list.json": lambda: b"[1, 2, 3]"}, error=errors.ChatFileError),
    Bad("load turns of the wrong type", "%ygpt load TMP/turns.json", ("turns should be a list",),
        {"turns.json": lambda: chat_file(chat={"turns": "many"})}, error=errors.ChatFileError),
    Bad("load a reply with a text elapsed", "%ygpt load TMP/elapsed.json", ("elapsed",),
        {"elapsed.json": lambda: chat_file(chat={"turns": [a_turn(elapsed="fast")]})}, error=errors.ChatFileError),
    Bad("load negative token counts", "%ygpt load TMP/usage.json", ("negative",),
        {"usage.json": lambda: chat_file(chat={"turns": [a_turn(usage={"input_tokens": -1})]})},
        error=errors.ChatFileError),
    Bad("load a hostile option value", "%ygpt load TMP/options.json", ("temperature",),
        {"options.json": lambda: chat_file(chat={"options": {"model": "yandexgpt", "temperature": 7}})},
        error=errors.ChatFileError),
    Bad("load an unknown field", "%ygpt load TMP/extra.json", ("unknown field", "__class__"),
        {"extra.json": lambda: chat_file(chat={"__class__": "os.system"})}, error=errors.ChatFileError),
    Bad("load a lone surrogate", "%ygpt load TMP/surrogate.json", ("chats[0].turns[0].prompt", "unpaired surrogate"),
        {"surrogate.json": lambda: chat_file(chat={"turns": [{**a_turn(), "prompt": "Hi \ud800"}]})},
        error=errors.ChatFileError),
    Bad("load too many chats", "%ygpt load TMP/many.json", ("1 to 1000 chats",),
        {"many.json": lambda: json.dumps({"version": 1, "current": "c0", "chats": [
            {"name": f"c{i}", "system": None, "options": {"model": "yandexgpt"}, "turns": []}
            for i in range(1001)]}).encode()}, error=errors.ChatFileError),
    Bad("save onto a directory", "%ygpt save TMP", ("is a folder, not a regular file", "unchanged"),
        error=errors.ChatFileError),
    Bad("export an unknown chat", "%ygpt export TMP/x.md --chat nosuch", ("no chat named 'nosuch'",),
        error=errors.UnknownChat),
]


@pytest.fixture
def protected(shell, magics):
    """Chats worth protecting: a system message, turns, options, and a second chat."""
    assert run(shell, '%%ygpt --system "You are a travel guide."\nHello!', cell_id="p1").ok
    assert run(shell, "%%ygpt\nWhere is Kazan?", cell_id="p2").ok
    assert run(shell, "%%ygpt --chat notes\nRemember: milk.", cell_id="p3").ok
    magics.kernel.session.configure(temperature=0.4, max_tokens=300)
    shell.user_ns.update(pasted="broken \ud800 paste")
    return magics.kernel.session.to_dict()


@pytest.mark.parametrize("bad", BAD_INPUT, ids=[b.name for b in BAD_INPUT])
@pytest.mark.slow
def test_bad_input_gives_a_clear_message_and_changes_nothing(shell, magics, ygpt_server, protected, tmp_path, bad):
    for name, content in bad.files.items():
        (tmp_path / name).write_bytes(content())
    sent_before = len(completions(ygpt_server))

    result = run(shell, bad.source.replace("TMP", str(tmp_path)))

    assert_clear_error(result, *bad.keywords, error_type=bad.error)
    assert magics.kernel.session.to_dict() == protected, "the bad input changed the chats"
    assert len(completions(ygpt_server)) == sent_before, "the bad input reached the server"
    assert run(shell, "%%ygpt\nAnd now?", cell_id="after").ok  # nothing is left broken


def test_at_least_twenty_cases():
    assert len(BAD_INPUT) >= 20


def test_bad_setting_is_refused_and_not_kept(shell, magics):
    """`%config YGptMagics.temperature = 3` must leave the setting as it was and say why."""
    try:
        result = run(shell, "%config YGptMagics.temperature = 3")
        assert "from 0 to 1" in result.shown + "".join(result.warnings)
        assert magics.temperature is None
        assert run(shell, "%%ygpt\nHi").ok
    finally:
        shell.config.YGptMagics.pop("temperature", None)  # the shell outlives this test


@pytest.mark.parametrize(("name", "value", "words"), [
    ("timeout", "float('nan')", "above 0 to 86,400 (a day), not nan"),
    ("render_interval", "float('inf')", "from 0 to 86,400 (a day), not inf"),
    ("connect_timeout", "-float('inf')", "above 0 to 86,400 (a day), not -inf"),
    ("max_tokens", "10**20", "at most 262144"),
    # 0 stopped every request at once (blamed on the server or the network), and a huge number
    # overflowed gRPC's deadline or time.sleep (called a bug of ours)
    ("timeout", "0", "above 0 to 86,400 (a day), not 0"),
    ("connect_timeout", "0", "above 0"),
    ("poll_interval", "0", "above 0"),
    ("timeout", "1e10", "not 10000000000.0"),
    ("stream_timeout", "1e10", "from 0 to 86,400"),
])
def test_a_setting_that_is_not_a_finite_number_is_refused(shell, magics, ygpt_server, name, value, words):
    """NaN passed the ≥ 0 check and then stopped every request at once, blaming the server."""
    before = getattr(magics, name)
    try:
        result = run(shell, f"%config YGptMagics.{name} = {value}")
        assert f"YGptMagics.{name}" in result.stderr and words in result.stderr
        assert_clean(result)
        assert getattr(magics, name) == before
        assert run(shell, "%%ygpt\nHi").ok
    finally:
        shell.config.YGptMagics.pop(name, None)


def _magics_instances(shell) -> list:
    return [c for c in shell.configurables if type(c).__name__ == "YGptMagics"]


def test_a_refused_setting_does_not_break_reloading_the_extension(shell, magics):
    """IPython merges a %config line into the shell's config too; the refused value must not
    stay there, or every later %reload_ext would fail with a traceback."""
    try:
        run(shell, "%config YGptMagics.temperature = 3")
        reloaded = run(shell, "%reload_ext ygpt_magic")
        assert reloaded.ok, reloaded.shown[-500:]
        assert_clean(reloaded)
        assert shell.magics_manager.registry["YGptMagics"].temperature is None
        assert "temperature" not in shell.config.YGptMagics
        assert len(_magics_instances(shell)) == 1  # no half-built instance left behind
    finally:
        shell.config.YGptMagics.pop("temperature", None)


def test_a_bad_value_in_the_shell_config_is_ignored_with_one_line_at_load(shell):
    """As in a kernel (where the shell merges %config after YGptMagics refused it) or with a
    bad line in ipython_config.py: loading says what was ignored and works."""
    try:
        shell.config.YGptMagics.temperature = 3
        shell.config.YGptMagics.max_tokens = 200
        reloaded = run(shell, "%reload_ext ygpt_magic")
        assert reloaded.ok, reloaded.shown[-500:]
        assert reloaded.stderr.strip() == ("YGptMagics.temperature must be from 0 to 1 (or None), "
                                           "not 3.0. Ignored: YGptMagics.temperature stays None.")
        live = shell.magics_manager.registry["YGptMagics"]
        assert (live.temperature, live.max_tokens) == (None, 200)  # the valid value is kept
        assert len(_magics_instances(shell)) == 1
        assert run(shell, "%reload_ext ygpt_magic").stderr == ""  # said once, then gone
    finally:
        shell.config.YGptMagics.pop("temperature", None)


# -- valid input that looks odd: the rules ------------------------------------------------------

def test_braces_that_hold_no_expression_are_sent_as_written(shell, ygpt_server):
    source = 'f(x) = { x + 1 and a lone } and {"json": 1} and {{ x'
    assert run(shell, f"%%ygpt\n{source}").ok
    assert completions(ygpt_server)[-1].messages[-1]["text"] == source.replace("{{", "{")


def test_control_characters_are_sent_as_written(shell, magics, ygpt_server):
    text = "tab\there, bell\x07, NUL\x00, escape\x1b[31m red, DEL\x7f"
    result = run(shell, f"%%ygpt\n{text}")
    assert result.ok, result.shown
    assert_clean(result)
    assert completions(ygpt_server)[-1].messages[-1]["text"] == text
    assert [turn.prompt for turn in magics.kernel.session.chat().turns] == [text]


def test_once_with_chat_borrows_options_not_history_or_system(shell, magics, ygpt_server):
    """The rule for `--once --chat X`: X's options apply; X's history and system message are
    not sent; X is not changed; an unknown X is an error (see the table)."""
    assert run(shell, '%%ygpt --chat tutor --system "You are a maths tutor."\nWhat is 1+1?').ok
    magics.kernel.session.configure("tutor", temperature=0.2, max_tokens=50)
    before = magics.kernel.session.to_dict()

    assert run(shell, "%%ygpt --once --chat tutor\nWhat is 2+2?").ok
    sent = completions(ygpt_server)[-1]
    assert sent.messages == [{"role": "user", "text": "What is 2+2?"}]
    assert sent.options["temperature"] == pytest.approx(0.2) and sent.options["max_tokens"] == 50

    assert run(shell, '%%ygpt --once --chat tutor --system "Be terse."\nWhat is 3+3?').ok
    assert [m["role"] for m in completions(ygpt_server)[-1].messages] == ["system", "user"]
    assert magics.kernel.session.to_dict() == before
