"""Every %%ygpt flag: what the user sees and what the server receives."""

from __future__ import annotations

import json
import os
import time

import pytest
from conftest import cell, completions, scripted
from visible import published

from ygpt_magic.client.loop import SLOW_AFTER
from ygpt_magic.errors import InterpolationError, OptionError

FRENCH = "Être ou ne pas être : telle est la question."
HAMLET = "To be, or not to be: that is the question."
TRANSLATE = '--system "Translate the text into French"'
ADD = "Write a Python function that adds two numbers"
ADD_REPLY = "Here it is:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\nCall it as `add(2, 3)`."


def sent(server):
    return completions(server)[-1]


def test_chat_flag_keeps_separate_histories(shell, ygpt_server, magics):
    cell(shell, f"%%ygpt --chat fr {TRANSLATE}\n{HAMLET}")
    cell(shell, "%%ygpt -c other\nHello there")
    assert sent(ygpt_server).messages == [{"role": "user", "text": "Hello there"}]
    cell(shell, f"%%ygpt --chat fr\n{HAMLET}")
    assert [m["role"] for m in sent(ygpt_server).messages] == ["system", "user", "assistant", "user"]
    assert set(magics.kernel.session.chats) == {"default", "fr", "other"}


@pytest.mark.parametrize("flag, uri_end", [
    ("--model yandexgpt-lite", "/yandexgpt-lite/latest"),
    ("-m yandexgpt/rc", "/yandexgpt/rc"),
    ("-m gpt://b1gother/yandexgpt/latest", "gpt://b1gother/yandexgpt/latest"),
])
def test_model_flag(shell, ygpt_server, flag, uri_end):
    result = cell(shell, f"%%ygpt {flag}\nHello")
    assert result.error is None and sent(ygpt_server).model_uri.endswith(uri_end)


def test_generation_flags_reach_the_server(shell, ygpt_server):
    cell(shell, "%%ygpt -t 0.3 --max-tokens 50 --reasoning\nHello")
    options = sent(ygpt_server).options
    assert options["temperature"] == pytest.approx(0.3)
    assert (options["max_tokens"], options["reasoning"], options["json"]) == (50, True, False)
    assert "reasoning" in cell(shell, "%%ygpt --reasoning\nHello again").final


def test_a_comment_ends_the_first_line_as_in_python(shell, ygpt_server):
    result = cell(shell, f"%%ygpt --once -t 0.3 {TRANSLATE}   # French, and don't keep it\n{HAMLET}")
    assert result.ok, result.message
    request = sent(ygpt_server)
    assert request.options["temperature"] == pytest.approx(0.3)
    assert request.messages == [{"role": "system", "text": "Translate the text into French"},
                                {"role": "user", "text": HAMLET}]
    cell(shell, '%%ygpt --once --system "Number it #1"\nHi')
    assert sent(ygpt_server).messages[0] == {"role": "system", "text": "Number it #1"}


def test_json_flag_asks_for_a_json_object(shell, ygpt_server):
    result = cell(shell, "%%ygpt --json --format json\nGive me a city and a date")
    assert sent(ygpt_server).options["json"] is True
    assert any("application/json" in o["data"] for o in result.outputs)


def test_a_json_tree_has_its_footer_in_an_output_under_it(shell, ygpt_server):
    """JupyterLab draws the tree alone from the tree's bundle, so the footer is an output of
    its own (what the browser shows: test_browser.py)."""
    result = cell(shell, "%%ygpt --json --format json\nGive me a city and a date")
    *_, tree, footer = result.displays
    assert "application/json" in tree and "tokens" not in tree["text/plain"]
    assert "application/json" not in footer and "tokens" in result.final == footer["text/plain"]


