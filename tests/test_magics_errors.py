"""Failures as the user sees them: one clear paragraph, no traceback, the chat unchanged."""

from __future__ import annotations

import contextlib
import gc
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator

import grpc
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from conftest import TEST_KEY, cell
from relay import relay_to

from ygpt_magic.client import rpc_errors
from ygpt_magic.client.credentials import NO_CREDENTIAL
from ygpt_magic.client.loader import make_policy
from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.testing import sdk_kwargs
from ygpt_magic.errors import (
    CredentialsMissing,
    HttpNotGrpc,
    ReconnectPending,
    ServerTimeout,
    ServerUnavailable,
    StreamBroken,
    TlsFailed,
)

NOISE = ("Traceback", "AioRpcError", "debug_error_string", "StatusCode.", "auth_provider",
         "yandex_cloud_ml_sdk", "yandex_ai_studio_sdk", "asyncio", TEST_KEY)


def chat_state(magics):
    chat = magics.kernel.session.chats["default"]
    return chat.system, [(t.prompt, t.reply.text, t.cell_id) for t in chat.turns]


def assert_clear(result, error_type, *words):
    assert isinstance(result.typed_error, error_type), repr(result.typed_error)
    assert result.stderr.startswith("UsageError: ") and "\n\n" not in result.message
    for word in words:
        assert word.lower() in result.message.lower()
    for noise in NOISE:
        assert noise not in result.shown


def test_a_stream_broken_for_good_keeps_the_partial_text_and_the_chat(shell, ygpt_server, magics):
    ygpt_server.faults.break_stream_after(2, "INTERNAL")
    result = cell(shell, "%%ygpt\nHi! What fields of science did Albert Einstein study?")
    assert_clear(result, StreamBroken, "after 2 chunks", "INTERNAL")
    assert result.final.startswith("Hi!")
    assert result.final.endswith("\n⚠ stopped — not added to the chat; see the message below")
    assert magics.kernel.session.chats["default"].turns == []


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_server_stopped_mid_stream_is_named_without_grpcs_words_as_its_own(shell, magics):
    """The SDK retries the broken stream and gRPC's connect is refused: that refusal is gRPC's
    own, not anything the server said, so it is not quoted as the server's words."""
    with start_local_server() as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        server.faults.stall_after(2, 30)
        threading.Timer(1.0, server.stop).start()
        result = cell(shell, "%%ygpt\nWhere is Kazan?")
    assert_clear(result, StreamBroken, "after 2 chunks", "nothing was added to the chat",
                 f"the server at {server.address} became unavailable: run the cell again when it answers")
    assert "server said" not in result.message and "failed to connect" not in result.message, result.message
    assert magics.kernel.session.chats["default"].turns == []


def test_nothing_listening_fails_fast_naming_the_endpoint(shell, ygpt_server):
    shell.run_line_magic("ygpt", "connect 127.0.0.1:9 --insecure")
    started = time.monotonic()
    result = cell(shell, "%%ygpt\nHello")
    assert time.monotonic() - started < 5
    assert_clear(result, ServerUnavailable, "127.0.0.1:9", "%ygpt connect local")


@pytest.mark.parametrize("flags", ["", "--no-stream"])
@pytest.mark.slow
def test_a_server_gone_since_the_last_cell_is_named_within_seconds(shell, flags):
    """It answered a moment ago, so no connect precedes the request, and the SDK retries the
    refused connection with backoff (about 15 s with a notebook's settings): the connect beside
    the quiet request names the address first."""
    shell.run_line_magic("config", "YGptMagics.retries = 4")
    shell.run_line_magic("config", "YGptMagics.retry_backoff = 1.0")
    with start_local_server() as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, f"%%ygpt {flags}\nHello").ok
    started = time.monotonic()
    result = cell(shell, f"%%ygpt {flags}\nHello again")
    assert time.monotonic() - started < 3
    assert_clear(result, ServerUnavailable, server.address, "%ygpt connect local")


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_server_gone_while_a_deferred_operation_is_polled_is_named_within_seconds(shell, magics):
    """The operation was started, then the server stopped: gRPC would hold the next poll,
    waiting for the server to come back, until the request timeout, and the cell would then
    offer --deferred to a --deferred cell. The connect beside the poll names the address within
    about a second of the silence, and says what became of the operation."""
    shell.run_line_magic("config", "YGptMagics.timeout = 30")
    with start_local_server() as server:
        server.operation_delay = 60  # still running when the server stops
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        threading.Timer(1.0, server.stop).start()
        started = time.monotonic()
        result = cell(shell, "%%ygpt --deferred\nWhere is Kazan?")
    assert time.monotonic() - started < 5, result.message
    assert_clear(result, ServerUnavailable, server.address, "nothing accepts connections there",
                 "had started an operation there", "nothing was added to the chat")
    assert "--deferred" not in result.message
    assert chat_state(magics) == (None, [])


