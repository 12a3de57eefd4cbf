"""`ygpt-magic serve` in its own terminal, a real process as a user runs it: the READY line and
the banner it prints, a signal that stops it while it holds streams, and its log, where what a
client sends is text to read, never escapes the terminal obeys, and a request it cannot read is
one line, never a traceback. (Its refusals, in this process: test_emulator_cli.py.)

Stories that only talk to a server or read its banner or log share one process of it (the
``plain`` and ``tls`` fixtures); those that stop it have their own."""

from __future__ import annotations

import ipaddress
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import grpc
import pytest
import requests
from cryptography import x509
from serving import Served, running

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.exceptions import AioRpcError
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy

from conftest import cell

from ygpt_magic.emulator.testing import sdk_kwargs

STREAMS = 3   # held at once: each is a chance for gRPC's stop to race its handler


def _free_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def plain() -> Iterator[Served]:
    """``serve --http-port N``, the plain server a user starts, for the stories that read its
    banner or log or talk to it; stopped with SIGTERM at the end, cleanly (serving.running)."""
    with running("--http-port", str(_free_port()), stop_with=signal.SIGTERM) as served:
        yield served


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Path]]:
    """``serve --tls DIR`` and its DIR, for the stories that talk to it or read its files or log."""
    folder = tmp_path_factory.mktemp("serve") / "tls"
    with running("--tls", str(folder), stop_with=signal.SIGTERM) as served:
        yield served, folder


def _hold_a_stream(address: str, held: threading.Event) -> None:
    """Stream a reply and set ``held`` at its first chunk (the next one is 30 s away); the
    stream ends with the server's stop, in an error this test does not look at."""
    try:
        for _ in YCloudML(**sdk_kwargs(address)).models.completions("yandexgpt").run_stream("Tell me about cats"):
            held.set()
    except Exception:   # the stop breaks the stream: what is seen here is the server's terminal
        pass


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGINT-again",
                                                                                        "SIGTERM"])
def test_serve_answers_with_its_flags_and_stops_cleanly_on_a_signal_while_streams_are_held(signum, tmp_path: Path):
    """A process each: the signal is the story. Its --script and fault flags reach the server,
    and a signal while it holds STREAMS streams logs them cancelled, says it stopped and exits 0.
    gRPC's stop returns before the handlers it cancelled have ended; the traceback of one
    cancelled in that moment showed about every second stop, so the stop is tried three times
    (each try a test: Ctrl-C twice, then SIGTERM, which takes the same way to the stop)."""
    script = tmp_path / "mine.json"
    script.write_text('{"replies": [{"user": "What is the answer?", "reply": "42."}]}', encoding="utf-8")
    served = Served("--script", str(script), "--fail-next", "1", "--fail-code", "RESOURCE_EXHAUSTED",
                    "--first-chunk-latency", "0", "--latency", "30")   # a one-chunk reply is not delayed
    try:
        model = YCloudML(**sdk_kwargs(served.address), retry_policy=NoRetryPolicy()).models.completions("yandexgpt")
        with pytest.raises(AioRpcError) as caught:
            model.run("What is the answer?")
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert model.run("What is the answer?").text == "42."
        holds = [threading.Event() for _ in range(STREAMS)]
        for held in holds:
            threading.Thread(target=_hold_a_stream, args=(served.address, held), daemon=True).start()
        assert all(held.wait(timeout=10) for held in holds), "the streams did not start"
    finally:
        code, stderr = served.stop(signum)
    assert code == 0 and "Traceback" not in stderr, stderr[-800:]
    lines = stderr.rstrip().splitlines()
    assert lines[-1] == "Local server stopped.", stderr[-800:]
    assert "Completion model=" in stderr
    assert sum("Completion" in line and "status=CANCELLED" in line for line in lines) == STREAMS


