"""A credential the kernel does not know is still never sent: the shapes Yandex publishes.

The keys here are in no variable the kernel reads (the environment holds the suite's own test
key): a user pastes someone's key into a cell, a DataFrame or a file holds a service account's,
a traceback quotes an ``Authorization`` header, a tool returns a token. Each door is tried
through a real shell against the local server, which counts what it received: nothing carrying
the key, and a paragraph that names the kind, where it was, the key masked, and what to do.
Ordinary text that only resembles a key (``t1.5``, ``AQVNx``, a digest, a long variable name)
is sent as usual.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import statistics
import time

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell
from test_map_batch import BATCH_MODEL
from test_panel import send, widget_comm  # noqa: F401 (widget_comm: a fixture)

from ygpt_magic import errors, keyshapes
from ygpt_magic.client.credentials import LOCAL_DUMMY_KEY
from ygpt_magic.keyshapes import _crc32c, sighted

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


def _static_secret(body: bytes) -> str:
    """A static access key's secret of the published shape: ``YC`` + 38 base64url characters
    whose last 4 bytes are the CRC32-C of the rest (26 bytes; 0x60 0x2x encode "YC")."""
    data = b"\x60\x2f" + body[:24].ljust(24, b"k")
    return base64.urlsafe_b64encode(data + _crc32c(data).to_bytes(4, "big")).decode().rstrip("=")


#: someone else's credentials, in the published shapes (split so no scanner takes this file's
#: text for a leak); the middles never appear in what is shown or sent
API_KEY = "AQVN" + "shpK7p2mQ9vL4nR8sT1wY6zB3cD5fG0hJ2kM9x"
IAM_TOKEN = ("t1." + "9euelZqShp" + "Q1x2Y3z4" * 7 + "." + "sig" + "AbCdEfGhIjKlMnOp" * 5 + "Qr3")
OAUTH_TOKEN = "y0_" + "AgAAAAShp" + "b7c1d9e3" * 6 + "Zz"
STATIC_SECRET = _static_secret(b"shape-static-secret-0042")
SHAPED = {"API key": API_KEY, "IAM token": IAM_TOKEN, "OAuth token": OAUTH_TOKEN,
          "static access key": STATIC_SECRET}


def masked(secret: str) -> str:
    """How the product shows a key (credentials.mask, as %ygpt whoami does)."""
    return f"{secret[:4]}…{secret[-4:]}"


def middles() -> list[str]:
    return [secret[6:-6] for secret in SHAPED.values()]


def carried(server) -> list[str]:
    """The middles of the keys in anything the server received (empty: nothing carried one)."""
    received = repr(list(server.requests))
    return [middle for middle in middles() if middle in received]


def assert_refused(result, server, where: str, kind: str, masked: str,
                   error_type: type = errors.CredentialInPrompt) -> str:
    message = assert_clear_error(result, where, f"what looks like {kind} ({masked})", "rotate it",
                                 error_type=error_type)
    assert not carried(server), "the server received the key"
    assert not [middle for middle in middles() if middle in result.shown], result.shown
    return message


# ---- the shapes themselves: the published examples match, near misses do not ----------------

def test_the_checksum_is_crc32c():
    assert _crc32c(b"123456789") == 0xE3069283  # the check value of CRC-32C (RFC 3720)


@pytest.mark.parametrize("name", list(SHAPED))
def test_each_published_shape_is_seen_whole_in_text_and_in_json(name):
    secret = SHAPED[name]
    for text in (secret, f"why does {secret} fail?", f'{{"key": "{secret}"}}', f"line one\\n{secret}\\n",
                 f"Authorization: Api-Key {secret}", f"key={secret}&x=1"):
        sighting = sighted(text)
        assert sighting is not None, f"{name} not seen in {text[:40]!r}"
        assert sighting.masked == masked(secret)


@pytest.mark.parametrize(("kind", "secret"), [
    ("a Yandex Cloud refresh token", "r" + IAM_TOKEN),
    ("a Yandex Cloud IAM cookie", "c" + IAM_TOKEN[1:]),
    ("a Yandex SmartCaptcha server key", "ysc2_" + "D0ur60kwXTL7rM52UzJ7" * 2 + "0a1b2c3d"),
    ("a Yandex Cloud OIDC app secret", "yccs__" + "0123456789abcdef" * 4 + "_0a1b2c3d"),
    ("a Yandex OAuth token", "y3_" + "x" * 199),
    ("a Yandex Cloud API key", "AQVN" + "x" * 38),
], ids=lambda value: value[:12])
def test_the_other_published_shapes(kind, secret):
    sighting = sighted(f"secret: {secret}\n")
    assert sighting is not None and sighting.kind == kind and sighting.masked == masked(secret)


def test_a_service_accounts_key_file_is_seen_by_its_private_key():
    """`yc iam key create` writes the private key into key.json with its line breaks escaped."""
    key_json = ('{"id": "ajeq1v2k3l4m5n6o7p8r", "service_account_id": "ajes0m3acc0unt",'
                ' "private_key": "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajeq1v2k3l4m5n6o7p8r>'
                '\\n-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"}')
    for text in (key_json, json.loads(key_json)["private_key"]):
        sighting = sighted(text)
        assert sighting is not None and sighting.kind == "the private key of a Yandex Cloud service account"
        assert sighting.masked == "key id ajeq…7p8r", sighting


@pytest.mark.parametrize("text", [
    "t1.5", "In t1.5 the model answers", "AQVNx", "AQVN is how API keys begin", "y0_ is an OAuth prefix",
    hashlib.sha256(b"x").hexdigest(), hashlib.sha512(b"x").hexdigest(),
    "os.environ['YC_API_KEY'] and YC_IAM_TOKEN=$(yc iam create-token)",
    API_KEY + "Zq",                                     # longer than any API key: not one
    "x" + API_KEY,                                      # inside a longer token
    IAM_TOKEN[:-3],                                     # an 85-character signature
    LOCAL_DUMMY_KEY, "AQVNtestkey0123456789abcdefx9Qz",
], ids=lambda text: text[:24])
def test_near_misses_are_not_keys(text):
    assert sighted(text) is None


def test_a_name_of_the_static_keys_shape_without_its_checksum_is_not_a_key():
    name = "YC_FOLDER_ID_FOR_THE_PRODUCTION_ENVIRONS"
    assert re.fullmatch(r"YC[a-zA-Z0-9_\-]{38}", name), "the published pattern alone takes it"
    assert sighted(name) is None and sighted(f"export {name}=b1g") is None
    assert sighted(STATIC_SECRET[:-1] + ("A" if STATIC_SECRET[-1] != "A" else "B")) is None


def test_the_local_servers_own_keys_are_no_shape():
    """The in-kernel server's key (connection.py: token_urlsafe(32)) and the placeholder."""
    assert not [key for key in (secrets.token_urlsafe(32) for _ in range(2000)) if sighted(key)]


