"""Import the Yandex Cloud ML SDK quietly and build an AsyncYCloudML for a Client.

Used by client/sdk.py on the first request (``%load_ext`` only installs the warning filter; this
module imports nothing heavy). "Quietly" means: the package's deprecation warning (it forwards to
yandex-ai-studio-sdk) is ignored (:func:`ignore_sdk_warnings`), and the SDK's loggers get a
NullHandler and stop propagating, so no SDK line reaches a cell's output. The shim also sets
``yandex_ai_studio_sdk`` to TRACE so as to relay every record under its old name: each request
then builds two debug records that no handler shows (a tenth of the loop's time over 10,000
embeddings), so that level goes back to the old name's, unless the user set one of their own.
"""

from __future__ import annotations

import logging
import os
import warnings
from types import ModuleType
from typing import Any

from .credentials import Credential
from .endpoints import service_map

SDK_LOGGERS = ("yandex_cloud_ml_sdk", "yandex_ai_studio_sdk")
#: the level the yandex-cloud-ml-sdk shim gives the new package's logger (its TRACE)
SHIM_LEVEL = 5


def quiet_grpc() -> None:
    """gRPC's C core logs connection errors to fd 2, which ipykernel forwards into cells.

    Only effective before grpc is first imported; a user's own GRPC_VERBOSITY wins.
    """
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")


#: the SDK's warnings that tell the user about choices that are ours, not theirs: the shim's
#: "package is deprecated" (it forwards to yandex-ai-studio-sdk), and OAuthTokenAuth's advice
#: against personal OAuth tokens (a `yc` profile's OAuth token is turned into one here)
SDK_WARNINGS = ("yandex-cloud-ml-sdk package is deprecated", "Sharing your personal OAuth token is not safe")


def ignore_sdk_warnings() -> None:
    """Ignore :data:`SDK_WARNINGS` for good, by message and category, and nothing else.

    Called on the main thread by ``%load_ext``, before the background import starts, and again
    before every import here. Not ``warnings.catch_warnings()`` around the import: that changes
    the process's filter list for as long as it lasts, so it is not thread-safe; when the main
    thread leaves a ``catch_warnings`` block of its own (IPython's completer opens one on every
    Tab, so do many libraries) while the background import runs, it puts back the list it saved
    and the "ignore" is gone. A filter added outside any such block stays in every list the
    main thread saves from then on. Adding it again changes nothing (the same filter moves to
    the front).
    """
    for message in SDK_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)


def import_sdk() -> ModuleType:
    """The `yandex_cloud_ml_sdk` module, imported without warnings or log output."""
    from .preload import wait

    wait()  # the background import may be importing it right now
    quiet_grpc()
    ignore_sdk_warnings()
    import yandex_cloud_ml_sdk
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
    relayed = logging.getLogger(SDK_LOGGERS[1])
    if relayed.level == SHIM_LEVEL:
        relayed.setLevel(logging.getLogger(SDK_LOGGERS[0]).getEffectiveLevel())
    return yandex_cloud_ml_sdk


def make_auth(credential: Credential) -> Any:
    """The SDK auth object for a credential (OAuth's warning is one of :data:`SDK_WARNINGS`)."""
    from yandex_cloud_ml_sdk import auth

    secret = credential.secret
    if credential.kind == "api_key" and secret is not None:
        return auth.APIKeyAuth(secret)
    if credential.kind == "iam_token" and secret is not None:
        return auth.IAMTokenAuth(secret)
    if credential.kind == "oauth_token" and secret is not None:
        return auth.OAuthTokenAuth(secret)
    if credential.kind == "env_iam_token":
        return auth.EnvIAMTokenAuth(credential.source)
    if credential.kind == "yc_cli":
        return auth.YandexCloudCLIAuth(yc_profile=os.environ.get("YC_PROFILE"))
    raise ValueError(f"no SDK auth for credential kind {credential.kind!r}")


def make_policy(*, retries: int, retry_backoff: float) -> Any:
    """The retry policy a Client's SDK is built with (fast for tests), kept by the Client beside
    the SDK: the SDK holds it only inside its gRPC interceptors, and its chat API, which the SDK
    sends once, is retried by the same policy (retries.RetriedChat, given it by the Client)."""
    import_sdk()   # the policy's module is the SDK's: imported quietly, as make_sdk does
    from .retries import policy

    return policy(
        max_attempts=retries + 1,
        initial_backoff=retry_backoff,
        max_backoff=retry_backoff * 10,
        jitter=min(1.0, retry_backoff),
    )


def make_sdk(*, endpoint: str, insecure: bool, credential: Credential, folder_id: str | None,
             retry_policy: Any, chat_url: str | None = None) -> Any:
    """An AsyncYCloudML for one endpoint with ``retry_policy`` (:func:`make_policy`); every
    service at ``endpoint`` unless it is the cloud (endpoints.service_map); ``chat_url``, when
    given, is where its chat API (``sdk.chat``, HTTP) goes instead of the cloud's."""
    sdk = import_sdk()
    services = service_map(endpoint)
    if chat_url:
        services["http_completions"] = chat_url
    return sdk.AsyncYCloudML(
        folder_id=folder_id,
        endpoint=endpoint,
        auth=make_auth(credential),
        retry_policy=retry_policy,
        verify=not insecure,
        **({"service_map": services} if services else {}),
    )