@pytest.mark.parametrize("line, words", [
    ("-t 2", ["--temperature", "0 to 1"]),
    ("-t hot", ["--temperature", "'hot'"]),
    ("--max-tokens 0", ["--max-tokens", "≥ 1"]),
    ("--format html", ["--format", "must be one of", "markdown"]),
    ("--out 2x", ["--out", "variable name"]),
    ("--bogus", ["unrecognized arguments: --bogus", "%%ygpt?"]),
    ("--deferred --no-stream", ["--deferred", "--no-stream"]),
    ("--once --append", ["--append", "--once"]),
    ('--system "unclosed', ["%%ygpt"]),
    ("-m ''", ["model"]),
])
def test_bad_flags_are_refused_before_sending(shell, ygpt_server, line, words):
    result = cell(shell, f"%%ygpt {line}\nHello")
    assert isinstance(result.typed_error, OptionError)
    assert "Traceback" not in result.stderr and result.stderr.startswith("UsageError:")
    for word in words:
        assert word in result.message


@pytest.mark.parametrize("source, says", [
    ("%%ygpt --top-k 0 --docs notes.md\nWhy?",
     "argument --top-k: must be a whole number ≥ 1, e.g. --top-k 5 (got '0')"),
    ("%%ygpt --map t --concurrency x\n{item}",
     "argument --concurrency: must be a whole number ≥ 1, e.g. --concurrency 5 (got 'x')"),
    ("%%ygpt --schema 2x\nHi", "argument --schema: must be a Python variable name, e.g. --schema answer (got '2x')"),
    ('%ygpt similar "a" --in t --top 0', "argument --top: must be a whole number ≥ 1, e.g. --top 5 (got '0')"),
    ("%ygpt embed notes/", "argument NAME: must be a Python variable name, e.g. answer (got 'notes/')"),
    ("%ygpt batch attach abc --out 1x", "argument --out: must be a Python variable name, e.g. --out answer (got '1x')"),
])
def test_a_bad_value_is_explained_with_an_example_of_the_flag_it_was_given_to(shell, ygpt_server, source, says):
    shell.user_ns["t"] = ["a", "b"]
    result = cell(shell, source)
    assert isinstance(result.typed_error, OptionError) and says in result.message, result.message
    assert not ygpt_server.requests


@pytest.mark.parametrize("source, words", [
    ("%%ygpt --tempreature 0.5\nHello",
     "%%ygpt: unrecognized arguments: --tempreature 0.5; did you mean --temperature? Run %%ygpt? to see"),
    ("%%ygpt --max-tokns 9 --onse\nHello",
     "did you mean --max-tokens (for --max-tokns) and --once (for --onse)? Run %%ygpt?"),
    ("%ygpt reset --chta default",
     "%ygpt reset: unrecognized arguments: --chta default; did you mean --chat? %ygpt help"),
    ("%ygpt fix --dryrun keep the names", "unrecognized arguments: --dryrun; did you mean --dry-run? %ygpt help fix"),
])
def test_a_mistyped_flag_is_refused_with_the_closest_real_one(shell, ygpt_server, source, words):
    result = cell(shell, source)
    assert isinstance(result.typed_error, OptionError) and words in result.message, result.message
    assert not completions(ygpt_server)
    assert completions(ygpt_server) == []


def test_format_text_and_code(shell, ygpt_server):
    text = cell(shell, "%%ygpt --format text --once\nErors wont corrct themselfs")
    assert "text/html" not in text.outputs[-1]["data"]
    assert "Errors will not correct themselves." in text.plain


def test_format_code_puts_the_code_into_a_new_cell(shell, tmp_path):
    with scripted(shell, tmp_path, ADD, ADD_REPLY):
        code = cell(shell, f"%%ygpt --format code --once\n{ADD}")
    assert code.error is None
    assert shell.rl_next_input == "def add(a, b):\n    return a + b"  # the new cell below
    assert code.final.startswith("def add(a, b):") and "Here it is" not in code.final


def test_format_code_without_a_code_block_says_so_and_fills_no_cell(shell, ygpt_server):
    shell.rl_next_input = None
    result = cell(shell, "%%ygpt --format code --once\nErors wont corrct themselfs")
    assert result.error is None and shell.rl_next_input is None
    assert result.final.startswith("Errors will not correct themselves.")
    assert "no code block in the reply; nothing was put into a new cell" in result.final


