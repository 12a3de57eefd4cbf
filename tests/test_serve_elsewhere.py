"""`ygpt-magic serve --host 0.0.0.0` (or ``::``) used by the unmodified SDK on another machine:
discovery sent it to this machine's address, but the dataset upload and download URLs named
127.0.0.1 (``[::1]``), the other machine's own loopback, so its ``draft.upload()`` failed; and
with ``--host ::`` the HTTP side took no IPv4 connection, though gRPC did (findings: smallfixes 2).

Another machine is this one with a loopback that does not lead to the server: the SDK's HTTP
requests (httpx honours ``http_proxy``) go to a port nothing listens on unless they are for this
machine's own network address (``no_proxy``); its gRPC goes straight there (``grpc_proxy`` empty).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
import requests
from test_emulator_cli import CLI
from test_emulator_datasets import generation_rows, write_rows
from test_http_rest import this_machines_address

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from yandex.cloud.endpoint.api_endpoint_service_pb2 import ListApiEndpointsRequest
from yandex.cloud.endpoint.api_endpoint_service_pb2_grpc import ApiEndpointServiceStub

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.addresses import joined
from ygpt_magic.emulator.testing import sdk_kwargs


@contextmanager
def serve_on(host: str) -> Iterator[tuple[int, int]]:
    """``ygpt-magic serve --host HOST`` running: its gRPC and HTTP ports."""
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--host", host], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        ready = process.stdout.readline().split()
        assert ready[:1] == ["READY"], process.stderr.read()
        yield int(ready[1].rpartition(":")[2]), int(ready[2].rpartition(":")[2])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


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


@pytest.mark.slow   # a server process and the SDK
@pytest.mark.parametrize("wildcard, family", [("0.0.0.0", socket.AF_INET), ("::", socket.AF_INET6),
                                              ("::", socket.AF_INET)], ids=["0.0.0.0", "::", ":: over IPv4"])
def test_the_sdk_on_another_machine_uploads_and_reads_back_a_dataset(wildcard, family, monkeypatch, tmp_path: Path):
    here = this_machines_address(family)
    with serve_on(wildcard) as (port, _), on_another_machine(monkeypatch, here):
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
