"""Endpoint names and their parsing (gRPC HOST:PORT, the chat API's HTTP URL), apart from client/sdk.py.

`%load_ext` builds a Connection, which validates `%ygpt connect HOST:PORT` and names the cloud
endpoint in `%ygpt whoami`; importing client/sdk.py for that would pull in asyncio and ssl (~85 ms)
before the first request needs them.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..errors import OptionError

CLOUD_ENDPOINT = "api.cloud.yandex.net:443"
#: the targets of `%ygpt connect` that are names, not HOST:PORT: the bundled server, Yandex Cloud
NAMED_TARGETS = ("local", "cloud")
#: Yandex Cloud's domains: their servers are reached over TLS only, as a plaintext channel would
#: carry the credential across the network in the clear (a connect check would come too late)
CLOUD_DOMAINS = ("cloud.yandex.net", "yandexcloud.net")

#: The SDK's names of the services this client calls (completions and the tokenizer, batch jobs
#: and datasets; operations). The cloud's endpoint discovery says where each one lives; a
#: HOST:PORT target is one server for all of them (the local server, a gateway), so the SDK is
#: told so up front instead of asking first: that question, a channel and a round trip of its
#: own, was half of a first cell's time against the local server.
SERVICES = ("ai-foundation-models", "ai-llm", "operation")


def service_map(endpoint: str) -> dict[str, str]:
    """Where the SDK finds each service: the cloud's by discovery (empty), else ``endpoint``."""
    return {} if endpoint == CLOUD_ENDPOINT else {service: endpoint for service in SERVICES}


def parse_endpoint(value: str) -> tuple[str, int]:
    """`HOST:PORT` (IPv6 as `[::1]:PORT`) → (host, port); OptionError with an example if not."""
    if "://" in value:
        raise _url_for_endpoint(value.strip())
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise OptionError(
            f"{value!r} is not an endpoint. Use `cloud`, `local`, or HOST:PORT such as "
            "127.0.0.1:50051 (add --insecure for a server without TLS)."
        )
    return host, int(port)


def in_cloud(host: str) -> bool:
    """Whether ``host`` is one of Yandex Cloud's (``llm.api.cloud.yandex.net``)."""
    host = host.strip("[].").lower()
    return any(host == domain or host.endswith("." + domain) for domain in CLOUD_DOMAINS)


def refuse_plaintext(target: str, insecure: bool, http: str | None) -> None:
    """OptionError, before anything connects, for a plaintext channel to Yandex Cloud: gRPC
    without TLS (``--insecure``) or a chat API address over ``http://``."""
    cloud = target == "cloud" or (target != "local" and in_cloud(parse_endpoint(target)[0]))
    if insecure and cloud:
        raise OptionError("Yandex Cloud is reached over TLS only: --insecure would send your "
                          "credential across the network in the clear. Leave --insecure out; it is "
                          "for servers without TLS, such as one `ygpt-magic serve` started.")
    if http is not None and urlsplit(http.strip()).scheme == "http" and in_cloud(url_address(http)[0]):
        raise OptionError("Yandex Cloud's chat API is reached over https only: an http:// address "
                          "would send your credential in the clear. Give it with https://.")


def exposed_host(target: str, insecure: bool, http: str | None) -> str | None:
    """The host a credential would reach in the clear across the network, or None: a HOST:PORT
    server that is neither Yandex's nor on this machine, over gRPC without TLS (``--insecure``)
    or a chat API address over ``http://``. A key from the environment is not sent there
    (connection.py); the cloud, ``local`` and plaintext to loopback cross no network in the clear."""
    if target in NAMED_TARGETS:
        return None
    hosts = [parse_endpoint(target)[0]] if insecure else []
    if http is not None and urlsplit(http.strip()).scheme == "http":
        hosts.append(url_address(http)[0])
    return next((host for host in hosts if not in_cloud(host) and not is_loopback(host)), None)


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ``::1``: this machine, by its name or address as written."""
    host = host.strip("[]").lower()
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_for_endpoint(url: str) -> OptionError:
    """`http://host:443` looks like HOST:PORT to a split at the last colon (host `http://host`):
    say it is a URL, and what to write instead (the address only: a URL's user part may hold a
    password, so the URL is not repeated)."""
    parts = urlsplit(url)
    address = parts.netloc.rpartition("@")[2] or "HOST"
    instead = address if re.search(r":\d+$", address) else f"{address}:PORT"
    return OptionError(
        f"%ygpt connect takes the gRPC address as HOST:PORT, not a URL ({parts.scheme}://…): "
        f"write %ygpt connect {instead} (add --insecure for a server without TLS). An HTTP "
        "address is the chat API's: it goes after HOST:PORT with --http URL."
    )


def chat_base_url(value: str) -> str:
    """``http://HOST:PORT`` (as `ygpt-magic serve` prints it) or a full base URL → the base URL
    the SDK's chat API takes (``http_completions``): an address without a path gets ``/v1/``.
    OptionError with an example if it is not an http(s) URL with a host and port, and for one
    with a user:password (refused rather than stripped: a gateway that wanted it would refuse the
    request and blame the key, and the address is shown in whoami, config and every error)."""
    url = value.strip()
    if "@" in url:
        raise OptionError(
            f"The chat API address {_without_userinfo(url)!r} (--http or YGPT_HTTP_ENDPOINT) takes no "
            "user:password: the chat API is authenticated with your key, and httpx would send the "
            "URL's user:password in its place. Give the address alone, as http://HOST:PORT: the "
            "key %ygpt whoami shows goes with every request.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        raise OptionError(
            f"{value!r} is not the HTTP address of a server. Use http://HOST:PORT such as "
            "http://127.0.0.1:8080 (the address `ygpt-magic serve` prints after READY)."
        )
    return url.rstrip("/") + "/v1/" if parts.path in ("", "/") else url.rstrip("/") + "/"


def _without_userinfo(url: str) -> str:
    """``url`` with everything up to its last ``@`` after the scheme left out: a user:password,
    whatever characters the password holds (it is never repeated in a message)."""
    scheme, sep, rest = url.rpartition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"


def url_address(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, for the reachability probe."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
