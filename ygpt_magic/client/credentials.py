"""Where the API key / token and the folder id come from, and how they are shown (masked).

Kept apart from client/sdk.py and free of SDK imports so that `%ygpt whoami` can say which source
is in use without importing the SDK. The lookup order follows the SDK's own
(`YC_API_KEY`, `YC_IAM_TOKEN`, `YC_OAUTH_TOKEN`, `YC_TOKEN`, then the `yc` CLI), except that we
also use the `yc` CLI when stdin is not a terminal (the SDK skips it then, which is always the
case in a Jupyter kernel).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeGuard

from ..keyshapes import looks_like, mask

#: Environment variables holding a secret, in the SDK's lookup order, with the kind of secret.
SECRET_ENV_VARS: tuple[tuple[str, str], ...] = (
    ("YC_API_KEY", "api_key"),
    ("YC_IAM_TOKEN", "iam_token"),
    ("YC_OAUTH_TOKEN", "oauth_token"),
    ("YC_TOKEN", "env_iam_token"),
)
FOLDER_ENV_VAR = "YC_FOLDER_ID"
#: Every variable a credential or the folder is read from (connection.py: a change makes a new Client).
SOURCE_ENV_VARS = (*(var for var, _ in SECRET_ENV_VARS), FOLDER_ENV_VAR, "YC_PROFILE")
#: what a request header may carry and a key or token holds: visible ASCII only
_HEADER_SAFE = re.compile(r"[\x21-\x7e]*")
#: What a local server started without a key of its own (`ygpt-magic serve`) accepts: it only
#: checks that a credential is present.
LOCAL_DUMMY_KEY = "local-dummy-key"
#: The in-kernel local server's credential, as whoami shows it (the key is new at every start).
LOCAL_KEY = "the local server's own key, made for this kernel when it starts (no other client has it)"
LOCAL_FOLDER = "local-folder"
#: a secret shorter than this is no Yandex credential (an API key has about 40 characters), and
#: nothing looks for it, to refuse or to mask it (looked_for; guard.py says why)
SHORTEST = 8


def looked_for(secret: str | None) -> TypeGuard[str]:
    """Whether ``secret`` is looked for in a text at all, to refuse or to mask it: not one under
    SHORTEST characters, a placeholder for a server that takes any value (``YC_API_KEY=test``)
    whose letters are ordinary words (guard.py says why)."""
    return secret is not None and len(secret) >= SHORTEST


def masked_in(text: str, credentials: Iterable[Credential], *, unfinished: bool = False) -> str:
    """``text`` with each of ``credentials`` in it masked as whoami shows it (`AQVN…x9Qz`): what
    a chat loaded from a file may hold, shown or saved again by the commands, and what a server
    may echo in a reply (a gateway that quotes the key it was sent). ``unfinished``: a streamed
    reply's text so far, which also loses an ending that starts one of them, since the next
    chunk may complete it: a key split between chunks shows no part of itself before it can be
    masked whole (each chunk holds the whole text so far, so what is held back comes with it).
    A secret too short to be a credential (looked_for) is left as written: its letters are words."""
    for credential in credentials:
        secret = credential.secret
        if looked_for(secret):
            text = text.replace(secret, credential.masked)
            text = _without_opening(text, secret) if unfinished else text
    return text


def _without_opening(text: str, secret: str) -> str:
    """``text`` without its ending when that ending is how ``secret`` begins."""
    start = text.find(secret[0], max(0, len(text) - len(secret) + 1))
    while start != -1:
        if secret.startswith(text[start:]):
            return text[:start]
        start = text.find(secret[0], start + 1)
    return text


def classify(secret: str) -> str:
    """The kind of a pasted secret, by the same prefixes the SDK uses."""
    secret = secret.strip()
    if secret.startswith(("t1.", "t2.")):
        return "iam_token"
    if secret[:3] in ("y0_", "y1_", "y2_", "y3_"):
        return "oauth_token"
    return "api_key"


@dataclass(frozen=True)
class Credential:
    """One credential and where it came from; `repr()` never shows the secret."""

    kind: str  # api_key | iam_token | oauth_token | env_iam_token | yc_cli | none
    source: str  # human-readable: "YC_API_KEY", "%ygpt auth", "yc CLI profile", ...
    secret: str | None = field(default=None, repr=False)

    @property
    def masked(self) -> str:
        if self.kind == "yc_cli":
            return "(token from `yc iam create-token`)"
        if self.kind == "env_iam_token":
            return f"(read from {self.source} on every request)"
        if self.secret == LOCAL_DUMMY_KEY:
            return self.secret  # a placeholder, not a secret
        return mask(self.secret)

    def describe(self) -> str:
        if self.kind == "none":
            return "none found"
        if self.source == LOCAL_KEY:
            return LOCAL_KEY
        if self == PLACEHOLDER:
            return f"the placeholder key {LOCAL_DUMMY_KEY}, not your own"
        short = self.secret is not None and not looked_for(self.secret)
        unguarded = " (shorter than any Yandex key, so not looked for in prompts)" if short else ""
        return f"{self.kind.replace('_', ' ')} from {self.source}: {self.masked}{unguarded}"


NO_CREDENTIAL = Credential("none", "nowhere")
#: What a server reached in the clear across the network (endpoints.exposed_host) gets instead
#: of a key or token from the environment or the `yc` CLI: the key `ygpt-magic serve` takes.
PLACEHOLDER = Credential("api_key", "the placeholder sent instead of your own key", LOCAL_DUMMY_KEY)


def fetched_anew(credential: Credential) -> bool:
    """Whether a refused credential is fetched again for the next request: a token the `yc` CLI
    gave, which the SDK keeps for an hour though it may be revoked, or the CLI switched to another
    account, since. The SDK offers no public way to renew it but a new auth object
    (``YandexCloudCLIAuth``), which runs `yc iam create-token` again at its first request."""
    return credential.kind == "yc_cli"


def sendable(secret: str) -> bool:
    """Can ``secret`` travel in a request header? Not with a pasted line break, a Cyrillic
    letter or a NUL: gRPC refuses such metadata as INTERNAL and writes its own noise to stderr,
    so such a key is refused by name before it is used."""
    return _HEADER_SAFE.fullmatch(secret) is not None


def header_safe(credential: Credential) -> bool:
    """False when the credential's secret cannot travel in a header (see :func:`sendable`);
    YC_TOKEN is read when each request is made, so it is read here too."""
    if credential.kind == "env_iam_token":
        return sendable(os.environ.get(credential.source, "").strip())
    return credential.secret is None or sendable(credential.secret)


def find_credential(explicit: str | None = None, *, local: bool = False) -> Credential:
    """The credential a request will use.

    An explicit secret (from `%ygpt auth`) wins; the placeholder key (what connection.py passes
    for a server reached in the clear) is described as the placeholder, whoever gives it. For the
    in-process local server (``local``), ``explicit`` is the key it was started with, which it
    alone takes (any other user or process on the machine is refused); without one, the
    placeholder a keyless server takes. No key from `%ygpt auth` or the environment is ever sent
    to it.
    """
    if local:
        return Credential("api_key", LOCAL_KEY, explicit or LOCAL_DUMMY_KEY)
    if explicit == LOCAL_DUMMY_KEY:
        return PLACEHOLDER
    if explicit:
        return Credential(classify(explicit), "%ygpt auth", explicit.strip())
    for var, kind in SECRET_ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            return Credential(kind, var, value)
    if shutil.which("yc"):
        profile = os.environ.get("YC_PROFILE")
        source = f"yc CLI profile {profile!r}" if profile else "yc CLI (current profile)"
        return Credential("yc_cli", source)
    return NO_CREDENTIAL


def source_values() -> tuple[str, ...]:
    """What the credential's and the folder's variables hold now: a dict lookup each, cheap
    enough for every request, so one a cell sets is used by the next request."""
    return tuple(os.environ.get(var, "") for var in SOURCE_ENV_VARS)


def known_secrets(explicit: str | None = None) -> tuple[Credential, ...]:
    """Every secret this kernel could send: the one from `%ygpt auth` and those in the
    environment, whichever is in use (client/guard.py keeps them all out of requests). The local server's
    placeholder and values too short to be a real credential are no secrets. The environment is
    read on every call: a cell may set a variable."""
    found = []
    if explicit and _is_secret(secret := explicit.strip()):
        found.append(Credential(classify(explicit), "%ygpt auth", secret))
    for var, kind in SECRET_ENV_VARS:
        value = os.environ.get(var, "").strip()
        if _is_secret(value):
            found.append(Credential(kind, var, value))
    return tuple(found)


def _is_secret(value: str) -> bool:
    """Whether a credential's value could be used by someone else: not the local server's
    placeholder, nor too short to be a real key or token (nor empty)."""
    return looked_for(value) and value != LOCAL_DUMMY_KEY


@dataclass(frozen=True)
class Folder:
    """The folder id requests are billed to, and where it came from. ``looks_like``: what the
    value found at ``source`` looks like when it is a credential, not a folder id (a key pasted
    at the folder prompt, or into YC_FOLDER_ID); then ``id`` is None: the value is never used,
    shown or sent, as the folder is shown by whoami, named in errors and sent in every model
    URI (``gpt://<folder>/yandexgpt/latest``)."""

    id: str | None
    source: str
    looks_like: str | None = None

    def describe(self) -> str:
        """The folder as `%ygpt whoami` shows it."""
        if self.looks_like:
            return f"none used: {self.source} holds what looks like {self.looks_like}, not a folder id"
        return f"{self.id} (from {self.source})" if self.id else "none found"


def find_folder(explicit: str | None = None, *, local: bool = False) -> Folder:
    """The folder id a request uses (its ``id`` None when there is none, or when the value
    found looks like a credential: :class:`Folder`)."""
    if explicit:
        return _checked_folder(explicit.strip(), "%ygpt auth")
    value = os.environ.get(FOLDER_ENV_VAR, "").strip()
    if value:
        return _checked_folder(value, FOLDER_ENV_VAR)
    if local:
        return Folder(LOCAL_FOLDER, "default for the local server")
    folder = _yc_config_folder()
    if folder:
        return _checked_folder(folder, "yc CLI config")
    return Folder(None, "nowhere")


def _checked_folder(value: str, source: str) -> Folder:
    """``value`` from ``source`` as the folder, unless it looks like a credential (keyshapes)."""
    kind = looks_like(value)
    return Folder(None, source, kind) if kind else Folder(value, source)


def _yc_config_folder() -> str | None:
    """`yc config get folder-id`, if the CLI is installed and configured (bounded to 5 s)."""
    if not shutil.which("yc"):
        return None
    command = ["yc", "config", "get", "folder-id"]
    if profile := os.environ.get("YC_PROFILE"):
        command += ["--profile", profile]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