def test_default_format_setting(shell, ygpt_server):
    shell.run_line_magic("config", 'YGptMagics.default_format = "text"')
    result = cell(shell, "%%ygpt --once\nErors wont corrct themselfs")
    assert "text/html" not in result.outputs[-1]["data"]


def test_out_stores_the_text_and_underscore_ygpt_the_reply(shell, ygpt_server):
    cell(shell, f"%%ygpt {TRANSLATE} --out french\n{HAMLET}")
    assert shell.user_ns["french"] == FRENCH
    assert shell.user_ns["_ygpt"].text == FRENCH
    data, _ = shell.display_formatter.format(shell.user_ns["_ygpt"])
    assert FRENCH in data["text/html"] and "text/markdown" not in data


def test_no_stream_sends_one_unary_request(shell, ygpt_server):
    result = cell(shell, f"%%ygpt --no-stream {TRANSLATE}\n{HAMLET}")
    request = sent(ygpt_server)
    assert request.method == "Completion" and request.stream is False
    assert FRENCH in result.final


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
@pytest.mark.parametrize("stream", ["--no-stream", ""])
def test_a_waiting_line_shows_only_while_an_answer_is_slow(shell, ygpt_server, stream):
    cell(shell, f"%%ygpt --once {stream}\nWarm up")  # the channel is open: a quick answer is quick
    started = time.monotonic()
    quick = cell(shell, f"%%ygpt --once {stream} {TRANSLATE}\n{HAMLET}")
    if time.monotonic() - started < SLOW_AFTER:  # as it is here unless the machine stalls
        assert not any("waiting for" in str(o["data"]) for o in quick.outputs)  # nothing flashes
        assert quick.updates == (1 if stream else 2)  # the answer; streamed: its first text, then final
    ygpt_server.faults.latency(0.5)
    slow = cell(shell, f"%%ygpt --once {stream} {TRANSLATE}\n{HAMLET}")
    assert "waiting for yandexgpt" in str(slow.outputs[0]["data"]) and FRENCH in slow.final


def test_deferred_shows_a_waiting_indicator_then_the_reply(shell, ygpt_server):
    ygpt_server.operation_delay = 0.3
    result = cell(shell, f"%%ygpt --deferred {TRANSLATE}\n{HAMLET}")
    assert sent(ygpt_server).method == "AsyncCompletion"
    assert any("waiting for the operation" in str(o["data"]) for o in result.outputs)
    assert FRENCH in result.final


def test_dry_run_shows_the_exact_messages_and_tokens_and_sends_nothing(shell, ygpt_server, magics):
    cell(shell, f"%%ygpt {TRANSLATE}\n{HAMLET}", cell_id="a")
    ygpt_server.requests.clear()
    result = cell(shell, "%%ygpt --dry-run\nAnd now this", cell_id="b")
    assert completions(ygpt_server) == []
    [tokenize] = [r for r in ygpt_server.requests if r.method == "TokenizeCompletion"]
    assert len(tokenize.messages) == 4 and "4 messages" in result.plain
    assert result.plain.endswith("\n\nuser:\n    And now this") and "Nothing was sent" in result.plain
    assert "tokens by the tokenizer API" in result.plain
    assert len(magics.kernel.session.chats["default"].turns) == 1


def test_dry_run_counts_read_as_english(shell, ygpt_server):
    result = cell(shell, "%%ygpt --dry-run --once\nHi")
    assert "Dry run (prompt mode, no history, model yandexgpt): 1 message, " in result.plain


def test_json_with_the_markdown_format_is_a_pretty_json_block(shell, ygpt_server):
    result = cell(shell, "%%ygpt --once --json\nName a city")
    value = json.loads(shell.user_ns["_ygpt"].text)
    pretty = json.dumps(value, ensure_ascii=False, indent=2)
    assert result.final.startswith(f"{pretty}\nyandexgpt")
    assert published(result.displays[-1]["text/html"]).startswith("<pre><code")


