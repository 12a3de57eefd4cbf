"""The way to the server failed before the server could be asked: a proxy the environment names
(client/proxies.py) is in the way, down or not a URL it can use, or the server's host name does not resolve.

Each is a ServerUnavailable, so whatever handles an unreachable server (a run of many requests
stopping, the SDK built again on fresh channels) handles these too, but the words blame the
part that failed: a dead proxy is not the server, and a typo in a host name is no timeout.
"""

from __future__ import annotations

from .base import YGptError
from .reach import ServerUnavailable


class ProxyInTheWay(ServerUnavailable):
    """A connection to this machine's own address (the local server, a loopback HOST:PORT) would
    go through a proxy, which cannot reach it: gRPC proxies every host ``no_proxy`` does not
    name, loopback included, and the SDK offers no way to tell its channels otherwise. Said before
    anything is sent, with the exact variable and value to set."""

    def __init__(self, endpoint: str, proxy: str, variable: str, exempt: str, value: str) -> None:
        YGptError.__init__(
            self,
            lambda origin: f"Requests to {endpoint} go through the proxy {proxy} (from {variable}), "
            f"which cannot reach this machine's own addresses, so nothing was sent. Exempt them: "
            f"{origin.setting(exempt, value)}, then {origin.again}.",
        )
        self.endpoint = endpoint


class ProxyFailed(ServerUnavailable):
    """The proxy a connection goes through refused it, did not answer, or answered the request
    with an HTTP error (``status``; 407: it wants other credentials than those in the variable):
    the request never left for the server, whose address is named only as where it was going."""

    def __init__(self, endpoint: str, proxy: str, variable: str, exempt: str,
                 seconds: float | None = None, *, refused: bool = False, status: int | None = None) -> None:
        check = "Check that proxy"
        if status == 407:
            what = "refused the request (HTTP 407: it wants other credentials)"
            check = (f"Check the user and password in {variable} (http://USER:PASSWORD@HOST:PORT, the "
                     f"password percent-encoded)")
        elif status is not None:
            what = f"refused the request (HTTP {status})"
        else:
            what = "refused the connection" if refused else f"did not answer within {seconds:g} s"
        YGptError.__init__(
            self,
            f"The proxy {proxy} (from {variable}) {what}, so the request for {endpoint} could not "
            f"go out. {check}, or unset {variable}; if {endpoint} is reachable without "
            f"a proxy, add its host to {exempt}.",
        )
        self.endpoint = endpoint


class ProxyUnusable(ServerUnavailable):
    """The proxy variable that applies holds a value gRPC and httpx cannot read: a user:password
    with an unencoded ``/ ? #`` (which ends the host part early, so the password is taken for a
    host or a port), or a port that is not a number. Said before anything is sent, naming the
    variable only: its value may hold a password."""

    def __init__(self, endpoint: str, variable: str, *, userinfo: bool) -> None:
        what = ("its user:password part holds a character (/ ? or #) that must be percent-encoded "
                "(%2F, %3F, %23)" if userinfo else "its port is not a number")
        YGptError.__init__(
            self,
            lambda origin: f"{variable} is not a proxy address gRPC and httpx can use: {what}, so nothing was "
            f"sent to {endpoint}. Set it again with the password encoded (urllib.parse.quote(password, safe='') "
            f"gives it), as http://USER:PASSWORD@HOST:PORT, or unset {variable}; then {origin.again}.",
        )
        self.endpoint = endpoint


class HostNotFound(ServerUnavailable):
    """The server's host name did not resolve: a typo, or no DNS on this machine's network. Said
    at once, as such, rather than as a server that did not answer in time. ``cloud``: the host is
    Yandex Cloud's own, which the user did not type, so its spelling is not in question: the
    machine is offline (or its DNS is), and the local server works without the network."""

    def __init__(self, endpoint: str, host: str, *, cloud: bool = False) -> None:
        advice = ("This machine has no network or no DNS (a proxy?), so nothing was sent. Check "
                  "its network and DNS, or run %ygpt connect local to work offline with the "
                  "bundled local server." if cloud else
                  "Nothing was sent. Check its spelling (%ygpt connect HOST:PORT), or this "
                  "machine's network and DNS.")
        YGptError.__init__(
            self, f"The host name {host} (of {endpoint}) could not be resolved (DNS). {advice}")
        self.endpoint = endpoint
