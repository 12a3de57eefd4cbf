"""The SDK model object for a request's resolved options, for both of the SDK's APIs.

The gRPC completions (``sdk.models.completions``) and the chat API (``sdk.chat.completions``) name
a model the same way (short name, name/version, or gpt:// URI) and take the same settings; only
the word for hidden reasoning differs. Unset temperature and max_tokens are left to the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..chat.options import RequestOptions


def configured(factory: Callable[..., Any], options: RequestOptions, *, reasoning_mode: str,
               extra: Mapping[str, Any] | None = None) -> Any:
    """``factory``'s model for ``options.model``, configured with the options that are set."""
    name = options.model
    if "://" in name:
        model = factory(name)
    else:
        base, _, version = name.partition("/")
        model = factory(base, model_version=version or "latest")
    settings: dict[str, Any] = {}
    if options.temperature is not None:
        settings["temperature"] = options.temperature
    if options.max_tokens is not None:
        settings["max_tokens"] = options.max_tokens
    if options.reasoning:
        settings["reasoning_mode"] = reasoning_mode
    if options.json:
        settings["response_format"] = "json"
    settings.update(extra or {})
    return model.configure(**settings) if settings else model
