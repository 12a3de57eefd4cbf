"""`%ygpt connect`: which server the kernel talks to, and with which key."""

from __future__ import annotations

import json
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

from cellrun import assert_clean, assert_clear_error
from conftest import TEST_KEY, cell
from ygpt_magic.errors import CredentialsMissing, OptionError
from ygpt_magic.emulator.testing import sdk_kwargs

BATCH_MODEL = "gemma-3-12b-it"


@pytest.mark.parametrize("typed, instead", [
    ("http://127.0.0.1:443", "127.0.0.1:443"),
    ("https://llm.example.com:8443", "llm.example.com:8443"),
    ("grpc://[::1]:50051", "[::1]:50051"),
])
def test_a_url_is_not_taken_for_host_port(shell, magics, typed, instead):
    before = magics.connection.describe()
    refused = cell(shell, f"%ygpt connect {typed}")
    message = assert_clear_error(refused, f"%ygpt connect {instead}", error_type=OptionError)
    assert "HOST:PORT" in message and "--http" in message
    assert magics.connection.describe() == before
