"""A proxy in the environment: requests go where gRPC (or, for pictures, httpx) sends them, and
when the proxy is what stands in the way, the message names the proxy and what to set.

gRPC sends even this machine's own addresses to ``https_proxy`` unless ``no_proxy`` names them,
and the SDK has no option to tell its channels otherwise; a corporate laptop with a proxy set
could not use the local server, and was told to start it (cloudfaults.md F1, F2)."""

from __future__ import annotations

import base64
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from test_secrets import all_logs, error_texts, leaks

from ygpt_magic.client import proxies, rpc_errors
from ygpt_magic.client.credentials import NO_CREDENTIAL
from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import HostNotFound, ProxyFailed, ProxyInTheWay, ProxyUnusable, ServerUnavailable

PROXY_VARIABLES = ("grpc_proxy", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                   "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "no_grpc_proxy")


@pytest.fixture
def no_proxies(clean_env):
    for name in PROXY_VARIABLES:
        clean_env.delenv(name, raising=False)
    return clean_env


@contextmanager
def proxy_answering(status: bytes) -> Iterator[tuple[int, list[str]]]:
    """A proxy that answers every request with ``status``; it keeps the request heads it was sent
    (their first line first)."""
    seen: list[str] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(4096).split(b"\r\n\r\n")[0].decode(errors="replace"))
                    conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.fixture
def refusing_proxy() -> Iterator[tuple[int, list[str]]]:
    """A proxy that answers every request 403, as a corporate proxy does for 127.0.0.1."""
    with proxy_answering(b"403 Forbidden") as proxy:
        yield proxy


@pytest.fixture
def proxy_407() -> Iterator[int]:
    """A proxy that wants other credentials (an expired proxy password)."""
    with proxy_answering(b"407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=corp") as (port, _):
        yield port


def dead_port() -> int:
    with socket.socket() as sock:   # bound, then closed: connecting is refused
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_local_server_behind_a_proxy_says_what_to_add_to_no_proxy_then_answers(shell, no_proxies):
    no_proxies.setenv("https_proxy", f"http://127.0.0.1:{dead_port()}")
    connected = cell(shell, "%ygpt connect local")
    assert "https_proxy" in connected.final and "no_proxy=localhost,127.0.0.1" in connected.final, connected.final
    refused = cell(shell, "%%ygpt\nHello")
    message = assert_clear_error(refused, "https_proxy", "os.environ['no_proxy'] = 'localhost,127.0.0.1'",
                                 error_type=ProxyInTheWay)
    assert "start the local server" not in message
    assert cell(shell, "import os; os.environ['no_proxy'] = 'localhost,127.0.0.1'").ok
    assert cell(shell, "%%ygpt\nHello").ok


def test_a_loopback_server_is_not_handed_to_the_proxy(shell, ygpt_server, no_proxies, refusing_proxy):
    port, seen = refusing_proxy
    no_proxies.setenv("https_proxy", f"http://127.0.0.1:{port}")
    no_proxies.setenv("no_proxy", "corp.example")
    connected = cell(shell, f"%ygpt connect {ygpt_server.address} --insecure")
    assert "corp.example,localhost,127.0.0.1" in connected.final, connected.final
    assert_clear_error(cell(shell, "%%ygpt\nHello"), f"http://127.0.0.1:{port}", "(from https_proxy)",
                       error_type=ProxyInTheWay)
    assert seen == [], "nothing is sent to a proxy that cannot reach this machine"


def test_upper_case_or_schemeless_proxies_are_not_grpcs_and_change_nothing(shell, no_proxies):
    """gRPC reads lower-case variables only, and only an http:// value: neither blocks the cell."""
    no_proxies.setenv("HTTPS_PROXY", f"http://127.0.0.1:{dead_port()}")
    no_proxies.setenv("grpc_proxy", f"127.0.0.1:{dead_port()}")
    assert "proxy" not in cell(shell, "%ygpt connect local").final
    assert cell(shell, "%%ygpt\nHello").ok


def test_a_proxy_that_is_down_is_blamed_not_the_server(shell, no_proxies):
    port = dead_port()
    no_proxies.setenv("https_proxy", f"http://user:secret@127.0.0.1:{port}")
    connected = cell(shell, "%ygpt connect llm.example.invalid:443")   # never resolved: the proxy is asked
    assert f"The proxy http://127.0.0.1:{port} (from https_proxy) refused" in connected.final, connected.final
    assert "ygpt-magic serve" not in connected.final
    message = assert_clear_error(cell(shell, "%%ygpt\nHello"), f"http://127.0.0.1:{port}", "refused",
                                 "llm.example.invalid:443", error_type=ProxyFailed)
    assert "secret" not in message and "start the local server" not in message


