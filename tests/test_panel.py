"""The chat panel without a browser: widgets over a dummy comm, replies from the local server.

Widgets need a comm to exist; like ipywidgets' own tests (``ipywidgets.widgets.tests.utils``), a
fixture swaps ``comm.create_comm`` for a comm that records what would go to the browser. Every
reply comes through the real client and the unmodified SDK from the ``ygpt_server`` fixture.
"""

from __future__ import annotations

import html
import time

import comm
import pytest
from visible import read, visible

from ygpt_magic.chat import ChatSession, planning
from ygpt_magic.chat.planning import DefaultSettings
from ygpt_magic.client import Client
from ygpt_magic.client.settings import ClientSettings
from ygpt_magic.exchange import run_exchange
from ygpt_magic.panel import ChatPanel, show_panel
from ygpt_magic.panel.keys import SUBMIT_MARK
from ygpt_magic.render import StreamRenderer


class RecordingComm:
    """Stands in for the kernel's comm: keeps every message a widget sends to the browser."""

    comm_id = "test-comm"
    kernel = "a kernel"

    def __init__(self, **kwargs):
        self.messages = []

    def open(self, *args, **kwargs):
        pass

    def on_msg(self, *args, **kwargs):
        pass

    def send(self, *args, **kwargs):
        self.messages.append((args, kwargs))

    def close(self, *args, **kwargs):
        pass


@pytest.fixture(autouse=True)
def widget_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))


@pytest.fixture
def client(ygpt_server):
    client = Client(endpoint=ygpt_server.address, local=True, settings=ClientSettings(retries=0))
    yield client
    client.close()


@pytest.fixture
def session():
    return ChatSession()


@pytest.fixture
def panel(session, client):
    panel = show_panel(session, lambda: client)
    yield panel
    panel.close()


class Settings(DefaultSettings):
    """What YGptMagics gives a panel: the planning defaults, and a faster redraw for tests."""

    render_interval = 0.02


def bubbles(panel: ChatPanel) -> list[tuple[str, str]]:
    """The transcript as the user reads it: (who, text) for every bubble, top to bottom."""
    shown = []
    for row in panel.transcript.widget.children[0].children:
        for side in getattr(row, "children", ()):
            who = "user" if "ygpt-user" in side._dom_classes else "assistant"
            for column in side.children:
                for bubble in column.children:
                    data = bubble.outputs[0]["data"] if bubble.outputs else {}
                    shown.append((who, visible(data["text/html"]) if "text/html" in data
                                  else data.get("text/plain", "")))
    return shown


def saved_text(panel: ChatPanel, mime: str = "text/plain") -> str:
    """The panel's saved view as a reader of the saved notebook reads it: its outputs' text
    (or their ``mime`` form), top to bottom."""
    return "\n\n".join(bundle[mime] for bundle, _ in panel._saved_now() if bundle["text/plain"])


def cell(session, client, prompt, chat=None):
    """What a %%ygpt cell does: plan, stream into an output, record."""
    plan = planning.plan(session, prompt, chat=chat)
    return run_exchange(session, lambda: client, plan, StreamRenderer(display=lambda *a, **k: _Sink()))


class _Sink:
    def update(self, *args, **kwargs):
        pass


def send(panel: ChatPanel, text: str) -> None:
    """Type ``text`` and press Enter, the way the browser's keydown hook reports it."""
    panel.input.value = text + SUBMIT_MARK


def sent_from_panel(shell, chat: str, text: str) -> str:
    """Open ``%ygpt panel --chat CHAT``, send ``text`` from it, wait for the reply, close it; the
    panel's status line as it was when the reply (or the error) came, for tests that read it."""
    panel = shell.run_line_magic("ygpt", f"panel --chat {chat}")
    try:
        send(panel, text)
        assert panel.wait(15)
        return panel.status.value
    finally:
        panel.close()


