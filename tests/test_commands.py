"""Every %ygpt subcommand: what the user sees, and what reaches the server."""

from __future__ import annotations

import json
import re
import socket
import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TEST_KEY, cell, completions, typed_at_prompts
from visible import published

from ygpt_magic.chat.prices import roubles
from ygpt_magic.commands import usage as usage_headers
from ygpt_magic.errors import ChatFileError, ModelNotFound, OptionError, UnknownChat

HAMLET = "To be, or not to be: that is the question."
TRANSLATE = '%%ygpt --system "Translate the text into French"\n' + HAMLET


def test_help_and_unknown_subcommands(shell):
    assert "%ygpt connect [--insecure] [--http URL] [local|cloud|HOST:PORT]" in cell(shell, "%ygpt").plain
    assert "%ygpt history" in cell(shell, "%ygpt help").plain
    result = cell(shell, "%ygpt frobnicate")
    assert isinstance(result.typed_error, OptionError)
    assert "no subcommand 'frobnicate'" in result.message and "connect, auth" in result.message
    bad = cell(shell, "%ygpt reset --colour red")
    assert "unrecognized arguments: --colour red" in bad.message and "%ygpt help" in bad.message


def test_connect_switches_server_and_validates(shell, ygpt_server, monkeypatch):
    assert f"Connected to the server at {ygpt_server.address} (TLS off)" in cell(shell, "%ygpt connect").plain
    assert "Yandex Cloud at api.cloud.yandex.net:443 (TLS on)" in cell(shell, "%ygpt connect cloud").plain
    result = cell(shell, "%ygpt connect nohost")
    assert isinstance(result.typed_error, OptionError) and "HOST:PORT" in result.message
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    assert cell(shell, TRANSLATE).error is None and completions(ygpt_server)


def test_connect_says_so_when_nothing_answers_at_the_address(shell, ygpt_server):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cell(shell, f"%ygpt connect 127.0.0.1:{port} --insecure")
    assert f"Using the server at 127.0.0.1:{port} (TLS off), but nothing answers there now" in result.plain
    assert "Connected" not in result.plain
    back = cell(shell, f"%ygpt connect {ygpt_server.address} --insecure")
    assert f"Connected to the server at {ygpt_server.address} (TLS off)." in back.plain


def test_connect_with_tls_to_a_plaintext_server_says_at_once_how_to_connect(shell, ygpt_server):
    """The usual slip after ``ygpt-magic serve``: the address without ``--insecure``. The connect
    says so in one paragraph (not "nothing answers"), and the line it gives works."""
    started = time.monotonic()
    result = cell(shell, f"%ygpt connect {ygpt_server.address}")
    assert time.monotonic() - started < 2
    assert f"Using the server at {ygpt_server.address} (TLS on), but cells will fail there." in result.plain
    assert "does not speak TLS" in result.plain and "nothing answers" not in result.plain
    fix = result.plain.rsplit("%ygpt ", 1)[1].rstrip(".")
    assert fix == f"connect {ygpt_server.address} --insecure"
    shell.run_line_magic("ygpt", fix)
    assert cell(shell, TRANSLATE).error is None


def test_connect_to_a_servers_http_address_names_its_grpc_address_at_once(shell, ygpt_server):
    """`ygpt-magic serve` prints two addresses; the second (HTTP) given to connect was
    "Connected", and each cell then retried for 14 s and blamed the network (terminal.md #2).
    The connect says at once that the address speaks HTTP/1, not gRPC, and gives the line to use:
    the gRPC address the server's HTTP side names, with this one as --http. That line works."""
    http = ygpt_server.http_url.removeprefix("http://")
    started = time.monotonic()
    result = cell(shell, f"%ygpt connect {http} --insecure")
    assert time.monotonic() - started < 2
    assert f"Using the server at {http} (TLS off), but cells will fail there." in result.plain
    assert f"The server at {http} speaks HTTP/1, not gRPC" in result.plain
    assert "Connected" not in result.plain and "nothing answers" not in result.plain
    fix = result.plain.rsplit("%ygpt ", 1)[1].rstrip(".")
    assert fix == f"connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}"
    shell.run_line_magic("ygpt", fix)
    assert cell(shell, TRANSLATE).error is None