def test_a_poll_ended_cancelled_as_the_server_stops_listening_names_the_server_gone(shell, magics):
    """A server shutting down ends a call that reaches it in that moment with CANCELLED, after
    it has stopped listening: a poll fell in it about once in 15 runs of the test above under
    load, and the cell said the request was cancelled, 6 s later (the operation's cancel waited
    out the connect timeout). Here a relay stops listening while the server holds the first
    poll, and the server ends the next one CANCELLED: the connect that follows it is refused."""
    shell.run_line_magic("config", "YGptMagics.timeout = 30")
    with start_local_server() as server, relay_to(server.address) as relay:
        server.operation_delay = 60
        polled = server.faults.hold_next(1, "GetOperation", seconds=0.3)
        server.faults.fail_next(1, "CANCELLED", "CANCELLED", method="GetOperation", after=1)
        shell.run_line_magic("ygpt", f"connect {relay.address} --insecure")
        threading.Thread(target=lambda: polled.wait(30) and relay.stop_listening(), daemon=True).start()
        started = time.monotonic()
        result = cell(shell, "%%ygpt --deferred\nWhere is Kazan?")
    assert time.monotonic() - started < 5, result.message
    assert_clear(result, ServerUnavailable, relay.address, "nothing accepts connections there",
                 "had started an operation there", "nothing was added to the chat")
    assert "cancelled" not in result.message.lower()
    assert chat_state(magics) == (None, [])


def _stopped(shell, failing_cells: int, held: list | None = None) -> str:
    """The address of a local server that answered a cell, then stopped and failed
    ``failing_cells`` cells; ``held`` gets the SDK that answered (whatever holds it keeps its
    channels, and so gRPC's reconnect delay, alive)."""
    with start_local_server() as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        assert cell(shell, "%%ygpt --once\nHello").ok
        if held is not None:
            held.append(shell.magics_manager.registry["YGptMagics"].kernel.connection.client()._get_sdk())
    for _ in range(failing_cells):
        assert_clear(cell(shell, "%%ygpt --once\nHello"), ServerUnavailable, server.address)
    return server.address


@pytest.mark.slow
def test_a_server_started_again_on_its_address_answers_the_next_cell(shell):
    """The cells while it was away failed; gRPC then waits out a growing backoff before it
    connects to that address again (its channels share one connection per address), and the
    first cells after the restart were failed at once as unreachable, for up to 15 s each."""
    address = _stopped(shell, 3)
    with start_local_server(port=int(address.rsplit(":", 1)[1])):
        started = time.monotonic()
        result = cell(shell, "%%ygpt --once\nHello again")
        assert result.ok, result.message
        assert time.monotonic() - started < 2


@contextlib.contextmanager
def _accepting_but_not_grpc(address: str) -> Iterator[None]:
    """A listener at ``address`` that accepts each TCP connection and closes it at once."""
    host, port = address.rsplit(":", 1)
    listener = socket.create_server((host, int(port)))
    listener.settimeout(0.05)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError):
                listener.accept()[0].close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        listener.close()


@pytest.mark.slow
def test_a_server_back_while_grpc_waits_to_reconnect_is_not_called_unreachable(shell):
    """The SDK that made the failed connects is still held (here by the test; in a notebook by
    a request still running or a debugger), so its connection and the reconnect delay gRPC took
    live on: the cell says the server is back and when to run it again, not that it is gone.
    gRPC's delay is jittered, so whether a real server started again is met inside it depends
    on the moment; an address that accepts TCP connections while gRPC's connect fails stands in
    for that moment, every time."""
    held: list = []
    address = _stopped(shell, 2, held)
    with _accepting_but_not_grpc(address):
        result = cell(shell, "%%ygpt --once\nHello again")
    assert_clear(result, ReconnectPending, address, "accepts connections again", "in a few seconds")
    assert "could not reach" not in result.message.lower()
    del held


