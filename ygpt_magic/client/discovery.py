"""A server's gRPC address, asked of its HTTP side.

`ygpt-magic serve` prints two addresses, the gRPC one and the HTTP one, and the second given
where the first goes answers in HTTP/1 (client/reach.py tells). Its HTTP side answers the REST
form of the endpoint discovery the SDK makes over gRPC (``GET /endpoints/{id}``, as Yandex
Cloud's api.cloud.yandex.net does), so the message can give the address to use rather than send
the user to find it. Only that GET is sent there: no credential, no proxy (the address was
reached directly). An answer that is not one HOST:PORT (another HTTP server, a page, a redirect)
is no answer, and nothing of it is shown.
"""

from __future__ import annotations

import asyncio
import json
import re

#: the service whose address cells go to: text generation, as the SDK names it
TEXT_GENERATION = "ai-foundation-models"
#: the largest answer read: an endpoint's JSON is a few dozen bytes
LARGEST = 4096
#: an address as the discovery gives it: a name or IPv4 address, or an [IPv6] one, and a port
_ADDRESS = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):[0-9]{1,5}")


async def grpc_address(authority: str, seconds: float) -> str | None:
    """The gRPC address the HTTP server at ``authority`` (HOST:PORT) gives for text generation,
    or None when it gives none within ``seconds``."""
    import aiohttp  # here: loaded only when an address answered in HTTP/1, never on a cell's way

    url = f"http://{authority}/endpoints/{TEXT_GENERATION}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=seconds)) as session, \
                session.get(url, allow_redirects=False) as answer:
            if answer.status != 200 or (answer.content_length or LARGEST + 1) > LARGEST:
                return None
            body = await answer.read()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):   # refused, cut, slow, a bad URL
        return None
    return _address_in(body)


def _address_in(body: bytes) -> str | None:
    """The ``address`` of an ApiEndpoint in protobuf JSON, if it is one HOST:PORT."""
    try:
        address = json.loads(body).get("address")
    except (ValueError, AttributeError):   # not JSON, or JSON but not an object
        return None
    return address if isinstance(address, str) and _ADDRESS.fullmatch(address) else None