def test_connect_local_starts_a_server_in_the_kernel(shell, magics):
    result = cell(shell, "%ygpt connect local")
    server = magics.kernel.connection._server
    assert server.running and f"the local server at {server.address}" in result.final
    assert "<strong>the local server</strong>" in result.outputs[-1]["data"]["text/html"]
    assert "Être ou ne pas être" in cell(shell, TRANSLATE).final
    assert server.requests[-1].method == "Completion"
    cell(shell, "%ygpt connect cloud")
    assert not server.running


def test_endpoint_from_the_environment(ipython, ygpt_server, clean_env):
    clean_env.setenv("YGPT_ENDPOINT", ygpt_server.address)
    clean_env.setenv("YGPT_INSECURE", "1")
    ipython.extension_manager.load_extension("ygpt_magic")
    try:
        assert cell(ipython, TRANSLATE).error is None
        assert completions(ygpt_server)
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")


def test_whoami_reads_cleanly_before_the_local_server_starts(ipython, clean_env):
    clean_env.setenv("YGPT_ENDPOINT", "local")
    ipython.extension_manager.load_extension("ygpt_magic")
    try:
        whoami = cell(ipython, "%ygpt whoami")
        connect = cell(ipython, "%ygpt connect")
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")
    local = "local (ygpt-magic's local server, not YandexGPT), starts with the first request (TLS off)"
    assert whoami.final.splitlines()[0] == f"endpoint: {local}"
    assert whoami.plain.splitlines()[0] == f"endpoint      {local}"
    assert "|" not in whoami.final and "((" not in whoami.shown
    assert "Connected to the local server (TLS off). It starts with the first request." in connect.plain


def test_auth_reads_the_secret_without_echo_and_never_shows_it(shell, ygpt_server, monkeypatch):
    secret = "AQVNpastedkey0123456789abcdWXYZ"
    prompts = typed_at_prompts(monkeypatch, secret, "b1gpasted")
    result = cell(shell, "%ygpt auth")
    assert prompts and "hidden" in prompts[0]
    assert "AQVN…WXYZ" in result.plain and "b1gpasted" in result.plain
    assert cell(shell, TRANSLATE).error is None
    assert completions(ygpt_server)[-1].model_uri.startswith("gpt://b1gpasted/")
    whoami = cell(shell, "%ygpt whoami")
    assert "%ygpt auth: AQVN…WXYZ" in whoami.plain
    everything = result.shown + whoami.shown + cell(shell, "%ygpt config").shown
    assert secret not in everything and TEST_KEY not in everything
    assert secret not in repr(shell.magics_manager.registry["YGptMagics"].kernel.connection.client())


def test_whoami_and_config_show_sources_masked(shell, ygpt_server):
    whoami = cell(shell, "%ygpt whoami").plain
    assert "api key from YC_API_KEY: AQVN…x9Qz" in whoami and TEST_KEY not in whoami
    assert "b1gtestfolder (from YC_FOLDER_ID)" in whoami and "current chat  default" in whoami
    assert whoami.splitlines()[0].endswith(f"{ygpt_server.address} (TLS off)")
    shell.run_line_magic("config", 'YGptMagics.model = "yandexgpt-lite"')
    config = " ".join(cell(shell, "%ygpt config").plain.split())   # columns as wide as the longest name
    assert "chat 'default' model yandexgpt-lite" in config
    assert "YGptMagics.render_interval 0.1" in config


