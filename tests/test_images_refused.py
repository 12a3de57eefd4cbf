"""`%%ygpt --image`: what is refused before anything is sent, and the chat API's failures.

Each bad name, value, model or address gives one clear paragraph, with nothing sent and the chat
unchanged; a refusal or a broken stream over the chat API keeps the chat.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell
from IPython.display import Image as IPythonImage
from pictures import MODEL, pics, png_bytes, short_hash, turns  # noqa: F401 (pics: a fixture)
from PIL import Image

from ygpt_magic import errors

BAD = [
    ("nosuch", None, "no variable named 'nosuch' and no file at that path"),
    ("photo", b"hello, not a picture", "is not an image Pillow can read"),
    ("photo", {"a": 1}, "'photo' is a dict, which is not a picture"),
    ("photo", np.zeros((4, 3, 3), dtype=np.uint8),
     "'photo' is an ndarray, which is not a picture. If it holds pixels (uint8, height × width [× 3 or 4]), "
     "send PIL.Image.fromarray(photo);"),
    ("photo", 7, "'photo' is an int, which is not a picture"),
    ("photo", "/no/such/file.png", "'/no/such/file.png' is not a file"),
    ("photo", IPythonImage(url="http://127.0.0.1:9/x.png"), "holds a URL, not the picture"),
    ("Out[999999]", None, "cell 999999 has no output"),
    ("photo,", png_bytes(), "has an empty name"),
]


@pytest.mark.parametrize("name, value, words", BAD, ids=[words.split()[0] for _, _, words in BAD])
def test_a_bad_name_or_value_is_refused_before_sending(pics, magics, ygpt_server, name, value, words):
    if value is not None:
        pics.user_ns["photo"] = value
    cell(pics, "%%ygpt\nhello")
    before, kept = len(ygpt_server.requests), list(turns(magics))
    run = cell(pics, f"%%ygpt --image {name} --model {MODEL}\nWhat is this?")
    assert words in run.message, run.message
    assert "\n" not in run.message and len(ygpt_server.requests) == before
    assert list(turns(magics)) == kept
    assert_clean(run)


def test_an_image_out_after_reset_says_the_output_history_was_cleared_not_that_the_cell_had_none(
        pics, magics, ygpt_server):
    """--image Out[N] after %reset -f said "cell N has no output", though the picture showed under
    cell N; it says what {Out[N]} says there (context/cells.py: NotebookCells.lost_output)."""
    pics.user_ns["photo"] = Image.new("RGB", (40, 30), (9, 9, 9))
    number = pics.execution_count
    assert cell(pics, "photo").ok
    assert cell(pics, "%reset -f").ok
    before = len(ygpt_server.requests)
    run = cell(pics, f"%%ygpt --once --image Out[{number}] --model {MODEL}\nWhat is this?")
    message = assert_clear_error(run, f"--image Out[{number}]: the output of cell {number} is no longer in Out",
                                 "IPython's output history was cleared since it ran (%reset does that",
                                 f"Run cell {number} again and use the N of its new Out[N]",
                                 error_type=errors.ImageError)
    assert "has no output" not in message
    assert len(ygpt_server.requests) == before


def test_a_model_that_takes_no_images_is_refused_before_sending(pics, magics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    before = len(ygpt_server.requests)
    run = cell(pics, "%%ygpt --image png\nWhat colour is it?")
    assert "The model 'yandexgpt' does not take images" in run.message
    assert f"--model {MODEL}" in run.message and len(ygpt_server.requests) == before
    assert turns(magics) == []


def test_deferred_mode_is_refused_with_pictures(pics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    run = cell(pics, f"%%ygpt --deferred --image png --model {MODEL}\nWhat colour is it?")
    assert "no deferred mode; drop --deferred" in run.message


def test_a_server_without_a_chat_api_address_is_refused_before_sending(shell, magics, ygpt_server):
    shell.user_ns["png"] = png_bytes()
    before = len(ygpt_server.requests)
    run = cell(shell, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
    assert f"{ygpt_server.address} has no HTTP address set" in run.message
    assert "--http http://HOST:HTTP_PORT" in run.message and len(ygpt_server.requests) == before
    shell.user_ns.pop("png")


def test_the_connect_a_missing_chat_api_address_advises_works_in_the_running_kernel(shell, ygpt_server):
    """findings/advice.md F2: it said "or set YGPT_HTTP_ENDPOINT", which a running kernel reads
    only at %ygpt connect, and its command dropped the --insecure of the connection (TLS then
    fails). The command it gives, with the server's address filled in, lets the picture go."""
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.user_ns["png"] = png_bytes()
    asked = f"%%ygpt --once --image png --model {MODEL}\nWhat colour is it?"
    message = cell(shell, asked).message
    advised = re.search(r"%ygpt (connect \S+ --insecure --http) http://HOST:HTTP_PORT", message)
    assert advised, message
    assert "only when it is set before the kernel starts" in message, message
    shell.run_line_magic("ygpt", f"{advised[1]} {ygpt_server.http_url}")
    run = cell(shell, asked)
    assert run.ok, run.message
    assert ygpt_server.requests[-1].images
    shell.user_ns.pop("png")


