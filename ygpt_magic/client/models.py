"""The SDK model object for a request's resolved options, for both of the SDK's APIs.

The gRPC completions (``sdk.models.completions``) and the chat API (``sdk.chat.completions``) name
a model the same way (short name, name/version, or gpt:// URI) and take the same settings; only
the word for hidden reasoning differs. Unset temperature and max_tokens are left to the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..chat.options import RequestOptions, refuse_credential
from ..modelname import LATEST, model_name


def named(factory: Callable[..., Any], model: str) -> Any:
    """``factory``'s model for ``model``: a URI as it is, a short name with its version
    (``latest`` when it names none, as every use of the name takes it: modelname.py). Every
    SDK model is made here, so a name that holds a credential is refused here whatever door it
    came through (refuse_credential)."""
    refuse_credential(model)
    name = model_name(model)
    return factory(name.text) if name.scheme else factory(name.name, model_version=name.version or LATEST)


def configured(factory: Callable[..., Any], options: RequestOptions, *, reasoning_mode: str,
               extra: Mapping[str, Any] | None = None) -> Any:
    """``factory``'s model for ``options.model``, configured with the options that are set."""
    model = named(factory, options.model)
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
