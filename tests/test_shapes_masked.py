"""What a server says is quoted with every Yandex key of a published shape masked: masking reads
the list the guard finds keys by (keyshapes.py), so it is never weaker than finding.

A server may echo what it was sent, or a key of someone's (a gateway's log line, a proxy's
error). The kernel's own credentials are masked by name (tests/test_auth_said.py); these are
keys it does not know, in each shape Yandex publishes. errors/base.py masked API keys, ``t1.``
tokens cut at their first ``=`` and ``y0_``…``y3_`` tokens: a padded IAM token's signature, a
refresh token, a ``y5_`` OAuth token, a static key's secret, a SmartCaptcha key, an OIDC secret
and a service account's private key were quoted whole. Through the real shell, the unmodified
SDK and the local server's injected INVALID_ARGUMENT, whose words the message quotes.
"""

from __future__ import annotations

import pytest
from cellrun import assert_clear_error
from conftest import cell
from test_guard_shapes import API_KEY, IAM_TOKEN, OAUTH_TOKEN, STATIC_SECRET

from ygpt_magic.errors import RequestRejected

#: someone's keys, one of each published shape (split so no scanner takes this file for a leak)
PADDED_IAM = IAM_TOKEN.replace(".sig", "==.sig")
ECHOED = {
    "API key": API_KEY,
    "IAM token": IAM_TOKEN,
    "padded IAM token": PADDED_IAM,
    "refresh token": "r" + PADDED_IAM,
    "IAM cookie": "c" + PADDED_IAM[1:],
    "OAuth y0_": OAUTH_TOKEN,
    "OAuth y5_": "y5_" + OAUTH_TOKEN[3:],
    "static key secret": STATIC_SECRET,
    "SmartCaptcha key": "ysc2_" + "D0ur60kwXTL7rM52UzJ7" * 2 + "0a1b2c3d",
    "OIDC app secret": "yccs__" + "0123456789abcdef" * 4 + "_0a1b2c3d",
    "SA private key": ("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajeq1v2k3l4m5n6o7p8r> "
                       "-----BEGIN PRIVATE KEY----- MIIEvQIBADANBgkqhkiG9w0BAQEFAASC "
                       "BKcwggSjAgEAAoIBAQC7 -----END PRIVATE KEY-----"),
}


def rejected_saying(shell, server, words: str) -> str:
    """The message of a cell whose request the server rejects with ``words``."""
    server.faults.fail_next(1, "INVALID_ARGUMENT", message=words)
    return assert_clear_error(cell(shell, "%%ygpt --once\nHello"), "rejected the request as invalid",
                              "The server said:", error_type=RequestRejected)


@pytest.mark.parametrize("name", list(ECHOED))
def test_a_key_the_server_echoes_is_quoted_masked(shell, ygpt_server, name):
    secret = ECHOED[name]
    message = rejected_saying(shell, ygpt_server, f"field 'token' holds {secret}; it is not allowed here")
    assert "The server said: “field 'token' holds ***; it is not allowed here”." in message, message
    assert secret[6:-6] not in message and secret[-12:] not in message


def test_words_that_only_look_like_a_key_are_quoted_as_said(shell, ygpt_server):
    words = ("t1.5 is not a model; AQVNx, y0_ and YC_FOLDER_ID_FOR_THE_PRODUCTION_ENVIRONS are names, "
             "see c1.example.com")
    message = rejected_saying(shell, ygpt_server, words)
    assert f"The server said: “{words}”." in message, message


#: keys cut short (a log line's first characters of one, a field truncated by a gateway): each is
#: below every published length, but errors/base.py masked them before it read keyshapes.py
CUT = {
    "API key cut to 16": "AQVNab12cd34ef56",
    "API key cut to 8 after AQVN, with - and _": "AQVN_abc-def_123456",
    "API key in lower case": "aqvnab12cd34ef56",
    "IAM token cut to 15, then a full stop": "t1.9euelZqKabcdefg",
    "OAuth token cut to 16": "y0_AgAAAAAbcdefghi",
}


@pytest.mark.parametrize("name", list(CUT))
def test_a_key_cut_short_that_the_server_echoes_is_quoted_masked(shell, ygpt_server, name):
    cut = CUT[name]
    message = rejected_saying(shell, ygpt_server, f"key {cut}. rejected; key-{cut} too")
    assert "The server said: “key ***. rejected; key-*** too”." in message, message
    assert cut[4:] not in message
