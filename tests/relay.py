"""A TCP relay in front of a local server, whose listener a test can close on its own.

A server that shuts down stops listening first and ends the calls still reaching it a moment
later; which call falls in that moment is a race. Behind a relay, a test makes that moment as
long as it likes: ``stop_listening`` refuses every new connection at the relay's address, while
the connections already relayed go on to the server, which still answers on them (a fault it
was given, say).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

#: bytes copied at a time
_CHUNK = 65536


class Relay:
    """Connections accepted at ``address`` are relayed to ``target`` (HOST:PORT) both ways."""

    def __init__(self, target: str):
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stop_listening(self) -> None:
        """Nothing accepts connections at ``address`` any more; relayed ones go on. (A close
        alone leaves the socket listening while ``accept`` waits on it in another thread.)"""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def close(self) -> None:
        """Stop listening and end every relayed connection."""
        self.stop_listening()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client = self._listener.accept()[0]
                server = socket.create_connection(self._target)
            except OSError:   # the listener was closed
                return
            self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either ends, then end the other's sending."""
    with contextlib.suppress(OSError):
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def relay_to(target: str) -> Iterator[Relay]:
    """A :class:`Relay` to ``target``, closed on leaving."""
    relay = Relay(target)
    try:
        yield relay
    finally:
        relay.close()
