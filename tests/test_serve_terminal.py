"""`ygpt-magic serve` in its own terminal: stopped while it holds streams, or started with a
switch it cannot honour, it says so in plain lines, never with a traceback; what a client sends
is logged as text to read, never as escapes the terminal obeys."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

CLI = [sys.executable, "-m", "ygpt_magic.cli"]
STREAMS = 3   # held at once: each is a chance for gRPC's stop to race its handler


def _hold_a_stream(address: str, held: threading.Event) -> None:
    """Stream a reply and set ``held`` at its first chunk (the next one is 30 s away); the
    stream ends with the server's stop, in an error this test does not look at."""
    try:
        for _ in YCloudML(**sdk_kwargs(address)).models.completions("yandexgpt").run_stream("Tell me about cats"):
            held.set()
    except Exception:   # the stop breaks the stream: what is seen here is the server's terminal
        pass


def _stop_while_streams_are_held() -> tuple[int, str]:
    """Ctrl-C (SIGINT) on ``serve`` while it holds STREAMS streams: its exit code and stderr."""
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--first-chunk-latency", "0", "--latency", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    address = process.stdout.readline().split()[1]
    holds = [threading.Event() for _ in range(STREAMS)]
    for held in holds:
        threading.Thread(target=_hold_a_stream, args=(address, held), daemon=True).start()
    assert all(held.wait(timeout=10) for held in holds), "the streams did not start"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    return process.returncode, stderr


@pytest.mark.slow
def test_serve_stopped_while_streams_are_held_logs_them_cancelled_and_prints_no_traceback():
    """gRPC's stop returns before the handlers it cancelled have ended; the traceback of one
    cancelled in that moment showed about every second stop, so the stop is tried three times."""
    for _ in range(3):
        code, stderr = _stop_while_streams_are_held()
        assert code == 0 and "Traceback" not in stderr, stderr[-800:]
        lines = stderr.rstrip().splitlines()
        assert lines[-1] == "Local server stopped.", stderr[-800:]
        assert sum("Completion" in line and "status=CANCELLED" in line for line in lines) == STREAMS


@pytest.mark.slow
def test_serve_on_a_proxy_port_in_use_names_the_switch_and_what_to_do(tmp_path: Path):
    """As the gRPC and HTTP ports' refusals do, not '[Errno 98] error while attempting to bind'."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*CLI, "serve", "--tls", str(tmp_path / "tls"), "--proxy-port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr == (f"ygpt-magic serve: Cannot listen for the HTTPS proxy on 127.0.0.1:{port} "
                             "(address already in use); choose another --proxy-port (0 picks a free one).\n")


@pytest.mark.slow
@pytest.mark.parametrize("under", ["tls", "deeper/tls"])
def test_serve_tls_in_a_folder_under_a_file_names_the_file_and_what_to_do(tmp_path: Path, under):
    """Not '[Errno 17] File exists: …' (or 'Not a directory'), which names neither the switch nor the file."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = subprocess.run([*CLI, "serve", "--tls", str(afile / under)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr == (f"ygpt-magic serve: --tls {afile / under}: cannot make or write this folder ({afile} "
                             "is a file, not a folder), so the server did not start. Give --tls a folder you can "
                             "create, e.g. --tls ~/.cache/ygpt-magic/tls.\n")
    assert afile.read_text() == "x"


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


@pytest.mark.slow
def test_serve_logs_what_a_client_sent_as_visible_text_one_line_a_request(tmp_path: Path):
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--tls", str(tmp_path / "tls")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, _, http, proxy = process.stdout.readline().split()
    try:
        _send_as_a_stranger(http, proxy)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert not set(stderr) & {"\x1b", "\x07", "\r"}, repr(stderr)
    lines = stderr.splitlines()
    assert not [line for line in lines if line.startswith("2026-01-01")], repr(stderr)
    logged = [line.split(" ", 3)[3] for line in lines if SHOWN in line]
    assert logged[0].startswith(f"Completion model=gpt://b1g/yandexgpt{SHOWN} messages=1 chunks=0 "
                                "status=UNAUTHENTICATED ")
    assert logged[1:] == [f"storage GET /storage/datasets/{SHOWN}/file status=NOT_FOUND",
                          f"proxy: refused CONNECT {SHOWN}:443 (only CONNECT to llm.api.cloud.yandex.net is served)"]


#: requests aiohttp cannot read, each sent on a connection of its own: what any client can send
MALFORMED = {
    "Invalid character in Content-Length": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
    "Bad status line": b"GET / HTTP/9\x1b[2J\r\nHost: x\r\n\r\n",
    "Invalid character in chunk size": (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
}


@pytest.mark.slow
def test_serve_logs_a_request_it_cannot_read_in_one_line_not_a_traceback():
    """aiohttp logged each through its own logger with about ten lines of traceback, so any
    client could fill the server's terminal; now one line a request, as the server's own."""
    process = subprocess.Popen([*CLI, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    http = urlsplit(process.stdout.readline().split()[2])
    try:
        for request in MALFORMED.values():
            with socket.create_connection((http.hostname, http.port), timeout=10) as connection:
                connection.sendall(request)
                assert connection.recv(1024).startswith(b"HTTP/1.0 400 Bad Request")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "Traceback" not in stderr and "\x1b" not in stderr, stderr
    lines = stderr.splitlines()
    for words in MALFORMED:
        [logged] = [line for line in lines if words in line]
        assert " ygpt_magic.emulator Error handling request from 127.0.0.1: 400 " in logged, logged
    assert len(lines) == len(MALFORMED) + 2, stderr   # and the banner, and the stop