def test_a_10kb_cell_is_checked_in_well_under_a_millisecond():
    code = ("def summarise(frame):\n    '''t1.5 and AQVNx are not keys; sha '"
            + hashlib.sha256(b"a").hexdigest() + "'''\n    return frame.describe()\n")
    text = (code * (10_000 // len(code) + 1))[:10_000]
    times = []
    for _ in range(50):
        start = time.perf_counter()
        assert sighted(text) is None
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.002, f"median {statistics.median(times) * 1000:.2f} ms"


# ---- every door, through the shell and the local server ----------------------------------------

def test_a_key_pasted_into_the_cell(shell, ygpt_server):
    result = cell(shell, f"%%ygpt --once\nWhy does {API_KEY} fail with 401?")
    assert_refused(result, ygpt_server, "the cell's text", "a Yandex Cloud API key", "AQVN…kM9x")
    assert ygpt_server.requests == []


def test_a_dataframe_holding_a_service_accounts_token(shell, ygpt_server):
    shell.user_ns["accounts"] = pd.DataFrame({"name": ["robot"], "token": [IAM_TOKEN]})
    result = cell(shell, "%%ygpt --once\nWhich account is unused? {accounts}")
    assert_refused(result, ygpt_server, "{accounts}", "a Yandex Cloud IAM token", "t1.9…pQr3")
    assert ygpt_server.requests == []


def test_fix_of_a_traceback_quoting_an_authorization_header(shell, ygpt_server):
    cell(shell, f"raise PermissionError('401 for Authorization: Api-Key {API_KEY}')")
    count = shell.execution_count - 1
    result = cell(shell, "%ygpt fix")
    assert_refused(result, ygpt_server, f"cell {count}", "a Yandex Cloud API key", "AQVN…kM9x",
                   errors.CredentialInFailedCell)
    assert ygpt_server.requests == []


@pytest.mark.parametrize("batch", [False, True], ids=["--map", "--batch"])
def test_a_row_holding_an_oauth_token_fails_alone(shell, ygpt_server, batch):
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns["notes"] = pd.DataFrame({"note": ["fine weather", f"my token {OAUTH_TOKEN}"]})
    flags = f"--batch --model {BATCH_MODEL}" if batch else ""
    result = cell(shell, f"%%ygpt --map notes {flags}\nSummarise: {{note}}")
    assert not carried(ygpt_server), "a row carried the token to the server"
    assert "1 answered" in result.shown and "1 failed (1 credential in prompt)" in result.shown, result.shown
    failed = shell.user_ns["_ygpt"].errors
    assert list(failed) == [1], "the row with the token fails alone; the other is sent and answered"
    assert f"{{note}} contains what looks like a Yandex OAuth token ({masked(OAUTH_TOKEN)})" in failed[1], failed[1]
    assert "fine weather" in repr(list(ygpt_server.requests))


def test_a_tool_result_holding_a_token(shell, ygpt_server):
    shell.user_ns["token"] = IAM_TOKEN
    cell(shell, "def get_token(user: str) -> str:\n    '''The token of a user.'''\n    return token")
    result = cell(shell, "%%ygpt --once --tools get_token\nGet the token of alice")
    assert_refused(result, ygpt_server, "the result of get_token", "a Yandex Cloud IAM token", "t1.9…pQr3",
                   errors.CredentialInToolResult)
    assert len(ygpt_server.requests) == 1, "only the request that asked for the call went out"


def test_a_docs_file_holding_a_static_key(shell, ygpt_server, tmp_path, monkeypatch):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "cats.md").write_text("Cats sleep in the sun.\n", encoding="utf-8")
    (notes / "s3.md").write_text(f"aws_secret_access_key = {STATIC_SECRET}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cell(shell, "%%ygpt --docs notes --once\nWhere do cats sleep?")
    assert_refused(result, ygpt_server, "notes/s3.md", "the secret of a Yandex Cloud static access key",
                   masked(STATIC_SECRET), errors.CredentialInSource)
    assert ygpt_server.requests == [], "no file was embedded"


def test_a_docs_file_holding_an_api_key_names_it_masked_and_says_to_rotate_it(shell, ygpt_server, tmp_path,
                                                                                monkeypatch):
    """sources/library.py reads the same shapes as the guard: a --docs file's key is said as a
    cell's is (the old check of its own said "an API key" with neither the key nor the advice)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "setup.md").write_text(f"export YC_API_KEY={API_KEY}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cell(shell, "%%ygpt --docs notes --once\nHow do I set it up?")
    message = assert_refused(result, ygpt_server, "notes/setup.md", "a Yandex Cloud API key", "AQVN…kM9x",
                             errors.CredentialInSource)
    assert "Nothing was sent or indexed" in message and "leave the file out of --docs" in message
    assert ygpt_server.requests == [], "no file was embedded"


def test_a_docs_file_holding_the_kernels_own_key_names_it_as_the_kernels(shell, ygpt_server, tmp_path,
                                                                         monkeypatch):
    """The kernel's own key is of a published shape too: the file is refused naming where the
    key came from, not as someone's key to rotate."""
    monkeypatch.setenv("YC_API_KEY", API_KEY)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "setup.md").write_text(f"export YC_API_KEY={API_KEY}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cell(shell, "%%ygpt --docs notes --once\nHow do I set it up?")
    message = assert_clear_error(result, "the file notes/setup.md contains your api key (from YC_API_KEY)",
                                 error_type=errors.CredentialInSource)
    assert "rotate" not in message and "not a credential this kernel uses" not in message
    assert not carried(ygpt_server) and API_KEY[6:-6] not in result.shown


def test_embed_rows_and_classification(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["cats sleep", f"key {API_KEY}"]}, index=["a", "b"])
    embedded = cell(shell, "%ygpt embed df --column text --out vectors")
    assert "1 answered" in embedded.shown and "1 failed (1 credential in prompt)" in embedded.shown
    failed = shell.user_ns["_ygpt"].errors
    assert list(failed) == ["b"] and "what looks like a Yandex Cloud API key (AQVN…kM9x)" in failed["b"], failed
    shell.user_ns["secret"] = API_KEY
    labelled = cell(shell, "%%ygpt --labels a,b\ncheck {secret}")
    assert_refused(labelled, ygpt_server, "{secret}", "a Yandex Cloud API key", "AQVN…kM9x")
    assert not carried(ygpt_server)
    assert "cats sleep" in repr(list(ygpt_server.requests)), "the clean row is embedded"


@pytest.mark.usefixtures("widget_comm")
def test_the_panel_and_a_chat_name(shell, ygpt_server, magics):
    panel = shell.run_line_magic("ygpt", "panel")
    try:
        send(panel, f"My key is {API_KEY}")
        assert panel.wait(15)
        assert "what looks like a Yandex Cloud API key (AQVN…kM9x)" in panel.status.value
        assert magics.kernel.session.chat().turns == []
    finally:
        panel.close()
    named = cell(shell, f"%%ygpt --chat {OAUTH_TOKEN}\nhello")
    assert_clear_error(named, "the chat name contains what looks like a Yandex OAuth token",
                       error_type=errors.CredentialInName)
    assert not carried(ygpt_server) and list(magics.kernel.session.chats) == ["default"]


def test_near_misses_are_sent(shell, ygpt_server):
    text = ("In t1.5 the model says AQVNx starts an API key, y0_ an OAuth token; digest "
            f"{hashlib.sha256(b'x').hexdigest()}, variable YC_FOLDER_ID_FOR_THE_PRODUCTION_ENVIRONS.")
    result = cell(shell, f"%%ygpt --once --no-interpolate\n{text}")
    assert result.ok, result.message
    assert sighted(text) is None and text in repr(list(ygpt_server.requests))


def test_a_cut_inside_a_token_that_opens_like_a_key_leaves_the_token_out():
    key = "AQVN" + "k7Rz2pQw9XbT4mLs8VnC1dYh6GfJ3eKa0uI"
    text = f"header={key} trailer"
    assert keyshapes.cut(text, text.index(key) + 30) == "header="     # most of a key: none of it
    assert keyshapes.cut(text, len(text) - 3) == f"header={key} trai"   # a whole key: the guard's
    assert keyshapes.cut("plain words of prose", 9) == "plain wor"