def test_the_chat_api_address_comes_from_the_environment(shell, ygpt_server, clean_env):
    clean_env.setenv("YGPT_HTTP_ENDPOINT", ygpt_server.http_url)
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.user_ns["png"] = png_bytes()
    run = cell(shell, f"%%ygpt --once --image png --model {MODEL}\nWhat colour is it?")
    assert run.ok, run.message
    assert ygpt_server.requests[-1].images
    shell.user_ns.pop("png")


@pytest.mark.parametrize("line, words", [
    ("connect local --http http://127.0.0.1:1", "--http is for a HOST:PORT server"),
    ("connect 127.0.0.1:5 --http ftp://x", "is not the HTTP address of a server"),
    ("connect --http http://127.0.0.1:1", "--http goes with the server it belongs to"),
])
def test_connect_refuses_a_bad_http_address(pics, line, words):
    assert words in cell(pics, f"%ygpt {line}").message


def test_a_refusal_over_the_chat_api_is_one_clear_paragraph(pics, magics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    ygpt_server.faults.fail_next(1, "PERMISSION_DENIED")
    run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
    assert "has no permission" in run.message and "\n" not in run.message
    assert turns(magics) == []
    assert_clean(run)
    assert cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?").ok


def test_a_stream_broken_over_the_chat_api_keeps_the_chat(pics, magics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    ygpt_server.faults.break_stream_after(2, "UNAVAILABLE")
    run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
    assert "The reply stream broke off after 2 chunks" in run.message and "\n" not in run.message
    assert "stopped — not added to the chat" in run.final and turns(magics) == []
    assert_clean(run)


@pytest.mark.slow
def test_a_stalled_stream_over_the_chat_api_names_its_address(pics, magics, ygpt_server):
    """Said of the chat API's address, and --no-stream offered: that API has no deferred mode."""
    pics.user_ns["png"] = png_bytes()
    pics.run_line_magic("config", "YGptMagics.stream_timeout = 1")
    ygpt_server.faults.stall_after(1, 3.0)
    run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
    assert f"The reply stream from {ygpt_server.http_url}/v1/ went silent for 1 s" in run.message
    assert "or use --no-stream" in run.message and "--deferred" not in run.message
    assert turns(magics) == []
    assert_clean(run)


PLACEHOLDER = {"name": "x", "format": "png", "width": 1, "height": 1, "bytes": 1, "sha256": "ab"}   # a valid one


@pytest.mark.parametrize("images_field, words", [
    ([{**PLACEHOLDER, "format": "gif"}], "format should be one of png, jpeg"),
    ([{**PLACEHOLDER, "width": -1}], "negative size"),
    ([{**PLACEHOLDER, "data": "iVBOR"}], "unknown field(s) data"),
    ("not a list", "should be a list"),
])
def test_load_refuses_a_malformed_picture_placeholder(pics, magics, tmp_path, images_field, words):
    turn = {"prompt": "p", "cell_id": None, "images": images_field,
            "reply": {"text": "t", "status": "FINAL", "model": MODEL, "model_version": "", "elapsed": 0.1,
                      "usage": {}}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": 1, "current": "default",
                                "chats": [{"name": "default", "system": None, "options": {}, "turns": [turn]}]}))
    cell(pics, "%%ygpt\nhello")
    kept = list(turns(magics))
    run = cell(pics, f"%ygpt load {path}")
    assert words in run.message and list(turns(magics)) == kept


