"""The extension used from outside the cell that is running: Jupyter's "Interrupt kernel" at the
first instant of a run over rows, a widget's callback between cells, a thread of the user's.

- A Ctrl-C at any moment after a ``--map`` (``--labels`` too) or ``%ygpt embed`` job has started
  stops it with the one-line summary, keeps what was answered, ends the cell in one line as an
  interrupted cell (so Run All stops), and nothing is sent after the cell ends. The first
  run of a kernel builds the first progress bar (tqdm.notebook and ipywidgets are imported then,
  ~0.2 s): a real kernel, interrupted as the server sees the first row, tells it.
- Code asked for from a Button's callback (no cell running) is not queued as a new cell: the
  queued payload would ride on the user's next, unrelated cell, minutes later. The reply says
  where the code is.
- A request from a thread of the user's is not the running cell's: re-running that cell does not
  rewind the thread's turns away, and ``%ygpt history`` does not label them with its In [N].
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from cellrun import assert_clear_error, run
from kernels import Kernel

from ygpt_magic.commands._next_cell import marked
from ygpt_magic.emulator import start_local_server

ROWS = 300
DOORS = {   # the cell, and the request each of its rows sends
    "map": ("%%ygpt --map items --out res --concurrency 4\nTranslate {item} into French", "Completion"),
    "labels": ("%%ygpt --map items --labels weather,alarm --out res --concurrency 4\n{item}", "FewShotClassify"),
    "embed": ("%ygpt embed items --out res", "TextEmbedding"),
}


@pytest.mark.slow   # a real kernel each (test-fast leaves these to make test)
@pytest.mark.parametrize("door", list(DOORS))
def test_interrupting_the_first_run_over_rows_at_once_stops_it_in_one_line(door):
    source, method = DOORS[door]
    with start_local_server() as server, Kernel(server.address) as kernel:
        server.faults.latency(0.02)
        kernel.run(f"items = [f'word number {{i}}' for i in range({ROWS})]\n"
                   "import ygpt_magic.client.sdk, yandex_cloud_ml_sdk")   # the SDK's import is not the window

        def sent() -> int:
            return sum(request.method == method for request in server.requests)

        cell = kernel.send(source, cell_id="rows")
        deadline = time.monotonic() + 30
        while sent() < 1:   # the job has started: the kernel's first bar is being built
            assert time.monotonic() < deadline, kernel.shown(cell)
            time.sleep(0.002)
        kernel.interrupt()
        assert kernel.statuses([cell]) == ["error"]   # as an interrupted Python cell: Run All stops
        kernel.wait_idle(cell)
        at_end = sent()
        time.sleep(2)   # the whole job would take ~1.5 s
        shown = kernel.shown(cell)
        assert "Traceback" not in shown and "KeyboardInterrupt" not in shown, shown
        assert "Stopped:" in shown and "the answered rows are kept" in shown, shown
        assert sent() <= at_end, f"the stopped job went on sending: {at_end} requests at the end, then {sent()}"
        assert kernel.value("len(res)") == str(ROWS)   # --out holds the rows, the answered ones filled in
        assert kernel.value("_ygpt.stopped") == "True"

        kernel.run(source, cell_id="rows")   # the re-run sends only the rows left
        assert sent() <= ROWS + 8, f"{sent()} requests for {ROWS} rows: the answered ones were paid for twice"


#: the scripted replies of the two code stories, which share one kernel (``coding``)
CODE_REPLIES = [
    {"user": "Write a python function that adds two numbers",
     "reply": "Here it is:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"},
    {"user": "Write add", "reply": "```python\ndef add(a, b):\n    return a + b\n```"},
]


@pytest.fixture(scope="module")
def coding(tmp_path_factory) -> Iterator[Kernel]:
    """A real kernel (a click is a comm message, set_next_input a payload of the execute_reply)
    whose server gives ``CODE_REPLIES``; both stories read only their own cells' messages and
    ask with --once, so neither sees the other's."""
    script = tmp_path_factory.mktemp("coding") / "script.json"
    script.write_text(json.dumps({"replies": CODE_REPLIES}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server, Kernel(server.address) as kernel:
        yield kernel


@pytest.mark.slow
def test_code_asked_for_from_a_button_is_not_put_below_the_next_cell(coding):
    kernel = coding
    setup = kernel.run("import ipywidgets as w\nb = w.Button(description='code')\n"
                       "b.on_click(lambda _: get_ipython().run_cell_magic('ygpt', '--once --format code',\n"
                       "    'Write a python function that adds two numbers'))\nprint(b.model_id)")
    click = kernel.click(kernel.shown(setup).split()[0])
    kernel.wait_idle(click)
    shown = kernel.shown(click)
    assert "def add(a, b):" in shown, shown   # the code is where the click's output goes
    assert "No cell was running" in shown and "copy it" in shown, shown

    payload = kernel.reply("total = 1 + 1").get("payload", [])   # the user's next, unrelated cell
    assert not [p for p in payload if p.get("source") == "set_next_input"], payload


@pytest.mark.slow
def test_code_asked_for_in_a_cell_still_goes_into_a_new_cell_below(coding):
    payload = coding.reply("%%ygpt --once --format code\nWrite add", cell_id="ask").get("payload", [])
    assert [p["text"].strip() for p in payload if p.get("source") == "set_next_input"] == [
        marked("def add(a, b):\n    return a + b")]


@pytest.mark.slow
def test_a_threads_turns_are_its_own_not_the_running_cells(shell, magics):
    asks: list[int] = []
    done = threading.Event()

    def background() -> None:   # the user's thread: one question each time it is woken
        for n in range(1, 5):
            while len(asks) < n:
                time.sleep(0.01)
            shell.run_cell_magic("ygpt", "--chat bg", f"Background question {n}")
        done.set()

    def ask_during(seconds: float) -> None:   # the thread asks while the main thread runs a cell
        threading.Timer(seconds, lambda: asks.append(1)).start()

    threading.Thread(target=background, daemon=True).start()
    ask_during(0.2)
    assert run(shell, "import time; time.sleep(1.0)", cell_id="load").ok
    asks.append(1)
    time.sleep(0.6)
    asks.append(1)
    time.sleep(0.6)
    ask_during(0.2)
    assert run(shell, "import time; time.sleep(1.0)", cell_id="load").ok   # the same cell again
    assert done.wait(10)

    turns = magics.kernel.session.chat("bg").turns
    assert [t.prompt for t in turns] == [f"Background question {n}" for n in range(1, 5)]
    assert [(t.cell_id, t.asked_in) for t in turns] == [(None, None)] * 4
    history = run(shell, "%ygpt history --chat bg").shown
    assert "In [" not in history, history


def test_a_cells_own_turn_keeps_its_cell_and_is_rewound_on_a_rerun(shell, magics):
    for _ in range(2):
        assert run(shell, "%%ygpt --chat mine\nHello there", cell_id="asks").ok
    turns = magics.kernel.session.chat("mine").turns
    assert [(t.prompt, t.cell_id) for t in turns] == [("Hello there", "asks")]
    assert turns[0].asked_in is not None


def test_a_chat_a_thread_holds_says_to_wait_not_to_interrupt_the_kernel(shell, magics, ygpt_server):
    ygpt_server.faults.latency(0.03)   # the thread's reply streams for a while
    thread = threading.Thread(target=shell.run_cell_magic, args=("ygpt", "--chat bg", "Tell a long story"))
    thread.start()
    deadline = time.monotonic() + 5
    while not magics.kernel.session.is_busy("bg"):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    refused = run(shell, "%%ygpt --chat bg\nAnd then?", cell_id="next")
    thread.join(10)
    assert_clear_error(refused, "still streaming into chat 'bg'", "wait for it to finish",
                       "a thread of yours", "interrupting the kernel does not stop")
    assert "press Stop" not in refused.message


def test_a_cells_asyncio_to_thread_asks_as_the_cell(shell, magics):
    source = ("import asyncio\nawait asyncio.to_thread(get_ipython().run_cell_magic, 'ygpt', '--chat pool',"
              " 'Hello from the pool')")
    for _ in range(2):   # the cell's own request, in a thread it awaits: a re-run rewinds it
        assert run(shell, source, cell_id="pool").ok
    turns = magics.kernel.session.chat("pool").turns
    assert [(t.prompt, t.cell_id) for t in turns] == [("Hello from the pool", "pool")]
