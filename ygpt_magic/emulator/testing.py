"""Helpers for pointing the unmodified SDK at a local server (tests, benchmarks, the demo).

Both ways the SDK can be pointed at a server are supported: discovery (``endpoint="HOST:PORT"``,
the SDK asks ApiEndpointService which address serves what) and an explicit ``service_map`` with
``endpoint=None`` (no discovery call at all). The SDK's chat API (``sdk.chat``) goes over HTTP and
is never discovered: ``http_url`` adds it to ``service_map`` as ``http_completions``.
"""

from __future__ import annotations

from typing import Any

from .services.discovery import SERVICE_IDS


def sdk_kwargs(address: str, *, discovery: bool = True, auth: Any = "local-key", folder_id: str = "local-folder",
               http_url: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``YCloudML(...)`` / ``AIStudio(...)`` talking to ``address`` (and,
    with ``http_url``, the chat API at ``http_url``)."""
    kwargs: dict[str, Any] = {"folder_id": folder_id, "auth": auth, "verify": False}
    service_map = {} if discovery else {service_id: address for service_id in SERVICE_IDS}
    kwargs["endpoint"] = address if discovery else None
    if http_url:
        service_map["http_completions"] = chat_base_url(http_url)
    if service_map:
        kwargs["service_map"] = service_map
    return kwargs


def chat_base_url(http_url: str) -> str:
    """The base URL of the OpenAI-compatible API on a server's HTTP side (what the SDK's
    ``http_completions`` and OpenAI clients' ``base_url`` take)."""
    return http_url.rstrip("/") + "/v1/"
