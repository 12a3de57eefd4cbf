"""A refused credential is said with the server's own words (cloudfaults: AuthFailed had one
fixed text for every refusal), the key it may echo masked.

The server's UNAUTHENTICATED / 401 text often says exactly what is wrong ("The token is
expired", "Unknown api key", a folder not found), so the message quotes it as the other service
errors quote theirs, after the advice for where the credential came from. A server may echo the
key or token it was sent: the canary here is a key in no Yandex shape, so only the masking of
the kernel's own credentials (not the key-shaped patterns of errors/base.py) can keep it out.
Through the real shell, the unmodified SDK and the local server's injected refusal, over gRPC
and over the chat API (pictures).
"""

from __future__ import annotations

import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell
from pictures import MODEL, pics  # noqa: F401 (pics: a fixture)

from ygpt_magic.errors import AuthFailed

#: a key the server echoes, in no shape errors/base.py masks; its middle is what must not show
ECHOED_KEY = "canary-plain-93b1f7c2e6a0d5-LEAKCHECK-kEy1"
MIDDLE = ("93b1f7c2e6a0d5", "LEAKCHECK")

CELLS = {
    "gRPC": "%%ygpt --once\nHello",
    "chat API": f"%%ygpt --once --no-stream --image png --model {MODEL}\nWhat colour is it?",
}


@pytest.mark.parametrize("api", CELLS)
def test_a_refused_key_is_said_in_the_servers_words_with_the_key_masked(pics, ygpt_server, clean_env, api):
    clean_env.setenv("YC_API_KEY", ECHOED_KEY)
    assert cell(pics, "import io; from PIL import Image; png = io.BytesIO(); "
                      "Image.new('RGB', (8, 8)).save(png, 'PNG')").ok
    ygpt_server.faults.fail_next(1, "UNAUTHENTICATED", message=f"The API key {ECHOED_KEY} is expired")
    run = cell(pics, CELLS[api])
    message = assert_clear_error(run, "refused the credential from YC_API_KEY", "check YC_API_KEY",
                                 "The server said: “The API key cana…kEy1 is expired”.", error_type=AuthFailed)
    assert not [part for part in MIDDLE if part in run.shown + message], "the echoed key was shown"
    assert_clean(run)


def test_a_refusal_without_words_keeps_the_advice_alone(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "UNAUTHENTICATED", message=" ")
    message = assert_clear_error(cell(shell, "%%ygpt --once\nHello"), "Run %ygpt auth",
                                 "%ygpt whoami shows what is used.", error_type=AuthFailed)
    assert "server said" not in message