def test_a_cell_sent_to_a_servers_http_address_says_so_at_once(shell, ygpt_server):
    """Connected to the HTTP address `ygpt-magic serve` prints second: the server answers gRPC's
    first bytes at once in HTTP/1, which no retry mends, yet the cell retried for about 14 s and
    said "Could not reach the server… Check the network… try again in a moment" (terminal.md #2).
    With the default retries it now says within a second what the address is and which to use."""
    http = ygpt_server.http_url.removeprefix("http://")
    shell.run_line_magic("ygpt", f"connect {http} --insecure")
    shell.run_line_magic("config", "YGptMagics.retries = 4")   # the defaults, not the fixture's quick ones
    shell.run_line_magic("config", "YGptMagics.retry_backoff = 1.0")
    started = time.monotonic()
    result = cell(shell, "%%ygpt --once\nHello")
    assert time.monotonic() - started < 2
    assert_clear(result, HttpNotGrpc, f"The server at {http} speaks HTTP/1, not gRPC",
                 f"%ygpt connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}")
    lowered = result.message.lower()
    assert "could not reach" not in lowered and "network" not in lowered and "in a moment" not in lowered


@pytest.mark.slow   # gRPC's reconnects are waited for: 1 s, then 1.6 s apart
def test_a_client_left_for_the_right_address_stops_knocking_at_the_http_one(shell, ygpt_server, caplog):
    """After a cell sent to the server's HTTP address, `%ygpt connect` to the right one: the
    first client's gRPC channel went on reconnecting to the HTTP address (backoff 1 s, x1.6, up
    to 120 s) until a collection came, each try an HTTP/2 preface that `ygpt-magic serve` logged
    as an error ("400 Pause on PRI/Upgrade"), in the log of a server the user did nothing wrong to."""
    http = ygpt_server.http_url.removeprefix("http://")
    shell.run_line_magic("ygpt", f"connect {http} --insecure")
    assert isinstance(cell(shell, "%%ygpt --once\nHello").typed_error, HttpNotGrpc)
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    caplog.clear()
    time.sleep(3)
    knocks = [r.getMessage() for r in caplog.records if "PRI/Upgrade" in r.getMessage()]
    assert not knocks, f"{len(knocks)} reconnects to the HTTP address after the client was left"
    assert cell(shell, "%%ygpt --once\nHello").ok


def test_grpcs_own_word_for_an_http_server_is_not_retried_and_is_said_so(ygpt_server):
    """Where the connect beside a request cannot look (a proxy between), gRPC's answer is what
    tells: "Trying to connect an http1.x server". The SDK, with this kernel's retry policy at
    its defaults, gave up on it only after about 14 s, and it read as a server out of reach; an
    HTTP server does not turn into a gRPC one meanwhile, so the first answer is the last."""
    http = ygpt_server.http_url.removeprefix("http://")
    sdk = YCloudML(**sdk_kwargs(http), retry_policy=make_policy(retries=4, retry_backoff=1.0))
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failed:
        sdk.models.completions("yandexgpt").run("Hello", timeout=60)
    assert time.monotonic() - started < 2
    error = rpc_errors.translate(failed.value, endpoint=http, credential=NO_CREDENTIAL, folder=None,
                                 model="yandexgpt", retries=4, timeout=60)
    del sdk, failed   # its channel, collected now, stops reconnecting to the HTTP address
    gc.collect()      # (the SDK has no close; a later test on this server would see it in the log)
    assert type(error) is HttpNotGrpc, error
    assert str(error).startswith(f"The server at {http} speaks HTTP/1, not gRPC"), error
    assert "%ygpt connect HOST:PORT --insecure" in str(error) and "network" not in str(error)


def test_a_server_that_speaks_no_tls_is_named_as_such_at_once(shell, ygpt_server):
    """gRPC words every failed connect alike ("failed to connect to all addresses"), a TLS
    handshake with a server that speaks none included, and retries it for about 15 s with the
    default policy, while a plain TCP connect gets through: the check beside the request opens
    a TLS session itself and names the slip within a second, not as a server out of reach."""
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address}")   # TLS, to a plaintext server
    started = time.monotonic()
    result = cell(shell, "%%ygpt --once\nHello")
    assert time.monotonic() - started < 2
    assert_clear(result, TlsFailed, ygpt_server.address, "does not speak TLS",
                 f"%ygpt connect {ygpt_server.address} --insecure")
    assert "accepts connections again" not in result.message and "could not reach" not in result.message.lower()


