"""`ygpt-magic serve --tls`: a program that keeps the SDK's default (TLS, verify=True) reaches the
local server with environment variables only, as the SDK's example scripts must."""

from __future__ import annotations

import os
import subprocess
import sys

CLIENT = ("from yandex_ai_studio_sdk import AIStudio\n"
          "print(AIStudio().models.completions('yandexgpt').run('Translate the text').text)\n")


def test_the_sdk_with_its_defaults_talks_tls_to_the_server_trusting_the_printed_certificate():
    server = subprocess.Popen([sys.executable, "-m", "ygpt_magic.cli", "serve", "--tls"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().split()[1]
        hint = next(line for line in server.stderr if line.startswith("TLS on"))
        env_words = dict(word.split("=", 1) for word in hint.split() if "=" in word)
        assert env_words["YC_API_ENDPOINT"] == address
        env = {**os.environ, **env_words, "YC_API_KEY": "local-key", "YC_FOLDER_ID": "local-folder"}
        client = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=60)
        assert client.returncode == 0, client.stderr
        assert client.stdout.strip()
    finally:
        server.terminate()
        server.communicate(timeout=10)