#: the banner's line for a notebook: the connect command, and the HTTP address in it
CONNECT_LINE = re.compile(r"in a notebook: %ygpt (connect \S+ --insecure --http (\S+));")


@pytest.mark.slow
def test_serve_tells_a_notebook_user_the_connect_line_and_that_line_works(shell, plain: Served):
    """The banner names the magic's own command (plaintext: ``--insecure``, or a TLS handshake
    with a server that speaks none fails after the SDK's retries; ``--http``: the chat API that
    pictures go through), and it answers as written. (The shared plain server: a banner on a
    real stderr, connected to.)"""
    banner = plain.line(0)
    said = CONNECT_LINE.search(banner)
    assert said and plain.address in said.group(1), banner
    assert f"HTTP (REST, OpenAI-compatible /v1/) at {said.group(2)}." in banner, banner
    shell.run_line_magic("ygpt", said.group(1))
    result = cell(shell, "%%ygpt --once\nHello")
    assert result.ok, result.message
    assert said.group(2) in cell(shell, "%ygpt whoami").plain


@pytest.mark.slow   # a server process, shared
def test_plain_serve_says_unchanged_sdk_scripts_need_tls(plain: Served):
    """An SDK example run unchanged (TLS by default) against a plain serve ends in gRPC's
    WRONG_VERSION_NUMBER, after the SDK's retries (15 s, not waited out here): the banner, the
    one thing the user read, says to start it with --tls (findings firsthour.md 7). (The shared
    plain server's banner.)"""
    banner = plain.line(0).split("Local YandexGPT server at ", 1)[1]
    assert f"with endpoint='{plain.address}', verify=False (the SDK's insecure option)" in banner, banner
    assert ("Unchanged SDK scripts (YC_API_ENDPOINT) use TLS, which this server does not speak: start it with "
            "--tls DIR for them.") in banner, banner


@pytest.mark.slow   # a server process, shared
def test_serve_listens_for_http_on_the_port_asked_and_names_it_in_the_ready_line(plain: Served):
    """The shared plain server was started with --http-port N; its clean stop (exit 0) is checked
    when the module's stories are done (serving.running)."""
    http_port = plain.process.args[plain.process.args.index("--http-port") + 1]
    assert plain.ready[0] == "READY" and plain.http == f"http://127.0.0.1:{http_port}", plain.ready
    assert requests.get(plain.http + "/nowhere", timeout=5).json()["error"]["httpCode"] == 404
    assert f"HTTP (REST, OpenAI-compatible /v1/) at {plain.http}" in plain.line(0)


#: requests aiohttp cannot read, each sent on a connection of its own: what any client can send
MALFORMED = {
    "Invalid character in Content-Length": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
    "Bad status line": b"GET / HTTP/9\x1b[2J\r\nHost: x\r\n\r\n",
    "Invalid character in chunk size": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
}


def _send_malformed(http: str) -> None:
    address = urlsplit(http)
    for request in MALFORMED.values():
        with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
            connection.sendall(request)
            assert connection.recv(1024).startswith(b"HTTP/1.0 400 Bad Request")


@pytest.mark.slow   # a server process, shared
def test_serve_logs_a_request_it_cannot_read_in_one_line_not_a_traceback(plain: Served):
    """aiohttp logged each through its own logger with about ten lines of traceback, so any
    client could fill the server's terminal; now one line a request, as the server's own. (The
    shared plain server's log: the lines logged while these requests were answered.)"""
    lines = plain.logged_during(lambda: _send_malformed(plain.http))
    stderr = "\n".join(lines)
    assert "Traceback" not in stderr and "\x1b" not in stderr, stderr
    for words in MALFORMED:
        [logged] = [line for line in lines if words in line]
        assert " ygpt_magic.emulator Error handling request from 127.0.0.1: 400 " in logged, logged
    assert len(lines) == len(MALFORMED), stderr


