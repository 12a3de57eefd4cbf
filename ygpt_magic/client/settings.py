"""ClientSettings: what a Client is built with besides the endpoint and the credential.

One frozen value with one name per thing, so a Client, the ``YGptMagics`` traitlets that set it
(``%config YGptMagics.timeout = ...``) and the tests agree on names and defaults: the traitlets
take their defaults from here. A changed setting builds a new Client (``Connection.drop_client``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientSettings:
    timeout: float = 180.0  # seconds a request may take in total
    connect_timeout: float = 5.0  # seconds to wait for the server to accept a connection
    stream_timeout: float | None = 60.0  # seconds a stream may go without a chunk (None: no limit)
    retries: int = 4  # the SDK's retries of UNAVAILABLE / RESOURCE_EXHAUSTED
    retry_backoff: float = 1.0  # the first retry's delay in seconds (grows ×1.5)
    poll_interval: float = 0.5  # seconds between polls of a deferred operation


DEFAULTS = ClientSettings()
