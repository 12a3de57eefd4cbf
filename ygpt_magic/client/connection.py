"""Connection: which server the magics talk to, with which credential, and the Client for it.

Holds the choice made by `%ygpt connect` / `%ygpt auth` (or the environment: `YGPT_ENDPOINT`,
`YGPT_INSECURE`, `YGPT_HTTP_ENDPOINT`), builds the Client lazily on the first request (so nothing here imports the
SDK), and owns the in-process local server when the target is `local`. Pictures go over the
SDK's chat API (HTTP): the cloud's is the SDK's default, the local server's is its `http_url`,
and a HOST:PORT server's is the URL given with `%ygpt connect HOST:PORT --http URL` (else
`YGPT_HTTP_ENDPOINT`). `client` is also the
factory the panel calls, so both views share one Client.
"""

from __future__ import annotations

import atexit
import os
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import OptionError
from .credentials import (
    LOCAL_DUMMY_KEY,
    NO_CREDENTIAL,
    Credential,
    find_credential,
    find_folder,
    known_secrets,
    source_values,
)
from .endpoints import (
    CLOUD_ENDPOINT,
    NAMED_TARGETS,
    chat_base_url,
    exposed_host,
    in_cloud,
    parse_endpoint,
    refuse_plaintext,
)
from .settings import ClientSettings

if TYPE_CHECKING:
    from ..emulator.server import LocalServer
    from .sdk import Client

TRUTHY = ("1", "true", "yes", "on")
#: requests the in-kernel local server remembers (each holds the whole chat it was sent)
KERNEL_REQUEST_LOG = 20


