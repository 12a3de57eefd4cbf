"""Secrets: a credential never lands in a notebook, a file, a log or a repr.

Distinctive canary credentials are given the ways users give them (YC_API_KEY / YC_IAM_TOKEN in
the environment, `%ygpt auth` with hidden input), then every scenario runs through the wire,
errors included (UNAUTHENTICATED is the SDK path that attaches its auth provider to the
exception). Afterwards the canary's distinctive middle, which masking never shows, must appear in
0 bytes of: every cell output (all mimetypes, stdout, stderr), the `%ygpt save` / `export` files,
every log record at any level from any logger (the project's, the server's, the SDK's, gRPC's,
asyncio's), repr()/str() of the project's objects, the errors and their chains, the panel's
widget state, and executed notebooks. `getpass.getpass` is replaced in the test (it is the
terminal, not the SDK). Keys typed where they do not belong (on the `%ygpt auth`
line, in a flag, with what a header cannot carry) are in test_secrets_typed.py.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cellrun import LOST_EXCEPTIONS, CellRun, run
from conftest import typed_at_prompts

import ygpt_magic
from ygpt_magic.saving import LIVE_ONLY

pytestmark = [*LOST_EXCEPTIONS]

#: Canaries: realistic prefixes (so the errors module's masking of key shapes is exercised),
#: and a plain one that no shape matches (so nothing passes by luck of a regex).
API_KEY = "AQVNcanaryKey-0f3a9d2c7b41e8-LEAKCHECK-x9Qz"
IAM_TOKEN = "t1.canaryIam.7e2b5c9a1f0d34.LEAKCHECK.Zq8w"
PLAIN_KEY = "canary-plain-93b1f7c2e6a0d5-LEAKCHECK-kEy1"
FOLDER = "b1gcanaryfolder"
CANARIES = (API_KEY, IAM_TOKEN, PLAIN_KEY)
#: what a leak looks like even when cut or masked: the middles that `mask()` never shows
FRAGMENTS = ("0f3a9d2c7b41e8", "7e2b5c9a1f0d34", "93b1f7c2e6a0d5", "LEAKCHECK")


def leaks(blob: str | bytes) -> list[str]:
    """The canary fragments found in `blob` (empty: nothing leaked)."""
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return [fragment for fragment in FRAGMENTS if fragment in text]


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(1)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # the formatter adds exc_info tracebacks too


#: loggers that may stop propagating (the SDK's are told to), so the handler sits on each
TOP_LOGGERS = ("", "ygpt_magic", "yandex_cloud_ml_sdk", "yandex_ai_studio_sdk", "grpc", "asyncio")


@contextmanager
def all_logs() -> Iterator[list[str]]:
    """Every log record at any level (TRACE included) while the block runs, formatted."""
    handler = _Everything()
    saved = []
    for name in TOP_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(1)
        logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


#: the project's own source files (not "ygpt_magic" anywhere in a path: a clone of that name holds
#: its .venv, and the SDK's frames there keep the request's metadata in their locals)
PACKAGE = str(Path(ygpt_magic.__file__).parent) + os.sep


def error_texts(error: BaseException | None) -> list[str]:
    """str/repr of an error and of everything chained to it (even suppressed context), its
    traceback, and the locals of the project's frames in it (what a verbose `%tb` shows; the
    cell's own frame is left out: its locals are the user's namespace, input history included)."""
    texts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts += [str(error), repr(error), *traceback.format_exception(error)]
        stack = traceback.TracebackException.from_exception(error, capture_locals=True).stack
        texts += [repr(frame.locals) for frame in stack if frame.filename.startswith(PACKAGE)]
        error = getattr(error, "error", None) or error.__cause__ or error.__context__
    return texts


def fail_next(code: str, method: str = "Completion"):
    return lambda server: server.faults.fail_next(1, code, method=method)


#: (fault to inject first or None, cell): every kind of request, answer and error
SCENARIO = [
    (None, "%ygpt whoami"),
    (None, "%ygpt config"),
    (None, '%%ygpt --system "Be brief."\nHello!'),
    (None, "%%ygpt --no-stream\nAnd again?"),
    (None, "%%ygpt --deferred\nOnce more, slowly."),
    (None, "%%ygpt --dry-run\nWhat would you send?"),
    (None, "%%ygpt --once --json --format json\nGive me a JSON object with a city."),
    (fail_next("UNAUTHENTICATED"), "%%ygpt\nThis one is refused."),
    (fail_next("UNAUTHENTICATED", "*"), "%%ygpt --deferred\nRefused too."),
    (fail_next("UNAUTHENTICATED", "*"), "%%ygpt --no-stream\nAnd this."),
    (fail_next("PERMISSION_DENIED"), "%%ygpt\nNot allowed."),
    (fail_next("INTERNAL"), "%%ygpt\nServer trouble."),
    (lambda server: server.faults.break_stream_after(1, "INTERNAL"), "%%ygpt\nCut short."),
    (None, "%xmode Verbose"),
    (fail_next("UNAUTHENTICATED"), "%%ygpt\nRefused, verbosely."),
    (None, "%tb"),
    (None, "%xmode Context"),
    (None, "%ygpt connect ADDRESS --insecure --http HTTP_URL"),
    (None, "import io; from PIL import Image; png = io.BytesIO(); Image.new('RGB', (8, 8)).save(png, 'PNG')"),
    (None, "%%ygpt --image png --model gemma-3-27b-it\nWhat colour is it?"),
    (fail_next("UNAUTHENTICATED"), "%%ygpt --image png --model gemma-3-27b-it\nRefused over HTTP."),
    (lambda server: server.faults.break_stream_after(1, "INTERNAL"),
     "%%ygpt --image png --model gemma-3-27b-it\nCut short over HTTP."),
    (None, "%ygpt history"),
    (None, "%ygpt chats"),
    (None, "%ygpt usage"),
    (None, "%ygpt connect"),
    (None, "%ygpt models"),
    (None, "%ygpt save TMP/chats.json"),
    (None, "%ygpt export TMP/chat.md"),
    (None, "%ygpt panel"),
    (None, "_ygpt"),
    (None, "print(repr(_ygpt), str(_ygpt), _ygpt._repr_markdown_())"),
]


def run_scenario(shell, server, tmp_path: Path) -> list[CellRun]:
    cells = []
    for fault, source in SCENARIO:
        if fault is not None:
            fault(server)
        source = source.replace("ADDRESS", server.address).replace("HTTP_URL", server.http_url)
        cells.append(run(shell, source.replace("TMP", str(tmp_path))))
        server.faults.clear()
    return cells


def project_objects(shell, magics) -> list[object]:
    """The project's objects a user can reach and print."""
    session = magics.kernel.session
    client = magics.kernel.connection.client()
    objects = [magics, magics.kernel.connection, client, client.credential, session, shell.user_ns.get("_ygpt")]
    for chat in session.chats.values():
        objects += [chat, chat.options, *chat.turns, *(turn.reply for turn in chat.turns)]
    return objects


