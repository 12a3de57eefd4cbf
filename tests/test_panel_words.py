"""What the panel says when a Send fails can be followed in the panel: a panel message takes no
flags, so its errors advise what the panel has (``{{name}}`` for literal braces, the model list,
"send it again"), while a cell keeps its own advice (``--no-interpolate``, ``--model``).

Every test opens ``%ygpt panel`` in the real shell, types into it as the browser would, and reads
its status line; the same text in a ``%%ygpt`` cell is run beside it for the cell's words.
"""

from __future__ import annotations

import html
import re

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import TEST_KEY, cell
from pictures import MODEL, pics  # noqa: F401 (pics: a fixture)
from test_panel import send, widget_comm  # noqa: F401 (widget_comm: a fixture)
from test_panel_doors import opened

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

#: a `%%ygpt` flag, which the panel has no way to take
FLAG = re.compile(r"--[a-z][a-z-]+")


@pytest.fixture
def panel(pics):
    """``%ygpt panel`` opened by a cell, as a user opens it (its text refers to earlier cells)."""
    panel = opened(pics)
    yield panel
    panel.close()


def status_after(panel, text: str) -> str:
    """Type ``text`` into ``panel``, press Enter; the status line once the reply or error came."""
    send(panel, text)
    assert panel.wait(15)
    panel.input.value = ""
    return html.unescape(re.sub(r"<[^>]*>", "", panel.status.value))


def assert_panel_words(status: str, *advice: str) -> None:
    assert status.startswith("⚠"), f"an error was expected, not {status!r}"
    assert "the cell" not in status.lower() and not FLAG.findall(status), status
    for words in advice:
        assert words in status, status


def test_a_missing_name_is_written_with_doubled_braces_not_no_interpolate(pics, panel):
    status = status_after(panel, "What about {nosuch}?")
    assert_panel_words(status, "The panel's message uses {nosuch} but there is no variable named "
                               "'nosuch'", "or write {{nosuch}} for literal braces.")
    in_a_cell = cell(pics, "%%ygpt\nWhat about {nosuch}?")
    assert "The cell uses {nosuch}" in in_a_cell.message
    assert "write {{nosuch}} for literal braces, or run the cell with --no-interpolate." in in_a_cell.message


def test_a_missing_attribute_and_a_failing_expression_say_what_the_panel_can_do(pics, panel):
    pics.user_ns["sea"] = "calm"
    attribute = status_after(panel, "How is {sea.depth}?")
    assert_panel_words(attribute, "Check the name, or write {{sea.depth}} for literal braces.")
    expression = status_after(panel, "How much is {1 / 0}?")
    assert_panel_words(expression, "raised ZeroDivisionError", "or write {{1 / 0}} for literal braces.")


def test_a_picture_for_a_model_without_images_points_to_the_model_list(pics, panel):
    cell(pics, "from PIL import Image\nImage.new('RGB', (64, 48))")
    picture = max(pics.user_ns["Out"])
    status = status_after(panel, f"What is this? {{Out[{picture}]}}")
    assert_panel_words(status, "does not take images", f"Pick {MODEL} in the model list")
    in_a_cell = cell(pics, f"%%ygpt\nWhat is this? {{Out[{picture}]}}")
    assert f"Run the cell with --model {MODEL}" in in_a_cell.message


def test_a_broken_stream_says_send_it_again(pics, panel, ygpt_server):
    ygpt_server.faults.break_stream_after(2, "INTERNAL")
    try:
        status = status_after(panel, "Tell me about the sea")
    finally:
        ygpt_server.faults.clear()
    assert_panel_words(status, "The reply stream broke off", "Send it again.")


def test_a_key_typed_into_the_panel_is_refused_with_send_it_again(pics, panel, ygpt_server):
    status = status_after(panel, f"My key is {TEST_KEY}")
    assert_panel_words(status, "Nothing was sent: the panel's message contains your",
                       "leave that reference out of the panel's message), then send it again.")
    assert TEST_KEY not in status and not ygpt_server.requests