def test_the_tutorial_sends_its_chart_and_then_only_the_placeholder(pics, magics, ygpt_server):
    """notebooks/08_images.ipynb, cell by cell against the server: what nbval cannot see."""
    notebook = json.loads((Path(__file__).resolve().parent.parent / "notebooks" / "08_images.ipynb")
                          .read_text(encoding="utf-8"))
    sent = {}
    for source in ("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"):
        run = cell(pics, source)
        assert run.ok, run.message
        if source.startswith("%%ygpt"):
            sent[source.partition("\n")[2]] = ygpt_server.requests[-1]
    chart, follow_up = sent.values()
    [picture] = chart.images
    assert picture["format"] == "png" and picture["bytes"] > 10_000
    [info] = turns(magics)[0].images
    assert (info.width, info.height, info.size, info.sha256) == (600, 350, picture["bytes"], picture["sha256"])
    assert follow_up.images == [] and f"sha256 {info.sha256}" in follow_up.messages[0]["text"]
    assert "April" in turns(magics)[1].reply.text  # the scripted replies of scripts/images.json


def test_the_local_target_uses_its_own_http_side(shell, magics):
    """`%ygpt connect local`: the in-kernel server's chat API, with nothing to configure."""
    shell.run_line_magic("ygpt", "connect local")
    shell.user_ns["png"] = png_bytes()
    run = cell(shell, f"%%ygpt --once --image png --model {MODEL}\nWhat colour is it?")
    assert run.ok, run.message
    server = magics.kernel.connection._server
    assert server.requests[-1].images[0]["sha256"] == short_hash(shell.user_ns.pop("png"))
    assert f"chat API      {server.http_url}/v1/" in cell(shell, "%ygpt whoami").plain


def test_a_chat_api_address_where_nothing_listens_fails_fast(shell, ygpt_server):
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http http://127.0.0.1:9")
    shell.run_line_magic("config", "YGptMagics.connect_timeout = 1")
    shell.user_ns["png"] = png_bytes()
    assert cell(shell, "%%ygpt --once\nhello").ok  # the gRPC side answers (and was probed)
    run = cell(shell, f"%%ygpt --once --image png --model {MODEL}\nWhat colour is it?")
    assert "Could not reach the server at http://127.0.0.1:9/v1/: nothing accepts connections" in run.message
    assert_clean(run)
    shell.user_ns.pop("png")


def test_an_https_chat_api_address_of_a_plaintext_server_says_to_give_it_with_http(shell, ygpt_server):
    plain = ygpt_server.http_url
    https = plain.replace("http://", "https://", 1)
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {https}")
    shell.user_ns["png"] = png_bytes()
    run = cell(shell, f"%%ygpt --once --image png --model {MODEL}\nWhat colour is it?")
    assert f"The TLS handshake with the server at {https}/v1/ failed: the server there does not speak TLS" \
        in run.message
    assert f"%ygpt connect HOST:PORT --http {plain}/v1/" in run.message and "--insecure" not in run.message
    assert_clean(run)
    shell.user_ns.pop("png")


def test_without_pillow_the_message_names_the_extra(pics, monkeypatch):
    pics.user_ns["png"] = png_bytes()
    monkeypatch.setitem(sys.modules, "PIL", None)  # what `import PIL` meets where it is not installed
    run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
    assert "--image needs Pillow" in run.message and "pip install Pillow" in run.message
