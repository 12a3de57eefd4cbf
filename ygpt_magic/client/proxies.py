"""Which proxy, if any, a connection to an endpoint goes through, by the rule of the library that
makes it: gRPC's for the SDK's gRPC calls, httpx's for its chat API (pictures).

Why: the connect check (reach.py) must go where the request goes, and a message must name the
proxy when the proxy is what failed. The SDK has no public way to give its gRPC channels an
option (``grpc.enable_http_proxy``) or to exempt a target, so a proxy the environment names is
used even for this machine's own addresses unless ``no_proxy`` lists them; the user is told
exactly what to add (:func:`exempting`).

gRPC 1.85's rule, as measured against a listening socket: ``grpc_proxy``, else ``https_proxy``,
else ``http_proxy``, lower case only, and only an ``http://host[:port]`` value; exempt a host
that ``no_grpc_proxy`` (else ``no_proxy``, lower case only) lists as a suffix of its name or as
a CIDR range; ``*`` exempts nothing. httpx reads both spellings, by the URL's scheme
(``http_proxy`` / ``https_proxy``, then ``all_proxy``), and ``no_proxy`` / ``NO_PROXY``.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import urllib.parse
from collections.abc import MutableMapping
from dataclasses import dataclass, field

from ..errors import ProxyUnusable
from .endpoints import parse_endpoint, url_address

#: gRPC's proxy variables, in its order
GRPC_PROXY_VARIABLES = ("grpc_proxy", "https_proxy", "http_proxy")
#: what a user adds to no_proxy so that this machine's addresses are reached directly
LOOPBACK_NAMES = "localhost,127.0.0.1"


@dataclass(frozen=True)
class Proxy:
    """A proxy a connection goes through: ``variable`` named it, ``shown`` is its address without
    any user or password, ``exempt`` is the variable that would exempt a host from it, and
    ``target`` the host (without brackets) the connection goes to through it.
    ``authorization``: the ``Proxy-Authorization`` value gRPC and httpx send it (Basic, from the
    variable's user:password), for the connect check to ask as they do; kept out of the repr."""

    variable: str
    shown: str
    host: str
    port: int
    exempt: str
    target: str = ""
    authorization: str | None = field(default=None, repr=False)


def route(name: str, address: tuple[str, int]) -> Proxy | None:
    """The proxy a connection to ``address`` goes through: ``name`` is the endpoint's name as
    messages show it, a URL for the chat API (httpx's rule), else HOST:PORT (gRPC's rule).
    ProxyUnusable when that proxy's value cannot be read (:func:`_parsed`)."""
    if "://" in name:
        return _for_http(name, urllib.parse.urlsplit(name).scheme, address[0])
    return _for_grpc(name, address[0])


def of(endpoint: str) -> Proxy | None:
    """The proxy requests to ``endpoint`` (a chat API URL, or HOST:PORT) go through."""
    address = url_address(endpoint) if "://" in endpoint else parse_endpoint(endpoint)
    return route(endpoint, address)


def exempting(proxy: Proxy) -> str:
    """The value ``proxy.exempt`` should hold so that this machine's addresses skip the proxy:
    what it holds now, with ``localhost,127.0.0.1`` added, and the connection's own host when
    those do not exempt it (``::1``, ``127.0.0.2``: gRPC matches an entry as a suffix of the
    host or a CIDR range, httpx as the host itself, so only the host itself serves both)."""
    now = os.environ.get(proxy.exempt, "").strip().strip(",")
    names = LOOPBACK_NAMES
    if proxy.target and proxy.target.lower() not in LOOPBACK_NAMES.split(","):
        names += f",{proxy.target}"
    return f"{now},{names}" if now else names


def exempt_loopback(environ: MutableMapping[str, str]) -> None:
    """Add ``localhost,127.0.0.1`` to every exemption variable gRPC or httpx reads in ``environ``
    (``no_proxy`` always, ``no_grpc_proxy`` and ``NO_PROXY`` when set): for processes a command
    starts against a server on this machine, which no proxy can reach and none should carry."""
    environ.setdefault("no_proxy", environ.get("NO_PROXY", ""))
    for variable in ("no_proxy", "no_grpc_proxy", "NO_PROXY"):
        if variable in environ:
            now = environ[variable].strip().strip(",")
            environ[variable] = f"{now},{LOOPBACK_NAMES}" if now else LOOPBACK_NAMES


def _for_grpc(name: str, host: str) -> Proxy | None:
    variable = next((each for each in GRPC_PROXY_VARIABLES if os.environ.get(each)), None)
    if variable is None:
        return None
    value = os.environ[variable]
    if urllib.parse.urlsplit(value).scheme != "http":
        return None   # gRPC takes only http:// proxies, and ignores anything else
    exempt = "no_grpc_proxy" if "no_grpc_proxy" in os.environ else "no_proxy"
    if any(_grpc_exempts(entry.strip(), host) for entry in os.environ.get(exempt, "").split(",")):
        return None
    return _proxy(variable, _parsed(name, variable, value), exempt, host)


def _grpc_exempts(entry: str, host: str) -> bool:
    """gRPC's match: a CIDR range holding the host's address, or a suffix of its name."""
    if not entry:
        return False
    if "/" in entry:
        try:
            return ipaddress.ip_address(host.strip("[]")) in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    return host.lower().endswith(entry.lower())


def _for_http(name: str, scheme: str, host: str) -> Proxy | None:
    names = (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
    variable = next((each for each in names if os.environ.get(each)), None)
    if variable is None:
        return None
    value = os.environ[variable]
    # httpx reads every proxy when its client is made, exempt hosts or not
    parsed = _parsed(name, variable, value if "://" in value else f"http://{value}")
    exempt = "no_proxy" if "no_proxy" in os.environ or "NO_PROXY" not in os.environ else "NO_PROXY"
    if any(_http_exempts(entry.strip().lower(), host.lower()) for entry in os.environ.get(exempt, "").split(",")):
        return None
    return _proxy(variable, parsed, exempt, host)


def _parsed(name: str, variable: str, value: str) -> urllib.parse.SplitResult:
    """``value`` split as a URL; ProxyUnusable (naming ``variable``, never the value) when gRPC
    and httpx cannot use it. A proxy's URL has no path, so an ``@`` after the host part means a
    user:password whose ``/ ? #`` ended that part early: gRPC then resolves ``user:password`` as
    the proxy's host and quotes it in its error, httpx raises InvalidURL, and urllib reads the
    password as the port and puts it in its ValueError."""
    parsed = urllib.parse.urlsplit(value)
    if "@" in value.partition("://")[2].removeprefix(parsed.netloc):
        raise ProxyUnusable(name, variable, userinfo=True)
    try:
        parsed.port  # noqa: B018 (urllib reads the port only when asked for it)
    except ValueError:
        raise ProxyUnusable(name, variable, userinfo=False) from None
    return parsed


def _http_exempts(entry: str, host: str) -> bool:
    """httpx's match: ``*``, the host itself, or (for a name) the host ending with the entry."""
    if entry in ("*", host):
        return True
    return bool(entry) and entry != "localhost" and _address(entry) is None and host.endswith(entry)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _proxy(variable: str, parsed: urllib.parse.SplitResult, exempt: str, target: str) -> Proxy | None:
    if not parsed.hostname:
        return None
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
    return Proxy(variable, f"{parsed.scheme}://{host}:{port}", parsed.hostname, port, exempt,
                 target=target.strip("[]"), authorization=_basic(parsed))


def _basic(parsed: urllib.parse.SplitResult) -> str | None:
    """``Basic`` and the base64 of the URL's user:password, percent-decoded (gRPC's and httpx's
    header); None when the URL has no user."""
    if parsed.username is None:
        return None
    pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")
