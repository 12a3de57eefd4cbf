"""A model given with the user's folder id in its URI (``gpt://<folder>/…``, ``emb://<folder>/…``,
``cls://<folder>/…``) is named without it in every line the user reads (modelname.py ``short``):
the folder id is the user's own, and each of these lines lands in the saved notebook. The footer,
the dry-run heads and the batch lines already named it so (test_model_folder_shown.py); these
printed the URI whole. Through the real shell and the local server, with a canary folder id."""

from __future__ import annotations

import signal
import threading

import comm
import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell
from test_panel import RecordingComm

from ygpt_magic.chat import ChatSession
from ygpt_magic.client import Client
from ygpt_magic.client.settings import ClientSettings
from ygpt_magic.panel import show_panel

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

CANARY = "b1gCanaryFolderXX"
GPT = f"gpt://{CANARY}/yandexgpt/latest"
TUNED = f"cls://{CANARY}/yandexgpt-lite/rc@tamrap1sjscq6e9flit3p"


def seen(run) -> str:
    """Everything the cell shows: its outputs, streams and error."""
    return run.shown + run.message


def test_a_max_tokens_over_the_context_names_the_model_without_its_folder(shell, ygpt_server):
    run = cell(shell, f"%%ygpt --model {GPT} --max-tokens 40000\nhello")
    assert "max_tokens is 40000, but yandexgpt/latest's context holds 32,768" in run.message, run.message
    assert CANARY not in seen(run)


def test_a_prompt_too_long_for_the_context_names_the_model_without_its_folder(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 20")
    run = cell(shell, f"%%ygpt --model {GPT}\n" + "A rather long question about rivers and lakes. " * 5)
    assert "all that yandexgpt/latest's context holds" in run.message, run.message
    assert CANARY not in seen(run)


def test_a_model_not_found_is_named_without_its_folder_and_the_folder_is_said_to_check(shell, ygpt_server):
    run = cell(shell, f"%%ygpt --model gpt://{CANARY}/nosuchmodel/latest\nhello")
    assert "The model 'nosuchmodel/latest' was not found" in run.message, run.message
    assert "The URI names a folder too: if the name is right, check the folder id in it." in run.message
    assert CANARY not in seen(run)


def test_an_embed_dry_run_names_an_emb_uri_without_its_folder(shell, ygpt_server):
    shell.user_ns["docs"] = ["Cats sleep a lot.", "Dogs bark."]
    run = cell(shell, f"%ygpt embed docs --model emb://{CANARY}/text-search-doc/latest --dry-run")
    assert run.ok, run.message
    assert "Dry run (embed, model text-search-doc/latest): 2 texts to embed" in run.shown, run.shown
    assert CANARY not in seen(run)


def test_a_tuned_classifiers_footer_and_refusal_name_it_without_its_folder(shell, ygpt_server):
    run = cell(shell, f"%%ygpt --model {TUNED}\nhello")
    assert run.ok, run.message
    assert "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p" in run.shown, run.shown
    refused = cell(shell, f"%%ygpt --model {TUNED} --labels a,b\nhello")
    assert "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p is a tuned classifier" in refused.message, refused.message
    assert CANARY not in seen(run) + seen(refused)


def test_ygpt_chats_names_the_chats_model_without_its_folder(shell, ygpt_server):
    assert cell(shell, f"%ygpt config --model {GPT}").ok
    run = cell(shell, "%ygpt chats")
    assert "yandexgpt/latest" in run.plain, run.plain
    assert CANARY not in seen(run)


def test_the_panels_model_list_names_a_uri_without_its_folder(ygpt_server, monkeypatch):
    """The dropdown's labels are in the widget state a saved notebook keeps; its value, what the
    chat asks, keeps the URI."""
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))
    session = ChatSession()
    session.configure("default", model=GPT)
    client = Client(endpoint=ygpt_server.address, local=True, settings=ClientSettings(retries=0))
    panel = show_panel(session, lambda: client)
    try:
        labels = [label for label, _ in panel.controls.model.options]
        assert "yandexgpt/latest" in labels and panel.controls.model.value == GPT
        assert not any(CANARY in label for label in labels), labels
    finally:
        panel.close()
        client.close()


def test_pictures_for_a_model_without_them_name_it_without_its_folder(shell, ygpt_server):
    from PIL import Image

    shell.user_ns["photo"] = Image.new("RGB", (8, 8))
    run = cell(shell, f"%%ygpt --model {GPT} --image photo\nWhat is this?")
    assert "The model 'yandexgpt/latest' does not take images" in run.message, run.message
    assert CANARY not in seen(run)


@pytest.mark.slow
def test_the_token_counting_line_names_the_model_without_its_folder(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 2500")
    for i in range(1, 41):
        assert cell(shell, f"%%ygpt --chat main\nStep {i}: segment S{i} left after {i} months; what next?",
                    cell_id=f"t{i}").ok
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=0.4)
    run = cell(shell, f"%%ygpt --chat main --model gpt://{CANARY}/yandexgpt-lite/latest\nAnd cheaper?",
               cell_id="lite")
    assert run.ok, run.message
    lines = [str(output["data"]) for output in run.outputs if "counting the tokens of" in str(output["data"])]
    assert lines and "of chat 'main' for yandexgpt-lite/latest, once" in lines[0], lines
    assert CANARY not in seen(run)


@pytest.mark.slow
def test_a_batch_job_stopped_before_it_was_known_names_the_model_without_its_folder(shell, ygpt_server):
    """Ctrl-C twice while the service holds back its answer to the job's start: 'A batch job on
    … may have started'."""
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns["words"] = ["one", "two", "three"]
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=5)
    ended = threading.Event()

    def press_twice() -> None:
        if held.wait(10):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            if not ended.wait(0.3):
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    presser = threading.Thread(target=press_twice)
    presser.start()
    run = cell(shell, f"%%ygpt --map words --batch -m gpt://{CANARY}/gemma-3-12b-it/latest --out spelled\n"
                      f"Spell {{item}}")
    ended.set()
    presser.join()
    assert "A batch job on gemma-3-12b-it/latest may have started" in run.message, run.message
    assert CANARY not in seen(run)
