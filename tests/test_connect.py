"""`%ygpt connect`: which server the kernel talks to, and with which key.

The in-kernel server (`local`) answers only this kernel's client: it starts with a random key of
its own, and any other key (another user's or process's on the same machine) is refused, over
gRPC and HTTP alike, so the kernel's chats, datasets and batch jobs stay its own."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import warnings

import grpc
import pandas as pd
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy

from capture import GrpcCapture, HttpCapture, lan_address
from cellrun import assert_clean, assert_clear_error
from conftest import TEST_KEY, cell, typed_at_prompts

from ygpt_magic.emulator.testing import sdk_kwargs
from ygpt_magic.errors import AuthFailed, CredentialsMissing, OptionError

BATCH_MODEL = "gemma-3-12b-it"
#: the user's own Yandex key, in the environment because they use the cloud too
OWN_KEY = "AQVNcanaryOWNkey0123456789abcdefX9Qz"
#: a picture in the namespace, for a request that goes through the chat API
PICTURE = "import io; from PIL import Image; png = io.BytesIO(); Image.new('RGB', (8, 8)).save(png, 'PNG')"


def http_status(url: str, key: str, body: dict | None = None) -> int:
    """The status of a request to the HTTP side with ``Authorization: Api-Key <key>``."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"Api-Key {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_in_kernel_server_refuses_every_key_but_this_kernels(shell, magics, clean_env):
    shell.run_line_magic("ygpt", "connect local")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Great phone", "Broke in a week"]})
    run = cell(shell, f"%%ygpt --map reviews --batch --model {BATCH_MODEL} --out labels\n"
                      "Label the review: {text}")
    assert run.ok, run.message
    assert_clean(run)
    server = magics.kernel.connection._server
    whoami = cell(shell, "%ygpt whoami").plain
    assert "the local server's own key, made for this kernel" in whoami
    for key in ("local-dummy-key", "any-key-at-all", TEST_KEY):
        other = YCloudML(**sdk_kwargs(server.address, auth=key), retry_policy=NoRetryPolicy())
        for peek in (other.datasets.list, other.batch.list_info):
            with pytest.raises(grpc.RpcError) as refused:
                list(peek())
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert http_status(f"{server.http_url}/v1/models", key) == 401
        completion = {"modelUri": "gpt://local-folder/yandexgpt", "messages": [{"role": "user", "text": "Hi"}]}
        assert http_status(f"{server.http_url}/foundationModels/v1/completion", key, completion) == 401
    assert cell(shell, "%ygpt batch list").ok  # the kernel itself still reads its jobs



def test_a_key_set_in_the_notebook_after_connect_is_used_by_the_next_cell(shell, ygpt_server, clean_env):
    clean_env.delenv("YC_API_KEY")
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    missing = cell(shell, "%%ygpt --once\nHello")
    assert_clear_error(missing, f"the server at {ygpt_server.address}", "YC_API_KEY",
                       "ygpt-magic serve", "any value", "%ygpt auth", error_type=CredentialsMissing)
    assert "%ygpt connect local" not in missing.message   # they chose this server
    assert cell(shell, "import os\nos.environ['YC_API_KEY'] = 'AQVNnotebookkey0123456789wxyz'").ok
    assert "api key from YC_API_KEY: AQVN…wxyz" in cell(shell, "%ygpt whoami").plain
    answered = cell(shell, "%%ygpt --once\nHello")
    assert answered.ok, answered.message
    assert_clean(answered)
    assert [r.method for r in ygpt_server.requests] == ["Completion"]


@pytest.mark.parametrize("typed, instead", [
    ("http://127.0.0.1:443", "127.0.0.1:443"),
    ("https://llm.example.com:8443", "llm.example.com:8443"),
    ("grpc://[::1]:50051", "[::1]:50051"),
])
def test_a_url_is_not_taken_for_host_port(shell, magics, typed, instead):
    before = magics.kernel.connection.describe()
    refused = cell(shell, f"%ygpt connect {typed}")
    message = assert_clear_error(refused, f"%ygpt connect {instead}", error_type=OptionError)
    assert "HOST:PORT" in message and "--http" in message
    assert magics.kernel.connection.describe() == before


@pytest.mark.parametrize("line", [
    "connect cloud --insecure",
    "connect llm.api.cloud.yandex.net:443 --insecure",
    "connect 127.0.0.1:50051 --http http://llm.api.cloud.yandex.net:80",
])
def test_a_plaintext_channel_to_yandex_cloud_is_refused_before_it_carries_the_key(shell, magics, line):
    before = magics.kernel.connection.describe()
    assert_clear_error(cell(shell, f"%ygpt {line}"), "in the clear", error_type=OptionError)
    assert magics.kernel.connection.describe() == before


@pytest.mark.parametrize("endpoint, tls", [(None, "TLS on"), ("api.cloud.yandex.net:443", "TLS on"),
                                           ("127.0.0.1:50051", "TLS off")])
def test_ygpt_insecure_left_in_a_shell_profile_turns_tls_off_only_for_host_port(ipython, clean_env, endpoint, tls):
    clean_env.setenv("YGPT_INSECURE", "1")     # set once for a `ygpt-magic serve` server
    if endpoint is None:
        clean_env.delenv("YGPT_ENDPOINT", raising=False)
    else:
        clean_env.setenv("YGPT_ENDPOINT", endpoint)
    ipython.extension_manager.load_extension("ygpt_magic")
    try:
        assert f"({tls})" in cell(ipython, "%ygpt whoami").page.splitlines()[0]
    finally:
        ipython.extension_manager.unload_extension("ygpt_magic")


@pytest.fixture
def elsewhere():
    """An address of this machine on its network, standing for another machine's."""
    address = lan_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    return address


def test_a_key_from_the_environment_is_not_sent_in_the_clear_to_another_machine(shell, clean_env, elsewhere):
    clean_env.setenv("YC_API_KEY", OWN_KEY)
    with GrpcCapture(elsewhere) as server, HttpCapture(elsewhere) as chat_api:
        connected = cell(shell, f"%ygpt connect {server.address} --insecure --http {chat_api.url}")
        assert connected.ok and (
            f"Your API key from YC_API_KEY (AQVN…X9Qz) is not sent to {elsewhere}, a server that is not "
            "Yandex's, in the clear (no TLS): it gets the placeholder key local-dummy-key, which "
            "`ygpt-magic serve` takes. To send a key there on purpose, run %ygpt auth.") in connected.plain
        assert "the placeholder key local-dummy-key, not your own" in cell(shell, "%ygpt whoami").plain
        refused = cell(shell, "%%ygpt --once\nHello")
        message = assert_clear_error(refused, "refused the placeholder key local-dummy-key", "%ygpt auth",
                                     error_type=AuthFailed)
        # the key in YC_API_KEY was never sent there: nothing says it is wrong, nor to check it
        assert "check YC_API_KEY" not in message and "expire" not in message and "revoked" not in message
        assert cell(shell, PICTURE).ok
        cell(shell, "%%ygpt --once --image png --model gemma-3-27b-it\nWhat colour?")
        sent = [meta.get("authorization") for _, meta in server.calls]
        sent += [headers.get("authorization") for _, _, headers in chat_api.seen]
    assert sent and set(sent) == {"Api-Key local-dummy-key"}, "each request, gRPC and HTTP, got the placeholder"
    for run in (connected, refused):
        assert_clean(run)


def test_a_key_entered_with_auth_is_sent_there_with_a_warning(shell, clean_env, monkeypatch, elsewhere):
    clean_env.setenv("YC_API_KEY", OWN_KEY)
    typed_at_prompts(monkeypatch, "AQVNenteredKEY0123456789abcdefG7Hj", "")
    with GrpcCapture(elsewhere) as server:
        cell(shell, f"%ygpt connect {server.address} --insecure")
        entered = cell(shell, "%ygpt auth")
        assert (f"Your API key from %ygpt auth (AQVN…G7Hj) is sent to {elsewhere} in the clear (no TLS): "
                "anyone on the network between can read it.") in entered.plain
        cell(shell, "%%ygpt --once\nHello")
    assert [meta.get("authorization") for _, meta in server.calls] == ["Api-Key AQVNenteredKEY0123456789abcdefG7Hj"]
    assert "AQVNentered" not in entered.shown


@pytest.mark.slow
def test_a_certificate_this_machine_does_not_trust_is_said_at_connect(shell, clean_env, tmp_path):
    """`ygpt-magic serve --tls`: its certificate is not among gRPC's roots until
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names it, so connect says so, as the cell would, not "Connected"."""
    clean_env.delenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", raising=False)
    serve = subprocess.Popen([sys.executable, "-m", "ygpt_magic.cli", "serve", "--port", "0", "--tls",
                              str(tmp_path / "tls"), "--quiet"], stdout=subprocess.PIPE, text=True)
    try:
        address = serve.stdout.readline().split()[1]
        untrusted = cell(shell, f"%ygpt connect {address}")
        clean_env.setenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", str(tmp_path / "tls" / "cert.pem"))
        trusted = cell(shell, f"%ygpt connect {address}")
    finally:
        serve.terminate()
        serve.communicate(timeout=10)
    assert untrusted.ok and not untrusted.final.startswith("Connected"), untrusted.final
    assert (f"Using the server at {address} (TLS on), but cells will fail there. The TLS handshake with the "
            f"server at {address} failed: its certificate is not one this machine trusts") in untrusted.plain
    assert "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH" in untrusted.plain
    assert trusted.plain.startswith(f"Connected to the server at {address} (TLS on)."), trusted.plain
    for run in (untrusted, trusted):
        assert_clean(run)


def test_a_refused_token_of_the_yc_cli_names_the_cli_and_is_fetched_again(shell, ygpt_server, clean_env, tmp_path):
    """No YC_* variable: the `yc` CLI gives the token. Once refused (revoked, or `yc init` switched
    account), the advice is the CLI's, and the next cell asks the CLI for a new token."""
    calls = tmp_path / "calls"
    yc = tmp_path / "yc"
    yc.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                  f'if [ "$1" = iam ]; then echo t1.9euelZqfromyccli0123456789abcdef$(wc -l < {calls}); '
                  'else echo b1gfromyc; fi\n')
    yc.chmod(0o755)
    clean_env.delenv("YC_API_KEY")
    clean_env.delenv("YC_FOLDER_ID")
    clean_env.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert cell(shell, f"%ygpt connect {ygpt_server.address} --insecure").ok
    assert cell(shell, "%%ygpt --once\nHello").ok

    def tokens() -> int:
        return calls.read_text().count("iam create-token")
    assert tokens() == 1
    ygpt_server.faults.fail_next(1, "UNAUTHENTICATED", message="The token is invalid")
    refused = cell(shell, "%%ygpt --once\nHello again")
    message = assert_clear_error(refused, "refused the credential from yc CLI (current profile)",
                                 "asks the CLI for a new token", "`yc iam create-token`", "`yc config list`",
                                 "`yc init`", error_type=AuthFailed)
    assert "YC_API_KEY" not in message and "YC_IAM_TOKEN" not in message
    assert cell(shell, "%%ygpt --once\nHello again").ok
    assert tokens() == 2, "the refused token was sent again"
    assert "t1.9euelZq" not in refused.shown