def test_a_host_name_that_does_not_resolve_is_said_so_at_once(shell, no_proxies):
    """A typo in the host: DNS, at once, not 'nothing answers within 5 s' (cloudfaults F8)."""
    connected = cell(shell, "%ygpt connect llm.api.cloud.yandex.invalid:443")
    said = "The host name llm.api.cloud.yandex.invalid (of llm.api.cloud.yandex.invalid:443) could not be resolved"
    assert said in connected.final, connected.final
    assert "ygpt-magic serve" not in connected.final
    started = time.monotonic()
    assert_clear_error(cell(shell, "%%ygpt\nHello"), "could not be resolved (DNS)", "spelling",
                       error_type=HostNotFound)
    assert time.monotonic() - started < 5


#: a proxy password with a '/' that is not percent-encoded (secrets2.md F1)
PASSWORD = "canaryPW-5e1d77ab90c3f2-LEAKCHECK-zz"


def test_a_proxy_password_with_a_slash_is_refused_at_connect_naming_the_variable_only(shell, no_proxies):
    no_proxies.setenv("https_proxy", f"http://jdoe:{PASSWORD}/1@127.0.0.1:{dead_port()}")
    with all_logs() as logs:
        connected = cell(shell, "%ygpt connect local")
        refused = cell(shell, "%%ygpt\nHello")
    assert connected.ok and "https_proxy is not a proxy address" in connected.final, connected.final
    message = assert_clear_error(refused, "https_proxy", "percent-encoded", "%2F", "nothing was sent",
                                 error_type=ProxyUnusable)
    assert not leaks("\n".join([connected.shown, *error_texts(refused.error), *logs]))
    assert "the server said" not in message.lower()


@pytest.mark.parametrize("variable", ["https_proxy", "grpc_proxy"])
def test_a_proxy_password_with_a_slash_is_not_quoted_as_the_servers_words(shell, no_proxies, ygpt_server, variable):
    """gRPC would resolve 'jdoe:<password>' as the proxy's host and put it in its UNAVAILABLE."""
    no_proxies.setenv(variable, f"http://jdoe:{PASSWORD}/1@127.0.0.1:{dead_port()}")
    connected = cell(shell, f"%ygpt connect {ygpt_server.address} --insecure")
    with all_logs() as logs:
        refused = cell(shell, "%%ygpt\nHello")
    assert f"{variable} is not a proxy address" in connected.final and not leaks(connected.shown)
    message = assert_clear_error(refused, variable, "%2F", error_type=ProxyUnusable)
    assert "answered" not in message and not leaks("\n".join([*error_texts(refused.error), *logs]))
    assert completions(ygpt_server) == [], "nothing was sent"


def test_a_chat_api_proxy_password_with_a_question_mark_is_no_invalid_url(shell, no_proxies, ygpt_server):
    """httpx raised InvalidURL for it, shown as the server failing."""
    no_proxies.setenv("http_proxy", f"http://jdoe:{PASSWORD}?1@127.0.0.1:{dead_port()}")
    no_proxies.setenv("no_grpc_proxy", "127.0.0.1")
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure --http {ygpt_server.http_url}").ok
    cell(shell, "from PIL import Image; img = Image.new('RGB', (8, 8))")
    refused = cell(shell, "%%ygpt --image img --model gemma-3-27b-it\nWhat is it?")
    message = assert_clear_error(refused, "http_proxy", "%3F", error_type=ProxyUnusable)
    assert "InvalidURL" not in message and not leaks("\n".join(error_texts(refused.error)))


def test_grpcs_words_about_resolving_a_name_are_never_the_servers():
    channel = grpc.insecure_channel(f"jdoe:{PASSWORD}/1@127.0.0.1:{dead_port()}")
    try:
        channel.unary_unary("/a.B/C")(b"", timeout=5)
    except grpc.RpcError as failure:
        error = rpc_errors.translate(failure, endpoint="10.0.0.5:50051", credential=NO_CREDENTIAL,
                                     folder=None, model=None, retries=0, timeout=5)
    finally:
        channel.close()
    assert type(error) is ServerUnavailable and not leaks(str(error)), error