def until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_cell_run_elsewhere_appears_in_the_panel_at_once(session, client, panel):
    assert "No messages yet" in panel.transcript.widget.children[0].children[0].value
    session.configure(system="Answer briefly.")
    reply = cell(session, client, "What is the capital of France?")

    shown = bubbles(panel)
    assert shown[0] == ("user", "What is the capital of France?")
    assert shown[1][0] == "assistant" and read(reply.text) in shown[1][1]
    assert reply.summary().split(" · ")[0] in shown[1][1]  # the usage line, as under a cell
    assert "Answer briefly." in panel.transcript.widget.children[0].children[0].value
    assert panel.controls.totals.value.startswith("1 turn · ")
    assert f"{reply.usage.input_tokens + reply.usage.completion_tokens:,} tokens kept" in panel.controls.totals.value


def test_controls_edit_the_chat_the_next_cell_sends(session, client, panel, ygpt_server):
    panel.controls.temperature.value = 0.8
    panel.controls.max_tokens.value = "50"
    panel.controls.reasoning.value = True
    panel.controls.system.value = "Be terse."
    options = session.chat().options
    assert (options.temperature, options.max_tokens, options.reasoning) == (0.8, 50, True)
    assert session.chat().system == "Be terse."

    cell(session, client, "Hi")
    sent = ygpt_server.requests[-1]
    assert sent.options["temperature"] == pytest.approx(0.8)
    assert sent.options["max_tokens"] == 50
    assert sent.messages[0] == {"role": "system", "text": "Be terse."}


def test_temperature_and_max_tokens_go_back_to_the_model_default(session, client, panel, ygpt_server):
    controls = panel.controls
    assert controls.temperature_default.value and controls.max_tokens.value == ""  # shown as unset
    controls.temperature.value = 0.8
    controls.max_tokens.value = "50"
    assert not controls.temperature_default.value
    controls.temperature_default.value = True  # "default" again
    controls.max_tokens.value = ""  # empty box: the model's default
    assert (session.chat().options.temperature, session.chat().options.max_tokens) == (None, None)
    cell(session, client, "Hi")
    sent = ygpt_server.requests[-1].options
    assert (sent["temperature"], sent["max_tokens"]) == (None, None), "not sent: the model decides"
    controls.max_tokens.value = "70"
    controls.max_tokens.value = "0"  # 0 means the same as empty
    assert session.chat().options.max_tokens is None and controls.max_tokens.value == ""
    controls.max_tokens.value = "many"
    assert "max_tokens must be a number" in panel.status.value and controls.max_tokens.value == ""


def test_a_panel_send_is_planned_like_a_cell(session, client, ygpt_server):
    """The notebook's defaults and the model's context budget apply to Send as to a cell."""
    words = "river " * 500  # ~500 tokens
    session.load_dict({"version": 1, "current": "default", "chats": [{
        "name": "default", "system": None, "options": {},
        "turns": [{"prompt": f"{n} {words}", "cell_id": f"c{n}",
                   "reply": {"text": words, "status": "FINAL", "model": "yandexgpt", "model_version": "",
                             "elapsed": 0.1, "usage": {}}} for n in range(12)]}]})
    panel = show_panel(session, lambda: client, settings=lambda: Settings(model="llama-lite"))  # 8,192 tokens
    send(panel, "And the sea?")
    assert panel.wait(15)
    sent = [r for r in ygpt_server.requests if r.method == "Completion"][-1]
    assert sent.model_uri.endswith("/llama-lite/latest"), "YGptMagics.model applies to the panel"
    assert 2 < len(sent.messages) < 2 * 12 + 1, "old turns left out to fit llama-lite's context"
    assert sent.messages[-1] == {"role": "user", "text": "And the sea?"}
    assert len(session.chat().turns) == 13, "trimming never deletes turns"
    panel.close()


def test_the_panel_follows_configure_and_reset(session, client, panel):
    session.configure(temperature=0.2, model="yandexgpt-lite", format="text")
    assert panel.controls.temperature.value == pytest.approx(0.2)
    assert panel.controls.model.value == "yandexgpt-lite"
    assert panel.controls.format.value == "text"

    cell(session, client, "Hello")
    assert len(bubbles(panel)) == 2
    session.reset()
    assert bubbles(panel) == []
    assert panel.controls.totals.value.startswith("0 turns")