class Connection:
    """The current endpoint + credential, a lazily built Client, and the local server if any."""

    def __init__(self, settings: Callable[[], ClientSettings]):
        """`settings()` gives what comes from configuration (timeouts, retries), read each time
        a Client is built."""
        self._settings = settings
        self._lock = threading.RLock()
        self._client: Client | None = None
        self._sources: tuple[str, ...] = ()  # the variables' values the Client was built from
        self._server: LocalServer | None = None
        self._local_key: str | None = None  # the local server's, new at every start
        self._secret: str | None = None
        self._folder: str | None = None
        self.target = "cloud"
        self.insecure = False
        self.http: str | None = None  # the chat API's base URL of a HOST:PORT target
        env_target = os.environ.get("YGPT_ENDPOINT", "").strip() or "cloud"
        self.connect(env_target, insecure=_insecure_from_env(env_target), start=False)

    def __repr__(self) -> str:
        return f"<Connection {self.target}>"

    def connect(self, target: str, *, insecure: bool = False, start: bool = True,
                http: str | None = None) -> None:
        """Switch to `cloud`, `local` or HOST:PORT (validated now); `local` starts the server
        now when `start`, else on the first request. ``http``: the HTTP address of a HOST:PORT
        server's chat API (default: `YGPT_HTTP_ENDPOINT`); the cloud and `local` know theirs."""
        target = target.strip()
        own = target in NAMED_TARGETS
        if not own:
            parse_endpoint(target)  # OptionError with an example if malformed
        if http is not None and own:
            raise OptionError(f"--http is for a HOST:PORT server; {target} knows its own chat API "
                              f"address. Leave --http out.")
        http = http or (None if own else os.environ.get("YGPT_HTTP_ENDPOINT", "").strip() or None)
        refuse_plaintext(target, insecure, http)
        chat_url = chat_base_url(http) if http else None
        with self._lock:
            self.drop_client()
            if target != "local":
                self._stop_server()
            self.target, self.insecure, self.http = target, insecure, chat_url
            if target == "local" and start:
                self._local_server()

    def set_credentials(self, secret: str | None, folder_id: str | None) -> None:
        """Use this secret / folder (from `%ygpt auth`) instead of the environment's."""
        with self._lock:
            self._secret = secret or None
            self._folder = folder_id or None
            self.drop_client()

    def client(self) -> Client:
        """The Client for the current target (built on first use, shared with the panel), with
        the credential and folder `%ygpt whoami` shows now: a key a cell put in os.environ since
        the Client was built makes a new one (the variables are compared on every request)."""
        with self._lock:
            sources = source_values()
            if sources != self._sources:
                self.drop_client()
                self._sources = sources
            if self._client is None:
                from .sdk import Client  # asyncio, ssl: paid by the first request

                local = self.target == "local"
                endpoint, chat_url = self.target, self.http
                if local:
                    server = self._local_server()
                    endpoint, chat_url = server.address, chat_base_url(server.http_url)
                self._client = Client(endpoint=endpoint, insecure=self.insecure, local=local,
                                      auth=self._auth(), folder_id=self._folder,
                                      settings=self._settings(), chat_url=chat_url)
            return self._client

    def describe(self) -> dict[str, str | None]:
        """Endpoint, TLS, folder and credential (masked), without building a Client; the
        address is None while the local server waits for its first request to start."""
        local = self.target == "local"
        if local:
            address = self._server.address if self._server else None
        else:
            address = CLOUD_ENDPOINT if self.target == "cloud" else self.target
        chat: str | None
        if local:
            chat = chat_base_url(self._server.http_url) if self._server else "the local server's, when it starts"
        else:
            chat = "the SDK's default" if self.target == "cloud" else self.http
        return {
            "endpoint": self.target,
            "address": address,
            "chat_api": chat,
            "tls": "off" if (self.insecure or local) else "on",
            "folder": find_folder(self._folder, local=local).describe(),
            "credential": self.credential().describe(),
            "clear": self._in_the_clear(),
        }

    def credential(self) -> Credential:
        """The credential requests will carry (credentials.find_credential; kind "none": none)."""
        return find_credential(self._auth(), local=self.target == "local")

    def _auth(self) -> str | None:
        """The secret requests carry: the local server's own key, else the one from `%ygpt auth`,
        else the placeholder for a server reached in the clear across the network (None: the
        environment's, credentials.find_credential)."""
        if self.target == "local":
            return self._local_key
        if self._secret or self._exposed() is None:
            return self._secret
        return LOCAL_DUMMY_KEY

    def _exposed(self) -> str | None:
        """The host requests reach in the clear across the network (endpoints.exposed_host)."""
        return exposed_host(self.target, self.insecure, self.http)

    def _in_the_clear(self) -> str | None:
        """One line on the credential and a server reached in the clear: the key from the
        environment it does not get, or the key from `%ygpt auth` it gets; None for any other."""
        host = self._exposed()
        if host is None:
            return None
        if self._secret:
            return (f"{_named(find_credential(self._secret))} is sent to {host} in the clear (no TLS): "
                    f"anyone on the network between can read it.")
        kept = find_credential()
        if kept == NO_CREDENTIAL:
            return None
        return (f"{_named(kept)} is not sent to {host}, a server that is not Yandex's, in the clear "
                f"(no TLS): it gets the placeholder key {LOCAL_DUMMY_KEY}, which `ygpt-magic serve` "
                f"takes. To send a key there on purpose, run %ygpt auth.")

    def known_secrets(self) -> tuple[Credential, ...]:
        """The secrets a prompt must never carry (credentials.known_secrets)."""
        return known_secrets(self._secret)

    def drop_client(self) -> None:
        """Close the current Client; the next request builds one with the current settings."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def close(self) -> None:
        """Close the Client and stop the local server (on unload and at exit)."""
        with self._lock:
            self.drop_client()
            self._stop_server()

    def _local_server(self) -> LocalServer:
        if self._server is None:
            from ..emulator import start_local_server  # only `local` loads the emulator
            from .loader import quiet_grpc

            quiet_grpc()
            # Nobody reads the kernel's server log but someone debugging: keep it short. Its key
            # is this kernel's alone: another user or process on the machine reaches the port,
            # but not the chats, datasets and batch jobs behind it.
            self._local_key = secrets.token_urlsafe(32)
            self._server = start_local_server(keep_requests=KERNEL_REQUEST_LOG, api_key=self._local_key)
            atexit.register(self._stop_server)
        return self._server

    def _stop_server(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            atexit.unregister(self._stop_server)
            server.stop()


def _named(credential: Credential) -> str:
    """`Your API key from YC_API_KEY (AQVN…x9Qz)`, masked as whoami shows it."""
    kind = credential.kind.replace("_", " ").replace("api key", "API key").replace("iam", "IAM")
    return f"Your {kind} from {credential.source} ({credential.masked})"


def _insecure_from_env(target: str) -> bool:
    """``YGPT_INSECURE=1``, for a HOST:PORT target only: a variable left in a shell profile for a
    `ygpt-magic serve` server must not turn TLS off for Yandex Cloud (the default target)."""
    wanted = os.environ.get("YGPT_INSECURE", "").strip().lower() in TRUTHY
    if not wanted or target in ("cloud", "local"):
        return False
    host = target.rpartition(":")[0]
    return not in_cloud(host)
