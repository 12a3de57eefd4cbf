"""`ygpt-magic serve --host HOST`: the addresses it prints, and who can reach it there.

On an IPv6 host it prints bracketed addresses that ``%ygpt connect`` takes; on every interface
(``0.0.0.0`` or ``::``) it prints the address this machine connects to, and the unmodified SDK on
another machine uses it: discovery sent it to this machine's address, but the dataset upload and
download URLs named 127.0.0.1 (``[::1]``), the other machine's own loopback, so its
``draft.upload()`` failed; and with ``--host ::`` the HTTP side took no IPv4 connection, though
gRPC did (findings: smallfixes 2).

Another machine is this one with a loopback that does not lead to the server: the SDK's HTTP
requests (httpx honours ``http_proxy``) go to a port nothing listens on unless they are for this
machine's own network address (``no_proxy``); its gRPC goes straight there (``grpc_proxy`` empty).

The stories only connect to a server and read its READY line, banner and log, so they share one
``serve`` process a host (the ``serve_on`` fixture); each stops with Ctrl-C, cleanly, at the end.
"""

from __future__ import annotations

import re
import socket
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import grpc
import pytest
import requests
from serving import Served, running
from test_emulator_datasets import generation_rows, write_rows
from test_http_rest import this_machines_address

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from conftest import cell
from yandex.cloud.endpoint.api_endpoint_service_pb2 import ListApiEndpointsRequest
from yandex.cloud.endpoint.api_endpoint_service_pb2_grpc import ApiEndpointServiceStub

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.addresses import joined
from ygpt_magic.emulator.testing import sdk_kwargs

#: the banner's line for a notebook: the connect command, and the HTTP address in it
CONNECT_LINE = re.compile(r"in a notebook: %ygpt (connect \S+ --insecure --http (\S+));")


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


NO_IPV6 = pytest.mark.skipif(not _has_ipv6(), reason="this machine has no IPv6 loopback")


@pytest.fixture(scope="module")
def serve_on() -> Iterator[Callable[[str], Served]]:
    """``serve --host HOST``, started the first time a story asks for HOST and kept for the others.

    No test id here holds '::': pytest-xdist's ``--dist loadscope`` groups tests by their id up to
    its last '::', so an id such as '[::1-[::1]]' was a group of its own, run by another worker,
    which started a second server on the same host."""
    started: dict[str, Served] = {}
    with ExitStack() as stack:
        def on(host: str) -> Served:
            if host not in started:
                started[host] = stack.enter_context(running("--host", host))
            return started[host]
        yield on


def _connect_as_the_banner_says(shell, served: Served) -> list[str]:
    """Run the banner's connect line in ``shell`` and a cell over it: the lines the server logged
    while the cell ran."""
    said = CONNECT_LINE.search(served.line(0))
    assert said and said.group(1).startswith(f"connect {served.address} ") and said.group(2) == served.http
    connected = cell(shell, f"%ygpt {said.group(1)}")
    assert connected.ok and "placeholder" not in connected.plain, connected.plain
    return served.logged_during(lambda: _says_hello(shell))


def _says_hello(shell) -> None:
    result = cell(shell, "%%ygpt --once\nHello")
    assert result.ok, result.message


@pytest.mark.slow   # a server process a host, shared
@NO_IPV6
@pytest.mark.parametrize("host, listening", [("::1", "[::1]"), ("[::1]", "[::1]"), ("::", "[::1]")],
                         ids=["loopback", "loopback-bracketed", "every-interface"])
def test_serve_on_an_ipv6_host_prints_bracketed_addresses_that_connect_takes(shell, serve_on, host, listening):
    """gRPC took '::1:0' for a host name: its own log line, then 'choose another --port' of port
    0; '[::1]', as a URL writes it, was no host at all."""
    served = serve_on(host)
    assert served.address.startswith(f"{listening}:"), served.ready
    assert served.http.startswith(f"http://{listening}:")
    logged = _connect_as_the_banner_says(shell, served)
    assert "Traceback" not in "\n".join(served.lines) and any("Completion model=" in line for line in logged)


@pytest.mark.slow   # a server process a host, shared
@pytest.mark.parametrize("host, loopback", [("0.0.0.0", "127.0.0.1"),
                                            pytest.param("::", "[::1]", marks=NO_IPV6, id="ipv6")])
def test_serve_on_every_interface_prints_this_machines_address_that_connect_takes_as_loopback(shell, serve_on, host,
                                                                                              loopback):
    """It printed 0.0.0.0:PORT and [::]:PORT: they connect, but %ygpt connect took them for a
    server across the network and sent the placeholder key instead of the key the user set."""
    served = serve_on(host)
    assert served.address.startswith(f"{loopback}:") and served.http.startswith(f"http://{loopback}:"), served.ready
    assert served.line(1) == (f"It listens on every interface ({host}): from another machine, use "
                              f"this machine's own address in place of {loopback.strip('[]')}.")
    _connect_as_the_banner_says(shell, served)
    assert "credential    api key from YC_API_KEY: AQVN" in cell(shell, "%ygpt whoami").plain


@contextmanager
def on_another_machine(monkeypatch, here: str) -> Iterator[None]:
    """This process's HTTP clients reach ``here`` and nothing else (module docstring)."""
    with socket.socket() as closed:   # bound and never listening: a connection to it is refused
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed.getsockname()[1]}")
        monkeypatch.setenv("no_proxy", here)
        monkeypatch.setenv("grpc_proxy", "")
        for name in ("HTTP_PROXY", "NO_PROXY", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield


@pytest.mark.slow   # a server process a host, shared, and the SDK
@pytest.mark.parametrize("wildcard, family", [("0.0.0.0", socket.AF_INET), ("::", socket.AF_INET6),
                                              ("::", socket.AF_INET)], ids=["0.0.0.0", "ipv6", "ipv6-over-ipv4"])
def test_the_sdk_on_another_machine_uploads_and_reads_back_a_dataset(wildcard, family, serve_on, monkeypatch,
                                                                     tmp_path: Path):
    here = this_machines_address(family)
    port = int(serve_on(wildcard).address.rpartition(":")[2])
    with on_another_machine(monkeypatch, here):
        sdk = YCloudML(**sdk_kwargs(joined(here, port)))
        rows = generation_rows()
        draft = sdk.datasets.draft_from_path(write_rows(tmp_path / "rows.jsonl", rows),
                                             task_type="TextToTextGeneration", upload_format="jsonlines")
        dataset = draft.upload()
        assert dataset.status.name == "READY"
        assert list(dataset.read()) == rows


@pytest.mark.skipif(not socket.has_dualstack_ipv6(), reason="this machine has no dual-stack IPv6 sockets")
def test_a_server_on_every_interface_of_both_families_answers_http_over_ipv4_too():
    """gRPC on :: takes IPv4 clients (a dual-stack socket), and now the HTTP side does too: it
    refused http://127.0.0.1:PORT, so curl, REST scripts and dataset URLs on IPv4 failed."""
    with start_local_server(host="::") as server:
        http_port = server.http_url.rpartition(":")[2]
        with grpc.insecure_channel(f"127.0.0.1:{server.address.rpartition(':')[2]}") as channel:
            assert ApiEndpointServiceStub(channel).List(ListApiEndpointsRequest(), timeout=10).endpoints
        for url in (f"http://127.0.0.1:{http_port}/endpoints", f"http://[::1]:{http_port}/endpoints"):
            assert requests.get(url, timeout=10).json()["endpoints"], url