def test_a_proxy_refusing_its_credentials_is_named_over_grpc(shell, no_proxies, proxy_407):
    """secrets2.md F4: gRPC's UNAVAILABLE said 'could not reach the server … start the local server'."""
    no_proxies.setenv("https_proxy", f"http://jdoe:{PASSWORD}@127.0.0.1:{proxy_407}")
    assert cell(shell, "%ygpt connect cloud").ok
    message = assert_clear_error(cell(shell, "%%ygpt\nHello"), f"proxy http://127.0.0.1:{proxy_407} (from https_proxy)",
                                 "HTTP 407", "user and password in https_proxy", error_type=ProxyFailed)
    assert "start the local server" not in message and not leaks(message)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_refusing_its_credentials_is_named_over_the_chat_api(shell, no_proxies, ygpt_server, proxy_407, scheme):
    """It said 'The server … failed to answer (HTTP 407). This is on that server's side' (the
    proxy's reply to an http:// request; httpx's ProxyError for an https:// one's CONNECT)."""
    variable = f"{scheme}_proxy"
    no_proxies.setenv(variable, f"http://jdoe:{PASSWORD}@127.0.0.1:{proxy_407}")
    no_proxies.setenv("no_grpc_proxy", "127.0.0.1")
    gateway = f"{scheme}://192.0.2.2:8080"   # not loopback: a proxy is not in the way of it
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure --http {gateway}").ok
    cell(shell, "from PIL import Image; img = Image.new('RGB', (8, 8))")
    refused = cell(shell, "%%ygpt --image img --model gemma-3-27b-it\nWhat is it?")
    message = assert_clear_error(refused, f"(from {variable}) refused the request (HTTP 407",
                                 f"the request for {gateway}/v1/ could not go out", error_type=ProxyFailed)
    assert "server's side" not in message and not leaks(message)


def test_connect_through_a_proxy_that_wants_other_credentials_is_not_connected(shell, no_proxies, proxy_407):
    """secrets2.md F4: the check made a TCP connect to the proxy only, and said "Connected"."""
    no_proxies.setenv("https_proxy", f"http://jdoe:{PASSWORD}@127.0.0.1:{proxy_407}")
    connected = cell(shell, "%ygpt connect cloud")
    said = f"The proxy http://127.0.0.1:{proxy_407} (from https_proxy) refused the request (HTTP 407"
    assert said in connected.final and "user and password in https_proxy" in connected.final, connected.final
    assert "Connected" not in connected.final and not leaks(connected.shown)


def test_connect_through_a_proxy_that_lets_the_request_through_is_connected(shell, no_proxies):
    """The check asks the proxy for the target as gRPC does: a CONNECT with the variable's
    credentials (percent-decoded); a 200 is all it reads."""
    with proxy_answering(b"200 Connection established") as (port, seen):
        no_proxies.setenv("https_proxy", f"http://jdoe:p%40ss@127.0.0.1:{port}")
        connected = cell(shell, "%ygpt connect llm.example.invalid:443")
    assert connected.final.startswith("Connected to the server at llm.example.invalid:443"), connected.final
    head = seen[0].split("\r\n")
    assert head[0] == "CONNECT llm.example.invalid:443 HTTP/1.1", seen
    assert "Proxy-Authorization: Basic " + base64.b64encode(b"jdoe:p@ss").decode() in head, seen


@pytest.mark.slow
def test_following_the_no_proxy_advice_for_another_loopback_address_works(shell, no_proxies):
    """localhost,127.0.0.1 does not exempt 127.0.0.2 (gRPC matches a suffix or a CIDR range):
    the advice names the address itself, and setting exactly what it says reaches it."""
    host = "127.0.0.2"
    no_proxies.setenv("https_proxy", f"http://127.0.0.1:{dead_port()}")
    no_proxies.setenv("no_proxy", "")
    with start_local_server(host=host) as server:
        assert cell(shell, f"%ygpt connect {server.address} --insecure").ok
        message = assert_clear_error(cell(shell, "%%ygpt\nHello"), "https_proxy", error_type=ProxyInTheWay)
        advised = re.search(r"os\.environ\['no_proxy'\] = '([^']*)'", message).group(1)
        assert advised == f"localhost,127.0.0.1,{host}", message
        assert cell(shell, f"import os; os.environ['no_proxy'] = {advised!r}").ok
        answered = cell(shell, "%%ygpt\nHello")
        assert answered.ok, answered.message


@pytest.mark.parametrize("endpoint", ["[::1]:50051", "http://[::1]:8080/v1"])
def test_the_no_proxy_advice_for_ipv6_loopback_exempts_it(no_proxies, endpoint):
    """The same for [::1], by gRPC's and httpx's rules (the local server listens on IPv4 only)."""
    no_proxies.setenv("https_proxy", "http://proxy.corp:3128")
    no_proxies.setenv("http_proxy", "http://proxy.corp:3128")
    no_proxies.setenv("no_proxy", "")
    no_proxies.setenv("no_proxy", proxies.exempting(proxies.of(endpoint)))
    assert os.environ["no_proxy"] == "localhost,127.0.0.1,::1"
    assert proxies.of(endpoint) is None