CALLS_A_TOOL = '''
from yandex_ai_studio_sdk import AIStudio
sdk = AIStudio()   # no verify=False: an SDK example's default TLS channel
tool = sdk.tools.function(name="calculator", description="A simple calculator",
                          parameters={"type": "object", "properties": {"expression": {"type": "string"}}})
result = sdk.models.completions("yandexgpt").configure(tools=[tool]).run("How much is 7@8?")
print(result.status.name, result.tool_calls[0].function.arguments)
'''


@pytest.mark.slow
def test_serve_tls_lets_an_unchanged_sdk_script_in_through_environment_variables(tls, tmp_path: Path):
    """The script is a process of its own: it takes the endpoint and the certificate from its
    environment, as an unchanged SDK example does. (The shared --tls server.)"""
    served, folder = tls
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "YC_API_ENDPOINT": served.address, "YC_API_KEY": "any-key",
           "YC_FOLDER_ID": "any-folder", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(folder / "cert.pem")}
    result = subprocess.run([sys.executable, "-c", CALLS_A_TOOL], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "TOOL_CALLS {'expression': '7@8'}"
    assert "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=" in served.line(0) and (folder / "key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.slow   # a server process, shared
def test_serve_tls_keeps_its_key_in_a_private_folder_under_a_leaf_certificate(tls):
    """The folder the shared --tls server made, read."""
    _, folder = tls
    cert = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
    assert folder.stat().st_mode & 0o777 == 0o700 and (folder / "key.pem").stat().st_mode & 0o777 == 0o600
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)


#: what a stranger's request may carry: a window title, a cleared screen, red, and a newline that
#: starts a forged log line (no space, so it passes whole as a proxy's CONNECT target too)
STRANGER = "\x1b]0;owned\x07\x1b[2J\x1b[31m\n2026-01-01_00:00:00,000_ygpt_magic.emulator_FORGED"
SHOWN = "␛]0;owned␇␛[2J␛[31m␊2026-01-01_00:00:00,000_ygpt_magic.emulator_FORGED"


def _send_as_a_stranger(http: str, proxy: str) -> None:
    """A chat request with no key, sent as text/plain (what any web page may POST cross-origin),
    a storage URL and a CONNECT to the --tls proxy, each carrying STRANGER."""
    body = {"model": f"gpt://b1g/yandexgpt{STRANGER}", "messages": [{"role": "user", "content": "hi"}]}
    requests.post(f"{http}/v1/chat/completions", data=json.dumps(body), headers={"Content-Type": "text/plain"},
                  timeout=10)
    requests.get(f"{http}/storage/datasets/{quote(STRANGER, safe='')}/file", timeout=10)
    address = urlsplit(proxy)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(f"CONNECT {STRANGER}:443 HTTP/1.1\r\n\r\n".encode())
        connection.recv(1024)


@pytest.mark.slow   # a server process, shared
def test_serve_logs_what_a_client_sent_as_visible_text_one_line_a_request(tls):
    """The shared --tls server's log (its proxy is the READY line's fourth word): the lines
    logged while the stranger's requests were answered, read as bytes, carriage returns kept."""
    served, _ = tls
    lines = served.logged_during(lambda: _send_as_a_stranger(served.http, served.ready[3]))
    stderr = "\n".join(lines)
    assert not set(stderr) & {"\x1b", "\x07", "\r"}, repr(stderr)
    assert not [line for line in lines if line.startswith("2026-01-01")], repr(stderr)
    logged = [line.split(" ", 3)[3] for line in lines if SHOWN in line]
    assert logged[0].startswith(f"Completion model=gpt://b1g/yandexgpt{SHOWN} messages=1 chunks=0 "
                                "status=UNAUTHENTICATED ")
    assert logged[1:] == [f"storage GET /storage/datasets/{SHOWN}/file status=NOT_FOUND",
                          f"proxy: refused CONNECT {SHOWN}:443 (only CONNECT to llm.api.cloud.yandex.net is served)"]