def test_history_shows_exactly_what_is_sent(shell, ygpt_server):
    assert "Nothing sent yet" in cell(shell, "%ygpt history").plain
    cell(shell, TRANSLATE, cell_id="c1")
    plain = cell(shell, "%ygpt history").plain
    assert "Chat 'default': 1 turn, 3 messages" in plain
    assert "[system] Translate the text into French" in plain
    assert f"[user] (In [{shell.execution_count - 2}]) {HAMLET}" in plain
    assert "[assistant] (In [" in plain and "c1" not in plain
    assert isinstance(cell(shell, "%ygpt history --chat nope").typed_error, UnknownChat)


def test_history_labels_a_turn_with_the_number_its_cell_shows_now(shell, ygpt_server, tmp_path):
    """A re-run cell shows its new number; a turn whose cell did not run here has no label."""
    cell(shell, "%%ygpt\nFirst question", cell_id="c1")
    cell(shell, "%%ygpt\nSecond question", cell_id="c2")
    history = cell(shell, "%ygpt history")
    asked = shell.execution_count - 2
    assert f"[user] (In [{asked - 1}]) First question" in history.plain
    assert f"[user] (In [{asked}]) Second question" in history.plain
    cell(shell, "%%ygpt\nFirst question", cell_id="c1")  # re-run: the chat rewinds to before it
    history = cell(shell, "%ygpt history")
    assert f"[user] (In [{shell.execution_count - 2}]) First question" in history.plain
    assert f"In [{shell.execution_count - 2}]" in history.page
    saved = tmp_path / "elsewhere.json"  # as saved by another notebook, whose cells ran there
    cell(shell, f"%ygpt save {saved}")
    saved.write_text(saved.read_text().replace('"c1"', '"a-cell-of-another-notebook"'))
    assert "Loaded 1 chat" in cell(shell, f"%ygpt load {saved}").plain
    assert "[user] First question" in cell(shell, "%ygpt history").plain


def test_chats_usage_and_reset(shell, ygpt_server, magics):
    cell(shell, TRANSLATE)
    cell(shell, "%%ygpt -c notes\nHello")
    chats = cell(shell, "%ygpt chats").plain
    assert "* default" in chats and "notes" in chats and "Translate the text into French" in chats
    *tables, note = (shown["text/plain"] for shown in cell(shell, "%ygpt usage").displays)
    by_chat, by_model = (table.splitlines() for table in tables)
    total = magics.kernel.session.chats["default"].usage + magics.kernel.session.chats["notes"].usage
    expected = ["2", str(total.input_tokens), str(total.completion_tokens), str(total.reasoning_tokens),
                str(total.total_tokens), *roubles(Decimal("1.20") * total.total_tokens / 1000).split()]
    assert "estimates" in note
    assert by_chat[0] == "Tokens by chat" and by_chat[1].split() == ["chat", *usage_headers.HEADERS]
    assert [line.split()[0] for line in by_chat[2:]] == ["default", "notes", "total"]
    assert by_chat[-1].split() == ["total", *expected] and by_model[-1].split() == ["total", *expected]
    assert by_model[2].split()[0] == "yandexgpt"
    assert "Chat 'notes' reset: 1 turn forgotten" in cell(shell, "%ygpt reset --chat notes").plain
    assert magics.kernel.session.chats["notes"].turns == []
    assert magics.kernel.session.chats["default"].system  # reset keeps the system message
    assert "Forgot all 2 chats" in cell(shell, "%ygpt reset --all").plain
    assert list(magics.kernel.session.chats) == ["default"]
    both = cell(shell, "%ygpt reset --all --chat x")
    assert isinstance(both.typed_error, OptionError)


def test_chats_shows_the_tools_a_chat_lets_the_model_call(shell, ygpt_server):
    """A chat given tools lets the model run notebook code at every later cell: its row says so."""
    assert "tools" not in cell(shell, "%ygpt chats").plain.splitlines()[0]
    shell.run_cell("def get_sales(region: str) -> int:\n    return 1")
    assert cell(shell, "%ygpt chat notes").ok
    assert cell(shell, "%ygpt config --chat default --tools get_sales --tool-choice required").ok
    header, *rows = cell(shell, "%ygpt chats").plain.splitlines()[:3]
    assert header.split()[:4] == ["chat", "turns", "model", "tools"]
    default, notes = sorted(rows, key=lambda row: "notes" in row)
    assert "get_sales (required)" in default and " - " in notes


