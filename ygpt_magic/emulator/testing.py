"""Helpers for pointing the unmodified SDK at a local server (tests, benchmarks, the demo).

Both ways the SDK can be pointed at a server are supported: discovery (``endpoint="HOST:PORT"``,
the SDK asks ApiEndpointService which address serves what) and an explicit ``service_map`` with
``endpoint=None`` (no discovery call at all).
"""

from __future__ import annotations

from typing import Any

from .services.discovery import SERVICE_IDS


def sdk_kwargs(address: str, *, discovery: bool = True, auth: Any = "local-key", folder_id: str = "local-folder") -> dict:
    """Keyword arguments for ``YCloudML(...)`` / ``AsyncYCloudML(...)`` talking to ``address``."""
    kwargs: dict[str, Any] = {"folder_id": folder_id, "auth": auth, "verify": False}
    if discovery:
        kwargs["endpoint"] = address
    else:
        kwargs["endpoint"] = None
        kwargs["service_map"] = {service_id: address for service_id in SERVICE_IDS}
    return kwargs