def test_each_cell_is_planned_once_even_when_it_must_be_trimmed(shell, ygpt_server, magics, monkeypatch):
    for index in range(3):
        cell(shell, f"%%ygpt\nTell me a fact number {index} about rivers", cell_id=f"r{index}")
    shell.run_line_magic("config", "YGptMagics.context_budget = 250")
    plans = []
    state = magics.kernel.session.state  # read once per plan
    monkeypatch.setattr(magics.kernel.session, "state", lambda *a, **k: plans.append(1) or state(*a, **k))
    result = cell(shell, "%%ygpt\nAnd about lakes?", cell_id="lakes")
    assert "left out to fit the context budget" in result.final and len(plans) == 1


def test_interpolation_and_no_interpolate(shell, ygpt_server):
    shell.user_ns["line"] = HAMLET
    cell(shell, f"%%ygpt {TRANSLATE} --once\n{{line}}")
    assert sent(ygpt_server).messages[-1]["text"] == HAMLET
    cell(shell, "%%ygpt --once --no-interpolate\nKeep {line} and {{x}} as written")
    assert sent(ygpt_server).messages[-1]["text"] == "Keep {line} and {{x}} as written"
    cell(shell, "%%ygpt --once\nCode:\n```python\nd = {line: 1}\n```\n{{literal}}")
    assert sent(ygpt_server).messages[-1]["text"] == "Code:\n```python\nd = {line: 1}\n```\n{literal}"


def test_unknown_name_in_the_cell_is_a_clear_error(shell, ygpt_server):
    result = cell(shell, "%%ygpt\nTell me about {nobody}")
    assert isinstance(result.typed_error, InterpolationError)
    assert "'nobody'" in result.message and completions(ygpt_server) == []


def test_empty_cell_is_refused(shell, ygpt_server):
    result = cell(shell, "%%ygpt\n\n")
    assert isinstance(result.typed_error, OptionError) and "empty" in result.message


def test_config_defaults_apply_and_are_validated(shell, ygpt_server):
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    shell.run_line_magic("config", "YGptMagics.temperature = 0.1")
    cell(shell, "%%ygpt\nHello")
    request = sent(ygpt_server)
    assert request.model_uri.endswith("/yandexgpt-lite/latest")
    assert request.options["temperature"] == pytest.approx(0.1)
    cell(shell, "%%ygpt -m yandexgpt\nHello")  # a flag beats the setting
    assert sent(ygpt_server).model_uri.endswith("/yandexgpt/latest")
    refused = cell(shell, "%config YGptMagics.temperature = 5")
    assert "YGptMagics.temperature must be from 0 to 1" in refused.stderr
    assert shell.magics_manager.registry["YGptMagics"].temperature == pytest.approx(0.1)


def test_help_lists_the_flags(shell):
    doc = shell.find_cell_magic("ygpt").__doc__
    for flag in ("--system", "--once", "--chat", "--model", "--temperature", "--max-tokens",
                 "--reasoning", "--json", "--format", "--out", "--no-stream", "--deferred",
                 "--dry-run", "--append", "--no-interpolate"):
        assert flag in doc


def test_the_line_is_taken_as_written_and_system_gets_the_cell_rule(shell, ygpt_server):
    """IPython filled in `{x}` and `$x` on the line: a key in a variable came back in a flag's
    error, and `--system "{big}"` went whole, with no note."""
    shell.user_ns.update(k=os.environ["YC_API_KEY"], big="z" * 20_000, role="a travel guide")
    result = cell(shell, "%%ygpt --format {k}\nhi")
    assert isinstance(result.typed_error, OptionError) and "'{k}'" in result.message
    assert os.environ["YC_API_KEY"][:12] not in result.shown + result.message
    result = cell(shell, '%%ygpt --once --system "You are {role}, not {{role}} nor $role. {big}"\nhi')
    assert result.ok, result.shown
    system = sent(ygpt_server).messages[0]["text"]
    assert system.startswith("You are a travel guide, not {role} nor $role. zzz") and len(system) < 20_000
    assert "{big}: 20,000 characters, cut to the first" in result.page
    assert cell(shell, '%%ygpt --once --no-interpolate --system "{role}"\nhi').ok
    assert sent(ygpt_server).messages[0]["text"] == "{role}"
