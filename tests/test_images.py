"""`%%ygpt --image NAME`: pictures go with the cell to a multimodal model over the SDK's chat API.

Every test runs cells in a real shell against the local server (its HTTP side answers the chat
API) and asserts what the user sees and what the server received: the picture's format, size and
hash (`server.requests[-1].images`), the placeholder the chat keeps, and, for each bad input, a
clear message with nothing sent and the chat unchanged.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import Image as IPythonImage  # noqa: E402
from PIL import Image  # noqa: E402

from cellrun import assert_clean  # noqa: E402
from conftest import cell  # noqa: E402
from ygpt_magic import images  # noqa: E402

MODEL = "gemma-3-27b-it"


@pytest.fixture
def pics(shell, ygpt_server):
    """The test shell with the local server's chat API given, as a user of `ygpt-magic serve` would."""
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    yield shell
    for name in ("fig", "ax", "photo", "png", "jpeg", "path", "shown", "notes"):
        shell.user_ns.pop(name, None)
    plt.close("all")


def png_bytes(width: int = 64, height: int = 48, color=(30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def chart():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([1, 3, 2, 5])
    return fig, ax


def turns(magics):
    return magics.session.chat().turns


# -- what goes out ---------------------------------------------------------------------------


def test_a_figure_goes_to_the_model_streamed_and_rendered_like_any_reply(pics, magics, ygpt_server):
    pics.user_ns["fig"], _ = chart()
    run = cell(pics, f"%%ygpt --image fig --model {MODEL}\nWhat does this chart show?")
    assert run.ok, run.message
    assert_clean(run)
    request = ygpt_server.requests[-1]
    assert request.stream and request.messages == [{"role": "user", "text": "What does this chart show?"}]
    [sent] = request.images
    turn = turns(magics)[-1]
    [info] = turn.images
    assert (sent["format"], sent["bytes"], sent["sha256"]) == ("png", info.size, info.sha256)
    assert (info.name, info.width, info.height) == ("fig", 400, 300)
    assert run.updates > 2  # streamed: the first display, updates, the final form
    assert f"<sub>{MODEL} · " in run.final  # the footer, as for any reply
    assert pics.user_ns["_ygpt"].usage.input_tokens >= 256  # the picture's tokens, counted by the server


def test_later_cells_send_the_placeholder_not_the_picture_again(pics, magics, ygpt_server):
    pics.user_ns["fig"], _ = chart()
    cell(pics, f"%%ygpt --image fig --model {MODEL}\nWhat does this chart show?")
    info = turns(magics)[-1].images[0]
    run = cell(pics, f"%%ygpt --model {MODEL}\nWhich point is highest?")
    assert run.ok, run.message
    request = ygpt_server.requests[-1]
    assert request.images == []
    first = request.messages[0]["text"]
    assert first.startswith("What does this chart show?\n\n[image 'fig': PNG 400×300")
    assert f"sha256 {info.sha256}" in first and "not sent again" in first
    assert "base64" not in json.dumps(request.messages)


@pytest.mark.parametrize("kind", ["pil", "png_bytes", "bytesio", "jpeg_bytes", "str_path", "path_name",
                                  "ipython", "axes", "out"])
def test_every_kind_of_value_is_sent_as_png_or_jpeg(pics, ygpt_server, tmp_path, kind):
    png = png_bytes()
    jpeg = io.BytesIO()
    Image.new("RGB", (50, 40), (200, 10, 10)).save(jpeg, format="JPEG")
    file = tmp_path / "picture.png"
    file.write_bytes(png)
    values = {"pil": Image.new("RGBA", (30, 20)), "png_bytes": png, "bytesio": io.BytesIO(png),
              "jpeg_bytes": jpeg.getvalue(),
              "str_path": str(file), "ipython": IPythonImage(filename=str(file)), "axes": chart()[1]}
    if kind == "path_name":
        name = str(file)
    elif kind == "out":
        pics.run_cell("shown = 1", store_history=True)
        pics.user_ns["Out"][4242] = IPythonImage(data=png)
        name = "Out[4242]"
    else:
        name = "photo"
        pics.user_ns["photo"] = values[kind]
    run = cell(pics, f"%%ygpt --once --image {name} --model {MODEL}\nDescribe the picture.")
    pics.user_ns["Out"].pop(4242, None)
    assert run.ok, run.message
    [sent] = ygpt_server.requests[-1].images
    assert sent["format"] == ("jpeg" if kind == "jpeg_bytes" else "png")
    if kind in ("png_bytes", "bytesio", "str_path", "path_name", "ipython", "out"):
        assert (sent["bytes"], sent["sha256"]) == (len(png), short_hash(png))  # sent as given


def test_several_pictures_in_one_cell(pics, magics, ygpt_server):
    pics.user_ns["fig"], _ = chart()
    pics.user_ns["png"] = png_bytes()
    run = cell(pics, f"%%ygpt --image fig,png --model {MODEL}\nCompare them.")
    assert run.ok, run.message
    assert [image["format"] for image in ygpt_server.requests[-1].images] == ["png", "png"]
    assert [info.name for info in turns(magics)[-1].images] == ["fig", "png"]


def test_no_stream_also_goes_over_the_chat_api(pics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    run = cell(pics, f"%%ygpt --once --no-stream --image png --model {MODEL}\nWhat colour is it?")
    assert run.ok, run.message
    request = ygpt_server.requests[-1]
    assert not request.stream and request.images[0]["sha256"] == short_hash(pics.user_ns["png"])


def test_a_picture_over_the_size_limit_is_downscaled_and_the_note_says_so(pics, magics, ygpt_server):
    pics.user_ns["photo"] = Image.new("RGB", (3000, 1500), (10, 200, 30))
    run = cell(pics, f"%%ygpt --image photo --model {MODEL}\nWhat is this?")
    assert run.ok, run.message
    info = turns(magics)[-1].images[0]
    assert (info.width, info.height) == (images.MAX_SIDE, images.MAX_SIDE // 2)
    note = f"🖼 Image 'photo' was 3000×1500"
    assert note in run.final and f"sent downscaled to {images.MAX_SIDE}×{images.MAX_SIDE // 2}" in run.final
    assert run.final.index(note) < run.final.index(MODEL)  # above the reply and its footer
    assert ygpt_server.requests[-1].images[0]["bytes"] == info.size


def test_a_picture_over_the_byte_limit_is_made_smaller_until_it_fits(pics, ygpt_server, monkeypatch):
    monkeypatch.setattr(images, "MAX_BYTES", 20_000)
    pics.user_ns["photo"] = Image.frombytes("RGB", (300, 300), random.Random(1).randbytes(300 * 300 * 3))
    run = cell(pics, f"%%ygpt --once --image photo --model {MODEL}\nWhat is this?")
    assert run.ok, run.message
    assert "sent downscaled to" in run.final
    assert ygpt_server.requests[-1].images[0]["bytes"] <= 20_000


def test_another_format_pillow_reads_is_sent_as_png(pics, ygpt_server):
    gif = io.BytesIO()
    Image.new("P", (20, 20)).save(gif, format="GIF")
    pics.user_ns["photo"] = gif.getvalue()
    run = cell(pics, f"%%ygpt --once --image photo --model {MODEL}\nWhat is this?")
    assert run.ok, run.message
    assert "🖼 Image 'photo' is GIF; sent as PNG." in run.final
    assert ygpt_server.requests[-1].images[0]["format"] == "png"


def test_the_scripted_reply_answers_over_the_chat_api(pics, ygpt_server):
    """The tutorial's prompt (scripts/images.json) gets its scripted reply with a picture."""
    scripts = Path(images.__file__).parent / "emulator" / "scripts" / "images.json"
    entry = json.loads(scripts.read_text(encoding="utf-8"))["replies"][0]
    pics.user_ns["fig"], _ = chart()
    run = cell(pics, f"%%ygpt --once --image fig --model {MODEL}\n{entry['user']}")
    assert run.ok, run.message
    assert pics.user_ns["_ygpt"].text == entry["reply"]
    assert ygpt_server.requests[-1].images


# -- what the chat keeps -------------------------------------------------------------------------


def test_save_load_and_export_keep_the_placeholder_not_the_bytes(pics, magics, ygpt_server, tmp_path):
    pics.user_ns["photo"] = Image.new("RGB", (800, 600), (1, 2, 3))
    cell(pics, f"%%ygpt --image photo --model {MODEL}\nWhat is this?")
    info = turns(magics)[-1].images[0]
    saved, exported = tmp_path / "chats.json", tmp_path / "chat.md"
    assert cell(pics, f"%ygpt save {saved}").ok and cell(pics, f"%ygpt export {exported}").ok
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["chats"][0]["turns"][0]["images"] == [info.to_dict()]
    assert data["version"] == 2  # a version-1 reader refuses it by its version, not a stray field
    assert saved.stat().st_size < 3_000  # the picture is several KB; the file holds none of it
    assert f"🖼 image 'photo': PNG 800×600, {info.size:,} bytes, sha256 {info.sha256}" in exported.read_text()
    cell(pics, "%ygpt reset")
    assert cell(pics, f"%ygpt load {saved}").ok
    assert turns(magics)[-1].images == (info,)
    history = cell(pics, "%ygpt history").shown
    assert "[image 'photo': PNG 800×600" in history


def test_dry_run_shows_the_picture_described_and_sends_nothing(pics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    before = len(ygpt_server.requests)
    run = cell(pics, f"%%ygpt --image png --model {MODEL} --dry-run\nWhat colour is it?")
    assert run.ok, run.message
    assert "+ 256 for 1 image. Nothing was sent." in run.plain
    assert "'png': PNG 64×48" in run.plain and "base64" not in run.shown
    assert all(r.method.startswith("Tokenize") for r in ygpt_server.requests[before:])


def test_models_marks_the_models_that_take_images(pics):
    table = cell(pics, "%ygpt models").plain
    [gemma] = [line for line in table.splitlines() if line.startswith(MODEL)]
    assert gemma.rstrip().endswith("yes")
    [pro] = [line for line in table.splitlines() if line.startswith("* yandexgpt ")]
    assert not pro.rstrip().endswith("yes")


def test_whoami_names_the_chat_api(pics, ygpt_server):
    assert f"chat API      {ygpt_server.http_url}/v1/" in cell(pics, "%ygpt whoami").plain


# -- bad input: a clear message, nothing sent, the chat unchanged ------------------------------


BAD = [
    ("nosuch", None, "no variable named 'nosuch' and no file at that path"),
    ("photo", b"hello, not a picture", "is not an image Pillow can read"),
    ("photo", {"a": 1}, "'photo' is a dict, which is not a picture"),
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


@pytest.mark.parametrize("images_field, words", [
    ([{"name": "x", "format": "gif", "width": 1, "height": 1, "bytes": 1, "sha256": "ab"}], "format should be one of png, jpeg"),
    ([{"name": "x", "format": "png", "width": -1, "height": 1, "bytes": 1, "sha256": "ab"}], "negative size"),
    ([{"name": "x", "format": "png", "width": 1, "height": 1, "bytes": 1, "sha256": "ab", "data": "iVBOR"}], "unknown field(s) data"),
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
    server = magics.connection._server
    assert server.requests[-1].images[0]["sha256"] == short_hash(shell.user_ns.pop("png"))
    assert f"chat API      {server.http_url}/v1/" in cell(shell, "%ygpt whoami").plain


def test_a_chat_api_address_where_nothing_listens_fails_fast(shell, ygpt_server):
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http http://127.0.0.1:9")
    shell.run_line_magic("config", "YGptMagics.connect_timeout = 1")
    shell.user_ns["png"] = png_bytes()
    assert cell(shell, "%%ygpt --once\nhello").ok  # the gRPC side answers (and was probed)
    run = cell(shell, f"%%ygpt --once --image png --model {MODEL}\nWhat colour is it?")
    assert "Could not reach the server at http://127.0.0.1:9/v1/ within 1 s" in run.message
    assert_clean(run)
    shell.user_ns.pop("png")


def test_without_pillow_the_message_names_the_extra(pics, monkeypatch):
    pics.user_ns["png"] = png_bytes()
    monkeypatch.setitem(sys.modules, "PIL", None)  # what `import PIL` meets where it is not installed
    run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
    assert "--image needs Pillow" in run.message and "pip install 'ygpt-magic[data]'" in run.message


def test_out_of_a_picture_in_the_text_is_sent_as_a_picture(pics, magics, ygpt_server):
    """`{Out[N]}` whose output is a picture goes as a picture; the text says where it was."""
    pics.user_ns["photo"] = Image.new("RGB", (40, 30), (9, 9, 9))
    shown = cell(pics, "photo")  # a cell whose output (Out[N]) is the PIL image
    number = pics.execution_count - 1
    assert shown.ok and pics.user_ns["Out"][number] is pics.user_ns["photo"]
    run = cell(pics, f"%%ygpt --model {MODEL}\nWhat is in {{Out[{number}]}}?")
    assert run.ok, run.message
    request = ygpt_server.requests[-1]
    assert request.messages[-1]["text"] == f"What is in [image Out[{number}]]?"
    assert request.images[0]["format"] == "png"
    assert turns(magics)[-1].images[0].name == f"Out[{number}]"
    assert "a picture, sent with the cell" in run.final  # the note above the reply
    text = cell(pics, f"%%ygpt --once\nWhat is in {{Out[{number}]}}?")
    assert "does not take images" in text.message and "{Out[N]} of a picture" in text.message


@pytest.mark.parametrize("flag", ["--tools colour_of", "--schema Colour"])
def test_pictures_with_tools_or_a_schema_are_refused_before_sending(pics, magics, ygpt_server, flag):
    pics.run_cell('def colour_of(name: str) -> str:\n    """The colour of a thing."""\n    return "blue"\n'
                  'Colour = {"type": "object", "properties": {"colour": {"type": "string"}}}')
    pics.user_ns["png"] = png_bytes()
    before = len(ygpt_server.requests)
    run = cell(pics, f"%%ygpt --image png --model {MODEL} {flag}\nWhat colour is it?")
    assert "Pictures and --tools / --schema do not go together yet" in run.message, run.message
    assert len(ygpt_server.requests) == before and turns(magics) == []
    for name in ("colour_of", "Colour"):
        pics.user_ns.pop(name)


def test_the_panel_shows_that_a_turn_sent_a_picture(pics, ygpt_server):
    from test_panel import bubbles

    pics.user_ns["png"] = png_bytes()
    panel = pics.run_line_magic("ygpt", "panel")
    try:
        assert cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?").ok
        user = bubbles(panel)[0][1]
        assert user.startswith("What colour is it?") and "🖼 image 'png': PNG 64×48" in user
    finally:
        panel.close()