#: a password in the chat API's address (secrets2.md F2)
URL_PASSWORD = "canaryPW-5e1d77ab90c3f2-LEAKCHECK-zz"


@pytest.mark.parametrize("door", ["--http", "YGPT_HTTP_ENDPOINT"])
def test_a_password_in_the_chat_api_address_is_refused_unshown(shell, ygpt_server, clean_env, door):
    """httpx would send the URL's user:password as Basic auth in place of the key, and the
    address is shown in whoami, config and every error: refused at connect, never repeated."""
    with HttpCapture() as chat_api:
        url = chat_api.url.replace("http://", f"http://jdoe:{URL_PASSWORD}@")
        flag = f" --http {url}" if door == "--http" else ""
        if door == "YGPT_HTTP_ENDPOINT":
            clean_env.setenv("YGPT_HTTP_ENDPOINT", url)
        refused = cell(shell, f"%ygpt connect {ygpt_server.address} --insecure{flag}")
        cell(shell, PICTURE)
        shown = [cell(shell, "%ygpt whoami"), cell(shell, "%ygpt config"),
                 cell(shell, "%%ygpt --image png --model gemma-3-27b-it\nWhat is it?")]
    message = assert_clear_error(refused, "user:password", "http://HOST:PORT", error_type=OptionError)
    assert chat_api.url.removeprefix("http://") in message
    assert chat_api.seen == [], "nothing went to the address with the password"
    for run in [refused, *shown]:
        assert "LEAKCHECK" not in run.shown + run.message, run.shown + run.message


@pytest.mark.slow   # waits out gRPC's first reconnect delays (1 s, then 1.6 s)
def test_a_server_left_behind_by_connect_is_not_tried_again(shell, ygpt_server):
    """A cell failed on a stopped server, then the user connected elsewhere. gRPC keeps trying
    a channel whose connect failed (every 1 s, 1.6 s, ... up to 120 s) until it is closed, and the
    old client's channels were closed only when a garbage collection happened to come: whatever
    took the old port next (another server's HTTP side) got gRPC prefaces for minutes."""
    from ygpt_magic.emulator import start_local_server

    server = start_local_server()
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
    assert cell(shell, "%%ygpt\nHello").ok
    server.stop(grace=0)
    assert not cell(shell, "%%ygpt\nHello again").ok
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    host, port = server.address.rsplit(":", 1)
    with socket.create_server((host, int(port))) as taken:   # the old port, taken by another program
        taken.settimeout(3.0)
        with pytest.raises(TimeoutError):
            taken.accept()