def widget_states() -> list[str]:
    """What the frontend receives for every live widget (the panel's included)."""
    from ipywidgets.widgets.widget import _instances

    return [json.dumps(w.get_state(), default=str) for w in list(_instances.values())]


def scan(shell, magics, cells: list[CellRun], logs: list[str], tmp_path: Path) -> dict[str, int]:
    """Bytes scanned per place; fails naming the place where a canary fragment shows."""
    places: dict[str, list[str]] = {
        "cell outputs": [c.shown for c in cells],
        "exceptions": [t for c in cells for t in error_texts(c.error)],
        "logs": logs,
        "reprs": [text for o in project_objects(shell, magics) for text in (repr(o), str(o))],
        "widgets": widget_states(),
        "files": [p.read_text("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()],
    }
    for place, texts in places.items():
        for text in texts:
            assert not leaks(text), f"canary {leaks(text)} leaked into {place}:\n{text[:2000]}"
    return {place: sum(len(t.encode()) for t in texts) for place, texts in places.items()}


def use_env(monkeypatch, var: str, secret: str) -> None:
    monkeypatch.delenv("YC_API_KEY", raising=False)
    monkeypatch.setenv(var, secret)
    monkeypatch.setenv("YC_FOLDER_ID", FOLDER)


def use_auth(monkeypatch, shell, secret: str) -> CellRun:
    typed_at_prompts(monkeypatch, secret, FOLDER)
    return run(shell, "%ygpt auth")


# make test-fast keeps one credential of each kind from each source; make test runs all four
@pytest.mark.parametrize("given", ["YC_API_KEY", pytest.param("YC_IAM_TOKEN", marks=pytest.mark.slow),
                                   pytest.param("%ygpt auth key", marks=pytest.mark.slow), "%ygpt auth IAM token"])
def test_canary_credential_appears_nowhere(shell, magics, ygpt_server, monkeypatch, tmp_path, given):
    with all_logs() as logs:
        if given.startswith("YC_"):
            use_env(monkeypatch, given, API_KEY if given == "YC_API_KEY" else IAM_TOKEN)
            cells = []
        else:
            cells = [use_auth(monkeypatch, shell, PLAIN_KEY if given.endswith("key") else IAM_TOKEN)]
            assert cells[0].ok, cells[0].shown
        cells += run_scenario(shell, ygpt_server, tmp_path)
    credential = magics.kernel.connection.client().credential
    assert credential.secret in CANARIES, "the canary is not the credential in use"
    assert credential.masked in cells[-len(SCENARIO)].shown  # whoami shows it, masked
    assert sum(c.ok for c in cells) >= 15 and len(ygpt_server.requests) >= 10

    scanned = scan(shell, magics, cells, logs, tmp_path)

    assert scanned["logs"] > 0 and scanned["files"] > 0 and scanned["widgets"] > 0
    print(f"\ncanary via {given}: 0 bytes leaked; bytes scanned {scanned}")


def test_whoami_and_config_mask_the_credential(shell, magics, monkeypatch):
    use_env(monkeypatch, "YC_API_KEY", API_KEY)
    for source in ("%ygpt whoami", "%ygpt config"):
        shown = run(shell, source).shown
        assert "AQVN…x9Qz" in shown and "YC_API_KEY" in shown
        assert not leaks(shown)


@pytest.mark.slow
def test_server_process_log_holds_no_canary(shell, magics, monkeypatch):
    """`ygpt-magic serve` logs one line per request; a refused and an accepted request with the
    canary key, then its whole stdout and stderr are scanned."""
    use_env(monkeypatch, "YC_API_KEY", API_KEY)
    server = subprocess.Popen(
        [sys.executable, "-m", "ygpt_magic.cli", "serve", "--fail-next", "1", "--fail-code", "UNAUTHENTICATED"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = server.stdout.readline().split()
        assert ready and ready[0] == "READY", server.stderr.read()
        assert run(shell, f"%ygpt connect {ready[1]} --insecure").ok
        assert not run(shell, "%%ygpt\nRefused.").ok
        assert run(shell, "%%ygpt\nAccepted.").ok
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert "UNAUTHENTICATED" in err and "status=OK" in err  # it did log both requests
    assert not leaks(out + err)


NOTEBOOKS = ("00_setup.ipynb", "02_chat_mode.ipynb", "04_panel.ipynb")  # 04: the panel's saved view holds the chat


@pytest.mark.slow
def test_executed_notebooks_hold_no_canary(ygpt_server, monkeypatch, tmp_path):
    """Run notebooks in a real kernel with the canary key against the test server (not `local`,
    which would use a dummy key) and scan the saved notebooks and the files they wrote. The three
    run one after another in one kernel, as a user runs them in one session: a leak shows in the
    files whichever kernel wrote them, and a kernel start costs seconds."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat
    from jupyter_client.manager import KernelManager

    root = Path(__file__).resolve().parent.parent / "notebooks"
    monkeypatch.setenv("YC_API_KEY", API_KEY)
    monkeypatch.setenv("YC_FOLDER_ID", FOLDER)
    monkeypatch.setenv("YGPT_ENDPOINT", ygpt_server.address)
    monkeypatch.setenv("YGPT_INSECURE", "1")
    monkeypatch.setenv("YC_LOG_LEVEL", "TRACE")  # the SDK's own logging, at its most talkative
    kernel = KernelManager(kernel_name="python3")
    kernel.start_kernel(cwd=str(tmp_path))
    try:
        for name in NOTEBOOKS:
            notebook = nbformat.read(root / name, as_version=4)
            client = nbclient.NotebookClient(notebook, timeout=60, km=kernel)
            try:
                client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()
            nbformat.write(notebook, tmp_path / name)
    finally:
        kernel.shutdown_kernel(now=True)
    saved = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in saved} >= {*NOTEBOOKS, "chats.json", "einstein.md"}
    assert any("AQVN…x9Qz" in p.read_text("utf-8") for p in saved), "whoami should show the masked key"
    # a run no page draws builds no panel widget, so the file holds no widget state to leak from
    # (the saved view, which holds the chat, is in the cell's output: scanned with the file)
    assert "widgets" not in nbformat.read(tmp_path / "04_panel.ipynb", as_version=4).metadata
    for path in saved:
        assert not leaks(path.read_bytes()), f"canary in {path.name}"


def test_the_scanner_sees_a_planted_canary():
    """The harness itself: a canary logged deep in the SDK's logger tree, cut in half or
    masked, is found (or, masked, correctly not found)."""
    with all_logs() as logs:
        logging.getLogger("yandex_ai_studio_sdk._logging.interceptors").log(5, "metadata %s", API_KEY)
    assert leaks("\n".join(logs)) and leaks(IAM_TOKEN[10:30]) and leaks(PLAIN_KEY[10:30])
    assert not leaks("AQVN…x9Qz t1.c….Zq8w")


@pytest.mark.parametrize("given", ["YC_API_KEY", "%ygpt auth key"])
@pytest.mark.slow
def test_cache_file_and_provenance_hold_no_canary_and_no_folder(shell, magics, ygpt_server, monkeypatch,
                                                                tmp_path, given):
    """The reply cache file (database, write-ahead log, shared memory) and each reply's output
    metadata, after cells of every kind recorded and replayed, an error and a dry run, with the
    folder in the model URI: no canary fragment, and not the folder id either."""
    from IPython.utils.capture import capture_output

    if given.startswith("YC_"):
        use_env(monkeypatch, given, API_KEY)
    else:
        assert use_auth(monkeypatch, shell, PLAIN_KEY).ok
    cache = tmp_path / "replies.sqlite"
    assert run(shell, f"%ygpt cache {cache}").ok
    sources = [f'%%ygpt --system "Be brief." --model gpt://{FOLDER}/yandexgpt/latest\nHello!',
               "%%ygpt --no-stream\nAnd again?", "%%ygpt --deferred\nOnce more, slowly.",
               "%%ygpt --dry-run\nWhat would you send?",
               "%%ygpt --once --json --format json\nGive me a JSON object with a city."]
    metadata = []
    with all_logs() as logs:
        for index, source in [*enumerate(sources)] * 2:  # recorded, then re-run: replayed
            with capture_output() as captured:
                shell.run_cell(source, store_history=True, cell_id=f"cell-{index}")
            metadata += [output.metadata for output in captured.outputs
                         if output.metadata and output.metadata != LIVE_ONLY]   # the echo: no provenance
        ygpt_server.faults.fail_next(1, "UNAUTHENTICATED")
        assert not run(shell, "%%ygpt\nThis one is refused.").ok
        provenance = run(shell, "%ygpt provenance")
    assert len(metadata) == 8 and sum(m["ygpt"]["cached"] for m in metadata) == 4
    files = sorted(tmp_path.glob("replies.sqlite*"))
    assert files and sum(p.stat().st_size for p in files) > 0
    for place, blob in [*((p.name, p.read_bytes()) for p in files),
                        ("output metadata", json.dumps(metadata).encode()),
                        ("%ygpt provenance", provenance.shown.encode()), ("logs", "\n".join(logs).encode())]:
        assert not leaks(blob), f"canary {leaks(blob)} in {place}"
        if place != "logs":  # (the SDK logs the model URI it sends, folder included)
            assert FOLDER.encode() not in blob, f"the folder id is in {place}"


def test_embed_dry_run_counts_a_row_holding_the_key_apart_and_names_it(shell, magics, ygpt_server, monkeypatch):
    """secrets2.md F6.2: the dry run refused the command as if "the prompt" held the key and told
    the user to leave "that reference" out of the cell; the run refuses that text alone."""
    import pandas as pd

    use_env(monkeypatch, "YC_API_KEY", PLAIN_KEY)
    shell.user_ns["df"] = pd.DataFrame({"text": ["cats sleep", f"key {PLAIN_KEY}"]}, index=["a", "b"])
    dry = run(shell, "%ygpt embed df --column text --dry-run")
    assert dry.ok, dry.message
    assert "2 texts to embed (1 to send, 1 that would fail)" in dry.plain, dry.plain
    assert ("One row would fail without being sent, as in the run: Nothing was sent for row 'b' of df: its "
            "text contains your api key (from YC_API_KEY)") in dry.plain, dry.plain
    assert "leave the row out" in dry.plain and "prompt" not in dry.plain and "reference" not in dry.plain
    assert not leaks(dry.shown + repr(list(ygpt_server.requests))), "nothing of that row is counted"