def test_send_streams_the_reply_from_the_server(session, client, ygpt_server):
    panel = show_panel(session, lambda: client, settings=Settings)
    ygpt_server.faults.latency(0.02)
    send(panel, "Tell me about the sea")
    assert panel.input.value == ""
    assert panel.send_button.disabled and not panel.stop_button.disabled
    assert "waiting for yandexgpt" in panel.status.value  # the spinner until the first chunk
    assert panel.wait(15)

    chat = session.chat()
    assert [turn.prompt for turn in chat.turns] == ["Tell me about the sea"]
    shown = bubbles(panel)
    assert shown[0] == ("user", "Tell me about the sea")
    assert read(chat.turns[0].reply.text) in shown[1][1]
    assert ygpt_server.requests[-1].messages[-1] == {"role": "user", "text": "Tell me about the sea"}
    assert ygpt_server.requests[-1].stream
    assert not panel.send_button.disabled and panel.stop_button.disabled
    assert panel.status.value == ""
    panel.close()


def test_stop_keeps_the_partial_text_marked_and_out_of_the_history(session, client, panel, ygpt_server):
    cell(session, client, "First question")
    ygpt_server.faults.latency(0.1)
    send(panel, "Tell me about the sea")
    until(lambda: panel._live is not None and panel._live[0].text)
    panel.stop_button.click()
    assert panel.wait(10)
    ygpt_server.faults.clear()   # the turns below need no latency: 2.5 s of waiting otherwise

    assert [turn.prompt for turn in session.chat().turns] == ["First question"]
    shown = bubbles(panel)
    assert shown[2] == ("user", "Tell me about the sea")
    assert "interrupted" in shown[3][1] and "not added to the chat" in shown[3][1]
    assert not panel.send_button.disabled
    # the next turn goes below the kept partial reply; a reset clears it too
    cell(session, client, "Next")
    assert [who for who, _ in bubbles(panel)] == ["user", "assistant"] * 3
    session.reset()
    assert bubbles(panel) == []


def test_an_error_is_one_line_and_the_history_is_kept(session, client, panel, ygpt_server):
    cell(session, client, "First question")
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", message="the request is malformed")
    send(panel, "Second question")
    assert panel.wait(10)

    assert [turn.prompt for turn in session.chat().turns] == ["First question"]
    assert len(bubbles(panel)) == 2
    assert panel.status.value.startswith('<span class="ygpt-error">⚠ ')
    assert "Traceback" not in panel.status.value and "\n" not in panel.status.value
    assert panel.input.value == "Second question"  # ready to send again
    send(panel, panel.input.value)
    assert panel.wait(10)
    assert [turn.prompt for turn in session.chat().turns] == ["First question", "Second question"]
    assert panel.status.value == ""


@pytest.mark.slow
def test_two_panels_on_one_chat_stay_in_sync(session, client, ygpt_server):
    first = show_panel(session, lambda: client, chat="translator", settings=Settings)
    second = show_panel(session, lambda: client, chat="translator")
    other = show_panel(session, lambda: client)

    first.controls.temperature.value = 0.6
    assert second.controls.temperature.value == pytest.approx(0.6)
    assert other.chat_name == "default" and session.chat("default").options.temperature is None

    ygpt_server.faults.latency(0.05)
    send(first, "Tell me about the sea")
    until(lambda: second._live is not None and second._live[0].text)
    assert second.send_button.disabled and not second.stop_button.disabled
    send(second, "Interrupting question")  # one request in flight per chat
    assert "still answering" in second.status.value
    assert first.wait(15)

    assert bubbles(first) == bubbles(second)
    assert len(bubbles(first)) == 2 and bubbles(other) == []
    assert "translator" in other.controls.chat.options
    for panel in (first, second, other):
        panel.close()


