"""`%%ygpt --image NAME`: pictures go with the cell to a multimodal model over the SDK's chat API.

Every test runs cells in a real shell against the local server (its HTTP side answers the chat
API) and asserts what the user sees and what the server received: the picture's format, size and
hash (`server.requests[-1].images`), the placeholder the chat keeps, and, for each bad input, a
clear message with nothing sent and the chat unchanged.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
import yaml
from cellrun import assert_clean
from conftest import cell
from IPython.display import Image as IPythonImage
from pictures import (  # noqa: F401 (canned_chat_api, pics: fixtures)
    MODEL,
    canned_chat_api,
    chart,
    pics,
    png_bytes,
    short_hash,
    turns,
)
from PIL import Image

from ygpt_magic import emulator
from ygpt_magic.context import images

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
    assert run.updates > 1  # streamed: the text as it came, then the final form
    assert f"<sub>{MODEL} · " in run.displays[-1]["text/html"]  # the footer, as for any reply
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
    note = "🖼 Image 'photo' was 3000×1500"
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
    scripts = Path(emulator.__file__).parent / "scripts" / "images.json"
    entry = json.loads(scripts.read_text(encoding="utf-8"))["replies"][0]
    pics.user_ns["fig"], _ = chart()
    run = cell(pics, f"%%ygpt --once --image fig --model {MODEL}\n{entry['user']}")
    assert run.ok, run.message
    assert pics.user_ns["_ygpt"].text == entry["reply"]
    assert ygpt_server.requests[-1].images


def test_the_footer_has_the_version_the_chat_api_reports_and_the_next_reply_its_own(pics, ygpt_server):
    pics.user_ns["fig"], _ = chart()
    run = cell(pics, f"%%ygpt --image fig --model {MODEL}\nWhat does this chart show?")
    assert run.ok, run.message
    assert f"{MODEL} · local server · unscripted · " in run.plain   # as over gRPC: where it came from
    run = cell(pics, f"%%ygpt --model {MODEL}\nWhich point is highest?")
    assert f"{MODEL} · local server · unscripted · " in run.plain
    assert "23.10.2024" not in run.plain and "yandexgpt" not in run.plain   # not YandexGPT's version


def test_a_cloud_answer_that_names_no_version_says_so_in_the_footer(pics, ygpt_server, recorded_cloud_chat):
    """The cloud's chat API reports only ``gpt://gemma-3-27b-it/latest`` (its recorded answer to a
    picture is served as it was): the footer says the version was not reported."""
    pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {recorded_cloud_chat}")
    pics.user_ns["fig"], _ = chart()
    run = cell(pics, f"%%ygpt --once --no-stream --image fig --model {MODEL}\nWhat is depicted in the following image")
    assert run.ok, run.message
    assert "LEGO Technic" in run.plain and f"{MODEL} · version not reported · " in run.plain
    assert pics.user_ns["_ygpt"].model_version == "version not reported"


@pytest.fixture
def recorded_cloud_chat(canned_chat_api):
    """A server that answers every chat request with the cloud's recorded answer, byte for byte."""
    cassette = emulator_cassette("http_chat/test_multimodal.yaml")
    body = cassette["interactions"][0]["response"]["body"]["string"].encode()
    canned_chat_api.answer(200, "application/json", body)
    return f"{canned_chat_api.url}/v1/"


def emulator_cassette(name: str) -> dict:
    return yaml.safe_load((Path(emulator.__file__).parent / "cassettes" / name).read_text(encoding="utf-8"))


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
    assert "+ 260 for 1 image. Nothing was sent." in run.plain
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


def test_a_picture_after_a_tool_call_in_the_same_chat_carries_the_calls(shell, magics, tmp_path):
    """Tool calls earlier in the chat go over the chat API as the assistant's tool_calls and the
    tool's results, not as a crash in the client blamed on the server."""
    script = tmp_path / "tools.json"
    script.write_text(json.dumps({"replies": [
        {"user": "How did the north do?", "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}}],
         "after_tools": "The north sold {get_sales} units."},
        {"user": "What colour is it?", "reply": "Blue."}]}), encoding="utf-8")
    shell.run_cell('def get_sales(region: str) -> int:\n    """Sales of one region."""\n    return 1204')
    shell.user_ns["png"] = png_bytes()
    with emulator.start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure --http {server.http_url}")
        assert cell(shell, "%%ygpt --tools get_sales\nHow did the north do?").ok
        run = cell(shell, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
        assert run.ok, run.message
        assert_clean(run)
        assert "Blue." in run.plain
        sent = server.requests[-1].messages
    called = [{"name": "get_sales", "arguments": {"region": "north"}}]
    assert sent[1] == {"role": "assistant", "text": "", "tool_calls": called}
    assert sent[2]["tool_results"] == [{"name": "get_sales", "content": "1204"}]
    assert sent[-1]["text"] == "What colour is it?" and len(turns(magics)) == 2
    for name in ("get_sales", "png"):
        shell.user_ns.pop(name)