def test_chat_switches_the_current_chat(shell, ygpt_server, magics):
    assert "Current chat: 'notes' (0 turns)" in cell(shell, "%ygpt chat notes").plain
    cell(shell, "%%ygpt\nHello")
    assert len(magics.kernel.session.chats["notes"].turns) == 1
    assert magics.kernel.session.chats["default"].turns == []
    assert "* notes" in cell(shell, "%ygpt chats").plain
    assert "Current chat: 'notes' (1 turn)" in cell(shell, "%ygpt chat").plain


def test_save_load_and_a_malformed_file(shell, ygpt_server, magics, tmp_path):
    cell(shell, TRANSLATE, cell_id="c1")
    path = tmp_path / "chats.json"
    assert "Saved 1 chat to" in cell(shell, f"%ygpt save {path}").plain
    assert json.loads(path.read_text())["version"] == 3  # its --system turn holds system_set
    cell(shell, "%ygpt reset --all")
    assert "Loaded 1 chat with 1 turn from" in cell(shell, f"%ygpt load {path}").plain
    assert magics.kernel.session.chats["default"].turns[0].reply.text.startswith("Être")
    ygpt_server.requests.clear()
    cell(shell, "%%ygpt\nMore, please")
    assert len(completions(ygpt_server)[-1].messages) == 4  # the loaded history is sent
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1, "chats": 42}')
    result = cell(shell, f'%ygpt load "{broken}"')
    assert isinstance(result.typed_error, ChatFileError) and "unchanged" in result.message
    assert len(magics.kernel.session.chats["default"].turns) == 2


def test_a_chat_name_of_two_lines_is_refused_at_load(shell, ygpt_server, magics, tmp_path):
    """A name is one row of %ygpt chats and %ygpt usage: a line break in it split the row."""
    cell(shell, "%%ygpt\nHello", cell_id="a")
    data = magics.kernel.session.to_dict()
    data["chats"][0]["name"] = data["current"] = "week\n1"
    path = tmp_path / "names.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = cell(shell, f"%ygpt load {path}")
    assert isinstance(loaded.typed_error, ChatFileError)
    assert "chats[0].name should be one line of text of 1 to 200 characters, not 'week\\n1'" in loaded.message
    assert "Your current chats are unchanged" in loaded.message
    rows = [row for row in cell(shell, "%ygpt chats").plain.splitlines() if row.strip()]
    assert len(rows) == 2 and rows[1].startswith("* default  1")  # the chats kept, one row each


def test_export_writes_a_markdown_transcript(shell, ygpt_server, tmp_path):
    cell(shell, TRANSLATE)
    path = tmp_path / "chat.md"
    assert "Exported chat 'default' (1 turn)" in cell(shell, f"%ygpt export {path}").plain
    text = path.read_text(encoding="utf-8")
    assert HAMLET in text and "Être ou ne pas être" in text
    assert isinstance(cell(shell, f"%ygpt export {tmp_path}/x.md --chat nope").typed_error, UnknownChat)


def test_models_lists_names_with_context_sizes(shell):
    plain = cell(shell, "%ygpt models").plain
    assert "* yandexgpt " in plain and "yandexgpt-lite" in plain and "32,768" in plain