def test_chat_selector_switches_and_creates_chats(session, client, panel, tmp_path, monkeypatch):
    cell(session, client, "Hello", chat="default")
    panel.controls.new_chat.value = "no"   # what the box syncs when the user clicks elsewhere
    assert panel.chat_name == "default" and list(session.chats) == ["default"]
    panel.controls.new_chat.value = "notes" + SUBMIT_MARK   # Enter, as the page's key hook says it
    assert panel.chat_name == "notes" and "notes" in session.chats
    assert panel.controls.new_chat.value == ""
    assert bubbles(panel) == []
    panel.controls.chat.value = "default"
    assert panel.chat_name == "default" and len(bubbles(panel)) == 2

    monkeypatch.chdir(tmp_path)
    panel.controls.export.click()
    exported = tmp_path / "ygpt-chat-default.md"
    assert "Hello" in exported.read_text(encoding="utf-8")
    assert str(exported) in panel.status.value


def test_export_writes_through_a_link_and_refuses_a_device(session, client, panel, tmp_path, monkeypatch):
    cell(session, client, "Hello", chat="default")
    monkeypatch.chdir(tmp_path)
    exported = tmp_path / "ygpt-chat-default.md"
    exported.symlink_to("/dev/null")   # a link, so that even as root the old code harms nothing
    panel.controls.export.click()
    assert "is a device, not a regular file" in html.unescape(panel.status.value)
    assert exported.is_symlink() and [p.name for p in tmp_path.iterdir()] == [exported.name]
    exported.unlink()
    (tmp_path / "mine.md").write_text("an old export")
    exported.symlink_to(tmp_path / "mine.md")
    panel.controls.export.click()
    assert exported.is_symlink() and "Hello" in (tmp_path / "mine.md").read_text(encoding="utf-8")


def test_russian_chats_export_to_files_named_after_them_and_none_replaces_another(session, client, panel,
                                                                                    tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chats = {"переводчик": "Переведи: hello", "мои отзывы": "Оцени отзыв: отлично",
             "мои/отзывы": "Второй чат, то же имя файла"}
    for name, prompt in chats.items():
        cell(session, client, prompt, chat=name)
        panel.controls.chat.value = name
        panel.controls.export.click()
        assert prompt in read_export(panel)
    assert {p.name for p in tmp_path.iterdir()} == {
        "ygpt-chat-переводчик.md", "ygpt-chat-мои-отзывы.md", "ygpt-chat-мои-отзывы-2.md"}
    cell(session, client, "Ещё раз", chat="мои отзывы")
    panel.controls.chat.value = "мои отзывы"
    panel.controls.export.click()   # a chat's own earlier export is brought up to date
    assert "Ещё раз" in (tmp_path / "ygpt-chat-мои-отзывы.md").read_text(encoding="utf-8")
    assert len(list(tmp_path.iterdir())) == 3


def test_export_keeps_the_vowel_signs_of_a_chats_name(session, panel, tmp_path, monkeypatch):
    """Devanagari and Tamil write vowels as combining marks, Hebrew and Arabic their points: a
    file name without them cannot be read (findings/panel2 5: ygpt-chat-ह-न-द-अन-व-द.md)."""
    monkeypatch.chdir(tmp_path)
    for name, file in (("हिन्दी अनुवाद", "ygpt-chat-हिन्दी-अनुवाद.md"), ("தமிழ்", "ygpt-chat-தமிழ்.md"),
                       ("עִבְרִית", "ygpt-chat-עִבְרִית.md"), ("العَرَبِيَّة", "ygpt-chat-العَرَبِيَّة.md")):
        session.chat(name)
        panel.controls.chat.value = name
        panel.controls.export.click()
        assert f"/{file}</code>" in html.unescape(panel.status.value), panel.status.value


def read_export(panel: ChatPanel) -> str:
    """The file the status line says the panel exported to."""
    shown = html.unescape(panel.status.value)
    return open(shown.split("<code>")[1].split("</code>")[0], encoding="utf-8").read()


def test_a_panel_without_chat_follows_the_current_chat(session, client, panel):
    session.chat("work")
    session.current = "work"
    assert panel.chat_name == "work"
    panel.controls.chat.value = "default"  # picked by hand: stays there
    session.current = "work"
    assert panel.chat_name == "default"
