"""The connect check runs beside a request: it never holds one back, and only its failure counts."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ygpt_magic.client.reach import QUIET_AFTER, Reachability
from ygpt_magic.errors import ProxyFailed, ServerUnavailable


@contextmanager
def nothing_listening() -> Iterator[tuple[str, int]]:
    with socket.socket() as sock:  # bound, then closed: connecting is refused
        sock.bind(("127.0.0.1", 0))
        address = sock.getsockname()
    yield address


@contextmanager
def connects_hang() -> Iterator[tuple[str, int]]:
    """A listener whose accept queue is full: a new connect gets no answer (Linux drops its SYN)."""
    with socket.socket() as listener, socket.socket() as first:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        first.connect(listener.getsockname())  # fills the queue: it is never accepted
        yield listener.getsockname()


def beside(reach: Reachability, address: tuple[str, int], body) -> object:
    async def scenario():
        async with reach.beside(("the server", address)):
            return await body()
    return asyncio.run(scenario())


def test_a_request_is_not_held_back_by_a_check_still_waiting():
    """The check would time out after a minute; the request's answer is returned at once."""
    reach = Reachability(connect_timeout=60)

    async def answer():
        return "answered"

    async def fails():
        raise RuntimeError("UNAVAILABLE")

    with connects_hang() as address:
        assert beside(reach, address, answer) == "answered"
    with nothing_listening() as address, pytest.raises(RuntimeError):
        beside(reach, address, fails)  # it answered a moment ago: not checked again yet


def test_nothing_listening_cancels_the_request_and_names_the_address():
    reach = Reachability(connect_timeout=60)
    cancelled = []

    async def never_answers():
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with nothing_listening() as address, pytest.raises(ServerUnavailable, match="the server"):
        beside(reach, address, never_answers)
    assert cancelled == [True]


def test_a_request_that_fails_before_the_check_reports_the_dead_address():
    """The SDK's own UNAVAILABLE is less precise than "nothing accepts connections there"."""
    reach = Reachability(connect_timeout=60)

    async def fails():
        raise RuntimeError("UNAVAILABLE")

    with nothing_listening() as address, pytest.raises(ServerUnavailable, match="nothing accepts connections"):
        beside(reach, address, fails)


def test_a_request_error_at_a_live_address_is_the_request_error():
    reach = Reachability(connect_timeout=60)

    async def fails():
        raise RuntimeError("PERMISSION_DENIED")

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with pytest.raises(RuntimeError, match="PERMISSION_DENIED"):
            beside(reach, listener.getsockname(), fails)


def test_a_streamed_request_is_answered_by_its_first_chunk():
    """A stream outlives the check; once its first chunk came, a failed check cannot stop it."""
    reach = Reachability(connect_timeout=60)

    async def chunks():
        for n in range(3):
            yield n
            await asyncio.sleep(0)

    async def stream(address):
        got = []
        async with reach.beside(("the server", address)) as answered:
            async for chunk in chunks():
                answered()
                got.append(chunk)
        return got

    with connects_hang() as address:
        assert asyncio.run(stream(address)) == [0, 1, 2]


@pytest.mark.slow
def test_an_endpoint_that_answered_lately_is_asked_again_when_a_request_goes_quiet():
    """A server gone since the last answer: the request would wait out the SDK's retries."""
    reach = Reachability(connect_timeout=60)

    async def answer():
        return "answered"

    async def never_answers():
        await asyncio.Event().wait()

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = listener.getsockname()
        assert beside(reach, address, answer) == "answered"
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match="the server"):
        beside(reach, address, never_answers)
    assert QUIET_AFTER <= time.monotonic() - started < QUIET_AFTER + 1


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_behind_a_proxy_the_connect_goes_to_the_proxy(monkeypatch):
    """A network that lets out only its proxy: the server is reached through it, as gRPC does."""
    for name in ("grpc_proxy", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                 "no_proxy", "NO_PROXY", "no_grpc_proxy"):
        monkeypatch.delenv(name, raising=False)
    target = ("llm.example.invalid:443", ("llm.example.invalid", 443))  # resolves nowhere
    with pytest.raises(ServerUnavailable):
        asyncio.run(Reachability(connect_timeout=5).check(target))
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen()
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.getsockname()[1]}")
        asyncio.run(Reachability(connect_timeout=5).check(target))
        monkeypatch.setenv("no_proxy", ".example.invalid")
        with pytest.raises(ServerUnavailable):
            asyncio.run(Reachability(connect_timeout=5).check(target))
    with nothing_listening() as dead:
        monkeypatch.delenv("no_proxy")
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{dead[1]}")
        with pytest.raises(ProxyFailed, match=f"proxy http://127.0.0.1:{dead[1]} .from https_proxy. refused"):
            asyncio.run(Reachability(connect_timeout=5).check(target))
