"""``ygpt-magic serve --tls``: an unchanged ``sdk.chat`` script reaches the local server through
the HTTPS proxy (``HTTPS_PROXY`` + ``SSL_CERT_FILE``, no code change, no service_map)."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

SCRIPT = """
from yandex_ai_studio_sdk import AIStudio
sdk = AIStudio()                       # as the SDK's examples do: everything from the environment
models = sdk.chat.completions.list()
print(len(models), models[0].uri)
print(sdk.chat.completions('yandexgpt').run('Hi! What fields of science did Albert Einstein study?').text)
"""


#: the idle bound of the server that tests it, shortened (``serve --idle-timeout``); the others
#: keep the default, which outlasts the 5 s a client keeps an idle connection
IDLE = 1.0


def _serve_tls(folder: Path, *flags: str):
    process = subprocess.Popen([sys.executable, "-m", "ygpt_magic.cli", "serve", "--tls", str(folder), *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    words = process.stdout.readline().split()
    assert len(words) == 4 and words[0] == "READY", process.stderr.read()
    yield {"proxy": words[3], "cert": folder / "cert.pem"}
    process.terminate()
    process.communicate(timeout=10)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    yield from _serve_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def impatient_tls_server(tmp_path):
    yield from _serve_tls(tmp_path, "--idle-timeout", str(IDLE))


@pytest.mark.slow
def test_an_unchanged_chat_script_runs_through_the_proxy(tls_server, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "HTTP", "http"))}
    env.update(HTTPS_PROXY=tls_server["proxy"], SSL_CERT_FILE=str(tls_server["cert"]),
               YC_API_KEY="local-key", YC_FOLDER_ID="local-folder")
    (tmp_path / "chat.py").write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, "chat.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    first, *rest = done.stdout.splitlines()
    assert first.endswith("gpt://local-folder/yandexgpt/latest") and "theoretical physicist" in "\n".join(rest)


@pytest.mark.slow
def test_the_proxy_connects_to_nothing_but_the_local_server(tls_server):
    host, port = tls_server["proxy"].removeprefix("http://").split(":")
    for request in (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                    b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"):
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(request)
            answer = _whole_answer(connection)
            assert answer.startswith("HTTP/1.1 403 ygpt-magic local proxy: only llm.api.cloud.yandex.net:443 "
                                     "is served\r\n"), answer
            assert answer.endswith("\r\n\r\nThis is ygpt-magic's local HTTPS proxy (ygpt-magic serve --tls). It "
                                   "serves only CONNECT llm.api.cloud.yandex.net:443 (the SDK's chat API, answered by "
                                   "the local server) and connects nowhere else. For other hosts, run without "
                                   "HTTPS_PROXY, or list them in NO_PROXY.\n"), answer


def test_a_client_refused_by_the_proxy_is_told_whose_proxy_it_is(tls_server):
    """What pip or requests shows when HTTPS_PROXY, exported for the chat examples, is still set."""
    proxies = {"https": tls_server["proxy"]}
    with pytest.raises(requests.exceptions.ProxyError, match="403 ygpt-magic local proxy: only "
                       "llm.api.cloud.yandex.net:443 is served"):
        requests.get("https://pypi.org/simple/", proxies=proxies, timeout=5)


def _whole_answer(connection: socket.socket) -> str:
    """Everything the proxy sends before it closes the connection."""
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received.decode()


@pytest.mark.slow
def test_the_proxy_closes_a_connection_that_sends_nothing_and_an_idle_tunnel(impatient_tls_server):
    host, port = impatient_tls_server["proxy"].removeprefix("http://").split(":")
    silent, tunnel = (socket.create_connection((host, int(port)), timeout=IDLE + 5) for _ in range(2))
    tunnel.sendall(b"CONNECT llm.api.cloud.yandex.net:443 HTTP/1.1\r\nHost: llm.api.cloud.yandex.net:443\r\n\r\n")
    assert tunnel.recv(100).startswith(b"HTTP/1.1 200")
    tls = ssl.create_default_context(cafile=str(impatient_tls_server["cert"]))
    tunnel = tls.wrap_socket(tunnel, server_hostname="llm.api.cloud.yandex.net")   # then no request at all
    started = time.monotonic()
    with silent, tunnel:
        assert silent.recv(100) == b"" and tunnel.recv(100) == b""   # closed by the proxy
    assert time.monotonic() - started < IDLE + 2