def test_models_lists_every_model_the_tutorials_use(shell):
    """A reader of tutorial 07 or 08 who types `%ygpt models` finds the model the cell names,
    with the context size the local server enforces for it."""
    from ygpt_magic.emulator.models import CONTEXT_LIMITS

    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    used = {name for path in notebooks.glob("*.ipynb")
            for name in re.findall(r"--model[ =]([\w.-]+)", path.read_text(encoding="utf-8"))}
    assert {"gemma-3-12b-it", "gemma-3-27b-it"} <= used
    rows = {line.lstrip("* ").split()[0]: line for line in cell(shell, "%ygpt models").plain.splitlines()}
    for name in used | {"qwen2.5-32b-instruct"}:
        assert name in rows, f"%ygpt models does not list {name}"
        assert f"{CONTEXT_LIMITS[name]:,}" in rows[name], rows[name]


def test_models_lists_what_the_local_server_serves_as_the_service_does(shell, ygpt_server):
    """The catalogue and the local server agree, with the context sizes the server enforces, and
    both follow the service's list (AI Studio's models page, the SDK's examples): yandexgpt-32k,
    which the service no longer lists, was served here but missing from %ygpt models, and
    aliceai-llm (32,768 tokens), which it lists, was in neither. A model of the list answers; one
    the service dropped is refused as the service refuses it, and %ygpt models is the advice."""
    from ygpt_magic.emulator.models import CONTEXT_LIMITS

    lines = cell(shell, "%ygpt models").plain.splitlines()[1:]
    listed = {line.lstrip("* ").split()[0].partition("/")[0]: line for line in lines}
    assert set(listed) == set(CONTEXT_LIMITS)
    for name, line in listed.items():
        assert f"{CONTEXT_LIMITS[name]:,}" in line, line
    assert "32,768" in listed["aliceai-llm"] and "yandexgpt-32k" not in listed
    assert cell(shell, "%%ygpt --once --model aliceai-llm\nHello").ok
    dropped = cell(shell, "%%ygpt --once --model yandexgpt-32k\nHello")
    assert isinstance(dropped.typed_error, ModelNotFound) and "%ygpt models" in dropped.message, dropped.message


def test_panel_is_a_second_view_over_the_same_chats_and_server(shell, ygpt_server, magics):
    pytest.importorskip("ipywidgets")
    panel = shell.run_line_magic("ygpt", "panel --chat side")
    try:
        assert panel.chat_name == "side"
        panel.send("Erors wont corrct themselfs")
        assert panel.wait(10)
        turn = magics.kernel.session.chats["side"].turns[-1]
        assert turn.reply.text == "Errors will not correct themselves."
        assert completions(ygpt_server)[-1].messages[-1]["text"] == "Erors wont corrct themselfs"
    finally:
        panel.close()


def test_ygpt_dash_dash_help_is_ygpt_help(shell):
    overview = cell(shell, "%ygpt help")
    for line in ("%ygpt --help", "%ygpt -h"):
        run = cell(shell, line)
        assert run.ok, run.message
        assert run.plain == overview.plain and "%ygpt connect" in run.plain
    assert cell(shell, "%ygpt --help config").plain == cell(shell, "%ygpt help config").plain


@pytest.mark.parametrize("typo, meant", [("conect local", "connect"), ("cach x.sqlite", "cache"), ("hlep", "help")])
def test_a_misspelt_subcommand_is_refused_with_the_closest_one_as_a_misspelt_flag_is(shell, typo, meant):
    word = typo.split()[0]
    run = cell(shell, f"%ygpt {typo}")
    assert isinstance(run.typed_error, OptionError)
    assert run.message.startswith(f"%ygpt has no subcommand '{word}'; did you mean {meant}? Use one of: connect, ")
    assert run.message.endswith("a prompt goes in a %%ygpt cell.")
    described = cell(shell, f"%ygpt help {word}")
    assert described.message.startswith(f"%ygpt help: there is no subcommand '{word}'; did you mean {meant}? "
                                        "Use one of: connect, "), described.message