#: every error of the request path (errors/reach.py, service.py, too_long.py, network.py: what a panel Send
#: can meet from the server, the network and the planning of its request), each way it is worded
REQUEST_PATH_ERRORS = {
    "MessageTooLarge(request)": errors.MessageTooLarge(5_000_000, 4_194_304, ("the prompt", 4_900_000)),
    "MessageTooLarge(reply)": errors.MessageTooLarge(5_000_000, 4_194_304),
    "ServerUnavailable": errors.ServerUnavailable("127.0.0.1:1", 5),
    "ServerBusy": errors.ServerBusy("127.0.0.1:1", "overloaded", server="127.0.0.1:1"),
    "ReconnectPending": errors.ReconnectPending("127.0.0.1:1"),
    "TlsFailed": errors.TlsFailed("127.0.0.1:1", "handshake failed"),
    "TlsFailed(plaintext)": errors.TlsFailed("127.0.0.1:1", plaintext=True),
    "HttpNotGrpc": errors.HttpNotGrpc("127.0.0.1:2"),
    "HttpNotGrpc(asked)": errors.HttpNotGrpc("127.0.0.1:2", "127.0.0.1:1"),
    "OperationUnreachable": errors.OperationUnreachable(errors.ServerUnavailable("127.0.0.1:1"), "op1"),
    "OperationGone": errors.OperationGone("op1", server="127.0.0.1:1"),
    "ServerStoppedAnswering": errors.ServerStoppedAnswering("127.0.0.1:1"),
    "ServerStayedBusy": errors.ServerStayedBusy("127.0.0.1:1", 16, server="127.0.0.1:1"),
    "ServerTimeout": errors.ServerTimeout("127.0.0.1:1", 60),
    "StreamStalled": errors.StreamStalled("127.0.0.1:1", 30),
    "ServerGaveUp": errors.ServerGaveUp("127.0.0.1:1", 5.0, "deadline"),
    "ChatReplyUnreadable": errors.ChatReplyUnreadable("http://h/v1", "not JSON"),
    "StreamBroken": errors.StreamBroken(3, "INTERNAL"),
    "ContextTooLong(plan)": errors.ContextTooLong(9000, 8000),
    "ContextTooLong(history)": errors.ContextTooLong(9000, 8000, history_turns=3),
    "ContextTooLong(alone)": errors.ContextTooLong(9000, 8000, history_turns=0),
    "TextTooLongToClassify": errors.TextTooLongToClassify(9000, 8000),
    "TextTooLongToEmbed": errors.TextTooLongToEmbed(3003, 2000),
    "TextTooLong": errors.TextTooLong(349354, 100000),
    "CredentialsMissing": errors.CredentialsMissing(),
    "FolderIsCredential": errors.FolderIsCredential("YC_FOLDER_ID", "a Yandex Cloud API key"),
    "FolderIsCredential(yc)": errors.FolderIsCredential("yc CLI config", "a Yandex Cloud API key"),
    "AuthFailed": errors.AuthFailed("127.0.0.1:1"),
    "PermissionDenied": errors.PermissionDenied("b1gfolder"),
    "QuotaExceeded": errors.QuotaExceeded(3, "quota", wait=5),
    "OAuthNotExchanged": errors.OAuthNotExchanged("127.0.0.1:1", "YC_OAUTH_TOKEN"),
    "OAuthNotExchanged(auth)": errors.OAuthNotExchanged("127.0.0.1:1", "%ygpt auth"),
    "ModelNotFound": errors.ModelNotFound("nosuch"),
    "ModelNotFound(INVALID_ARGUMENT)": errors.ModelNotFound("nosuch", "invalid model_uri", status="INVALID_ARGUMENT"),
    "FolderMismatch": errors.FolderMismatch("b1gfolder", "Specified folder ID does not match with service account"),
    "PictureModelNotFound": errors.PictureModelNotFound("nosuch", "http://h/v1"),
    "RequestRejected": errors.RequestRejected("invalid"),
    "RequestTooLarge": errors.RequestTooLarge("http://h/v1", (3_000_000,)),
    "ServerFailed": errors.ServerFailed("INTERNAL", "boom"),
    "ServerFailed(elsewhere)": errors.ServerFailed("INTERNAL", "boom", server="127.0.0.1:1"),
    "ServerFailed(CANCELLED)": errors.ServerFailed("CANCELLED"),
    "ServiceRefused(FAILED_PRECONDITION)": errors.ServiceRefused("FAILED_PRECONDITION", "billing"),
    "ServiceRefused(UNIMPLEMENTED)": errors.ServiceRefused("UNIMPLEMENTED", "no reasoning"),
    "ChatApiRedirects": errors.ChatApiRedirects("http://h/v1", 301, "http://h2/v1"),
    "ProxyInTheWay": errors.ProxyInTheWay("127.0.0.1:50051", "http://proxy:3128", "https_proxy", "no_proxy",
                                          "localhost,127.0.0.1"),
    "ProxyFailed": errors.ProxyFailed("127.0.0.1:50051", "http://proxy:3128", "https_proxy", "no_proxy", 5),
    "ProxyFailed(407)": errors.ProxyFailed("127.0.0.1:50051", "http://proxy:3128", "https_proxy", "no_proxy",
                                           status=407),
    "ProxyUnusable": errors.ProxyUnusable("llm.api.cloud.yandex.net:443", "https_proxy", userinfo=True),
    "HostNotFound": errors.HostNotFound("nosuch.example:443", "nosuch.example"),
}


def test_the_table_holds_every_error_of_the_request_path():
    modules = {"ygpt_magic.errors.reach", "ygpt_magic.errors.service", "ygpt_magic.errors.too_long",
               "ygpt_magic.errors.network"}
    defined = {cls for cls in vars(errors).values()
               if isinstance(cls, type) and cls.__module__ in modules and cls is not errors.RefusedForEvery}
    assert defined - {type(error) for error in REQUEST_PATH_ERRORS.values()} == set()


#: errors no panel Send meets: a deferred cell's operation, a --map's rows, a --labels cell, %ygpt embed
CELL_ONLY = {"OperationUnreachable", "OperationGone", "ServerStoppedAnswering", "ServerStayedBusy",
             "TextTooLongToClassify", "TextTooLongToEmbed"}
#: a `%ygpt` command with its arguments, which a panel user runs in a cell like any other
COMMAND = re.compile(r"%ygpt [a-z]+(?: [^\s;,()]+)*")


@pytest.mark.parametrize("name", [name for name in REQUEST_PATH_ERRORS if name.partition("(")[0] not in CELL_ONLY])
def test_no_error_of_the_request_path_gives_the_panel_a_cells_advice(name):
    words = REQUEST_PATH_ERRORS[name].words(errors.PANEL)
    advice = COMMAND.sub("%ygpt …", words)
    assert "the cell" not in advice.lower() and not FLAG.findall(advice), words
