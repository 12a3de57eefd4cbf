"""A picture's reply cut at ``--max-tokens`` ends like a finished one: added to the chat, its
footer saying it was cut, its tokens counted, as over gRPC. Only a stream that stops before the
server has finished it is a broken stream.

The open models' recordings (cassettes/http_chat, qwen3 and gemma) end a stream with a finish
chunk whose delta is empty, then a usage chunk with no choices. The SDK drops an empty finish
chunk unless its reason is ``stop``, so a ``length`` cut reaches us only as the usage chunk;
the local server ends a cut that way, and a canned server sends the other forms the wire may take.
"""

from __future__ import annotations

import json

from cellrun import assert_clean
from conftest import cell
from pictures import MODEL, canned_chat_api, pics, png_bytes, turns  # noqa: F401 (canned_chat_api, pics: fixtures)


def _chart(pics) -> None:
    assert cell(pics, "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2, 3])").ok


def test_a_picture_reply_cut_at_max_tokens_is_recorded_counted_and_said_cut(pics, magics, ygpt_server):
    _chart(pics)
    run = cell(pics, f"%%ygpt --image fig --model {MODEL} --max-tokens 10\nWhat does this chart show?")
    assert run.ok, run.message
    assert "cut at max tokens" in run.plain and "broke off" not in run.plain
    billed = ygpt_server.billed["total_tokens"]                # the text, 260 for the picture, 10 out
    assert billed > 260 and pics.user_ns["_ygpt"].usage.total_tokens == billed
    assert len(turns(magics)) == 1                              # the reply is in the chat
    usage = cell(pics, "%ygpt usage")
    assert str(billed) in usage.page, usage.page
    assert_clean(run)


def _events(*chunks: dict) -> bytes:
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": f"gpt://{MODEL}/latest"}
    return b"".join(f"data: {json.dumps({**head, **chunk})}\n\n".encode() for chunk in chunks) + b"data: [DONE]\n\n"


def _delta(delta: dict, reason: str | None = None) -> dict:
    choice: dict = {"index": 0, "delta": delta}
    if reason:
        choice["finish_reason"] = reason
    return {"choices": [choice]}


USAGE = {"choices": [], "usage": {"prompt_tokens": 270, "total_tokens": 280, "completion_tokens": 10}}


def _ask(pics, ygpt_server, canned_chat_api, body: bytes):
    canned_chat_api.answer(200, "text/event-stream", body)
    pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {canned_chat_api.url}")
    pics.user_ns["png"] = png_bytes()
    return cell(pics, f"%%ygpt --image png --model {MODEL} --max-tokens 10\nWhat colour is it?")


def test_a_cut_whose_finish_chunk_carries_the_last_words_is_said_cut_too(pics, magics, ygpt_server, canned_chat_api):
    body = _events(_delta({"role": "assistant"}), _delta({"content": "It is"}),
                   _delta({"content": " blue"}, "length"), USAGE)
    run = _ask(pics, ygpt_server, canned_chat_api, body)
    assert run.ok, run.message
    assert "It is blue" in run.plain and "cut at max tokens" in run.plain
    assert pics.user_ns["_ygpt"].usage.total_tokens == 280


def test_a_stream_that_stops_before_its_finish_and_usage_is_still_a_broken_stream(pics, magics, ygpt_server,
                                                                                  canned_chat_api):
    body = _events(_delta({"role": "assistant"}), _delta({"content": "It is"}))
    run = _ask(pics, ygpt_server, canned_chat_api, body)
    assert not run.ok and "The reply stream broke off" in run.message, run.message
    assert turns(magics) == []
