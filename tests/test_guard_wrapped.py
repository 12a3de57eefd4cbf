"""A colleague's key written so that the shape guard cannot see it as one token is still found
(findings/redteam3.md 3): a key wrapped onto two lines (a ``--docs`` PDF's table cell, where
pypdf puts a newline inside it; a soft hyphen or a zero-width space a page put in to let it wrap),
and a key percent-encoded in a URL (``%22AQVN…``: the escape's hex digit is no part of the
token). Ordinary text with line breaks is not taken for a key."""

from __future__ import annotations

import hashlib
import urllib.parse

import matplotlib
import pytest
from cellrun import assert_clear_error
from conftest import cell

from ygpt_magic import errors
from ygpt_magic.keyshapes import MASK, mask_all, sighted

#: a colleague's key: of the published API-key shape, not this kernel's
KEY = "AQVNAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zA7bC"
HEAD, TAIL = KEY[:22], KEY[22:]


def sent(server) -> str:
    return repr(list(server.requests))


def onboarding_pdf(path) -> None:
    """A PDF whose key wraps in its table cell: pypdf reads it as ``HEAD\\nTAIL``."""
    matplotlib.use("pdf")
    matplotlib.rcParams["pdf.fonttype"] = 42
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(6, 3))
    figure.text(0.05, 0.9, "Onboarding: staging bot", fontsize=12)
    figure.text(0.05, 0.75, "API key:", fontsize=10)
    figure.text(0.3, 0.75, HEAD, fontsize=10, family="monospace")
    figure.text(0.3, 0.68, TAIL, fontsize=10, family="monospace")
    figure.text(0.05, 0.5, "Rotate the key every 90 days in the console.", fontsize=10)
    figure.savefig(path)
    plt.close(figure)


def test_a_key_wrapped_in_a_docs_pdf_refuses_the_file_and_sends_nothing(shell, ygpt_server, tmp_path,
                                                                       monkeypatch):
    pytest.importorskip("pypdf")
    onboarding_pdf(tmp_path / "onboarding.pdf")
    monkeypatch.chdir(tmp_path)
    run = cell(shell, "%%ygpt --docs onboarding.pdf\nHow often do we rotate the staging key?")
    assert_clear_error(run, "the file onboarding.pdf", "a Yandex Cloud API key (AQVN…A7bC)", "rotate",
                       error_type=errors.CredentialInSource)
    assert TAIL not in sent(ygpt_server) and ygpt_server.requests == [], "nothing was embedded or asked"


@pytest.mark.usefixtures("fresh_names")
def test_a_percent_encoded_key_in_a_url_is_refused_and_masked(shell, ygpt_server):
    url = "https://api.example.com/v1/run?cfg=" + urllib.parse.quote(
        '{"api_key":"' + KEY + '","region":"ru-central1"}')
    shell.user_ns["url"] = url
    run = cell(shell, "%%ygpt --once\nWhy does this request return 401? {url}")
    assert_clear_error(run, "nothing was sent", "a Yandex Cloud API key (AQVN…A7bC)",
                       error_type=errors.CredentialInPrompt)
    assert KEY not in sent(ygpt_server)
    assert mask_all(url).count(MASK) == 1 and KEY not in mask_all(url), "a server's words quoting it"


@pytest.mark.parametrize("text", [
    f"API key: {HEAD}\n{TAIL}", f"API key: {HEAD}\r\n{TAIL}", f"key {HEAD}\u00ad{TAIL}.",
    f"key {HEAD}\u200b{TAIL}", f"/run?key%3D{KEY}&x=1", f"%2F{KEY}%20",
], ids=["newline", "crlf", "soft hyphen", "zero-width space", "after %3D", "after %2F"])
def test_a_wrapped_or_encoded_key_is_seen(text):
    sighting = sighted(text)
    assert sighting is not None and sighting.masked == "AQVN…A7bC", text


@pytest.mark.parametrize("text", [
    "AQVN is how\nAPI keys begin, and y0_\nhow OAuth tokens do",
    "def summarise(frame):\n    return frame.describe()\nresult = summarise(df)\n" * 20,
    "\n".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(100)),
    f"{HEAD}\n\n{TAIL}", f"{HEAD} \n{TAIL}", f"{HEAD}:\n{TAIL}",   # a blank line, a space, punctuation
    f"x{HEAD}\n{TAIL}", f"{HEAD}\n{TAIL}Zq345",                    # joined, inside a longer token
    "price%20AQVNx%20today",
], ids=["prose", "code", "digests", "blank line", "space", "colon", "prefixed", "run on", "short"])
def test_ordinary_text_with_line_breaks_is_not_a_key(text):
    assert sighted(text) is None