@pytest.mark.slow
def test_a_server_whose_certificate_is_not_trusted_is_named_as_such(shell, tmp_path):
    """``ygpt-magic serve --tls`` with its certificate not in gRPC's roots: the server is there
    and speaks TLS, so the cell says which certificate to trust, not that it is unreachable."""
    serve = subprocess.Popen([sys.executable, "-m", "ygpt_magic.cli", "serve", "--port", "0", "--tls",
                              str(tmp_path / "tls")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = serve.stdout.readline().split()[1]
        shell.run_line_magic("config", "YGptMagics.retries = 0")
        shell.run_line_magic("ygpt", f"connect {address}")
        result = cell(shell, "%%ygpt --once\nHello")
    finally:
        serve.terminate()
        serve.communicate(timeout=10)
    assert_clear(result, TlsFailed, address, "certificate is not one this machine trusts",
                 "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")


def test_missing_credentials_name_every_way_to_fix_it_that_works_there(shell, ygpt_server, clean_env):
    """For a HOST:PORT server, only what it takes: YC_OAUTH_TOKEN was offered too, and followed it
    led to a refusal (OAuthNotExchanged: an OAuth token is exchanged for an IAM token at an IAM
    service the server lists, and `ygpt-magic serve` lists none). Any value of the others does,
    as the message says. Yandex Cloud exchanges one, so there it is still offered."""
    clean_env.delenv("YC_API_KEY")
    clean_env.delenv("YC_FOLDER_ID")
    result = cell(shell, "%%ygpt\nHello")
    assert_clear(result, CredentialsMissing, "YC_API_KEY", "YC_IAM_TOKEN", "YC_FOLDER_ID", "%ygpt auth",
                 "`ygpt-magic serve` takes any value")
    assert "OAUTH" not in result.message, result.message
    assert ygpt_server.requests == []
    clean_env.setenv("YC_IAM_TOKEN", "any")
    clean_env.setenv("YC_FOLDER_ID", "any")
    assert cell(shell, "%%ygpt\nHello").ok
    clean_env.delenv("YC_IAM_TOKEN")
    shell.run_line_magic("ygpt", "connect cloud")
    cloud = cell(shell, "%%ygpt\nHello")
    assert_clear(cloud, CredentialsMissing, "YC_API_KEY", "YC_IAM_TOKEN / YC_OAUTH_TOKEN", "%ygpt auth")


def test_a_missing_folder_alone_is_asked_for_alone(shell, ygpt_server, clean_env):
    clean_env.delenv("YC_FOLDER_ID")
    result = cell(shell, "%%ygpt\nHello")
    assert_clear(result, CredentialsMissing, "credential was found (YC_API_KEY) but no folder id",
                 "YC_FOLDER_ID", "%ygpt auth")
    assert "No Yandex Cloud credentials" not in result.message
    assert ygpt_server.requests == []


def test_a_missing_folder_for_a_test_server_is_one_aside_and_os_environ_as_said_answers(shell, ygpt_server,
                                                                                       clean_env):
    """findings/advice.md F9: "(the folder the requests are billed to) (a server started with
    `ygpt-magic serve` takes any value)": two asides in a row, now one; the value it says any
    server of ours takes, set in a cell as it says works, answers."""
    clean_env.delenv("YC_FOLDER_ID")
    result = cell(shell, "%%ygpt\nHello")
    assert_clear(result, CredentialsMissing, "YC_FOLDER_ID", "`ygpt-magic serve` takes any value",
                 "setting os.environ in a cell works too")
    assert ") (" not in result.message, result.message
    assert cell(shell, "import os; os.environ['YC_FOLDER_ID'] = 'any-folder'").ok
    answered = cell(shell, "%%ygpt\nHello")
    assert answered.ok, answered.message


def test_a_missing_key_alone_is_asked_for_alone(shell, ygpt_server, clean_env):
    clean_env.delenv("YC_API_KEY")
    result = cell(shell, "%%ygpt\nHello")
    assert_clear(result, CredentialsMissing, "folder id was found but no API key or token",
                 "YC_API_KEY", "%ygpt auth", "`ygpt-magic serve` takes any value")
    assert "OAUTH" not in result.message, result.message   # refused by a server that exchanges none
    assert ygpt_server.requests == []


def test_a_silent_stream_is_stopped_after_the_stream_timeout(shell, ygpt_server, magics):
    shell.run_line_magic("config", "YGptMagics.stream_timeout = 0.5")
    ygpt_server.faults.stall_after(1, 3.0)
    started = time.monotonic()
    result = cell(shell, "%%ygpt\nHi! What fields of science did Albert Einstein study?")
    assert time.monotonic() - started < 2.5
    assert_clear(result, ServerTimeout, "0.5 s")
    assert magics.kernel.session.chats["default"].turns == []