def test_every_subcommand_has_generated_help(shell):
    from ygpt_magic.commands import COMMANDS

    overview = cell(shell, "%ygpt help").plain
    for name, module in COMMANDS.items():
        usage = " ".join(module.run.parser.format_usage().split()).removeprefix(":: ")
        assert usage.startswith(f"%ygpt {name}") and usage in overview, f"{name} missing from %ygpt help"
    summaries = [line.strip() for line in overview.splitlines() if line.startswith("    ")]
    assert len(summaries) == len(COMMANDS) and all(line.endswith(".") for line in summaries), \
        "each summary is a whole sentence, not one cut at its first line"
    config = cell(shell, "%ygpt help config")
    assert config.plain == cell(shell, "%ygpt config --help").plain == cell(shell, "%ygpt config -h").plain
    for words in ("%ygpt config [--chat NAME] [--model NAME|default]", "--temperature <X|default>",
                  "Endpoint, credential, the chat's options", "`default` unsets one"):
        assert words in config.plain
    assert published(config.outputs[-1]["data"]["text/html"]).startswith("<pre><code"), "shown as a block in notebooks"
    assert "--all" in cell(shell, "%ygpt reset --help").plain
    unknown = cell(shell, "%ygpt help frobnicate")
    assert "no subcommand 'frobnicate'" in unknown.message and "config" in unknown.message


def test_a_subcommand_error_points_to_its_own_help(shell):
    bad = cell(shell, "%ygpt config --temperature 3")
    assert "temperature must be from 0 to 1" in bad.message and "%ygpt help config" in bad.message
    assert "argument --temperature/-t" in bad.message


def test_the_cell_magic_help_lists_the_shared_flags(shell):
    text = shell.find_cell_magic("ygpt").__doc__
    for flag in ("--chat NAME", "--model NAME", "--temperature X", "--max-tokens N", "--format FORMAT",
                 "--system TEXT", "--once", "%ygpt help"):
        assert flag in text, flag


def test_a_word_that_starts_with_hash_ends_the_line_as_the_docs_write_it(shell, magics, ygpt_server, monkeypatch):
    """The docs' lines carry a `# note` (guide/prompts.md, install.md, panel.md, reproducible.md);
    copied as they are, each does what the page says, and the note is not an argument."""
    connect = cell(shell, f"%ygpt connect {ygpt_server.address} --insecure   # the bundled server; leave it out")
    assert connect.ok, connect.message
    assert f"Connected to the server at {ygpt_server.address}" in connect.plain
    config = cell(shell, '%ygpt config --model yandexgpt-lite --temperature 0.2   # this chat (or --chat '
                         'NAME); "default" unsets one')
    assert config.ok, config.message
    assert magics.kernel.session.chat().options.model == "yandexgpt-lite"
    whoami = cell(shell, "%ygpt whoami        # endpoint, folder and where the credential comes from, masked")
    assert whoami.ok and whoami.plain == cell(shell, "%ygpt whoami").plain
    side = cell(shell, "%ygpt panel --side             # in JupyterLab's side area, beside the notebook")
    assert side.ok, side.message   # the comment's apostrophe opens no quotation
    assert cell(shell, "%ygpt   # what can it do? --help").plain == cell(shell, "%ygpt help").plain
    assert cell(shell, "%ygpt chats  # see --help").plain == cell(shell, "%ygpt chats").plain
    typed_at_prompts(monkeypatch, "AQVNpastedkey0123456789abcdWXYZ", "b1gpasted")
    auth = cell(shell, "%ygpt auth          # asks for an API key or IAM token (hidden) and the folder id")
    assert auth.ok and "AQVN…WXYZ" in auth.plain


def test_a_hash_in_quotes_or_inside_a_word_is_no_comment(shell, magics):
    assert cell(shell, '%ygpt chat "team #3"').plain == "Current chat: 'team #3' (0 turns)."
    assert cell(shell, "%ygpt chat issue#3   # the chat of issue 3").plain == "Current chat: 'issue#3' (0 turns)."
    broken = cell(shell, "%ygpt chat 'team # 3")
    assert "No closing quotation" in broken.message, "a # inside an open quote is text, not a comment"
