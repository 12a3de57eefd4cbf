"""The one table of gRPC failure statuses the tests inject, and what a user must read for each.

test_client.py checks that the client turns each into its error type; test_faults.py that a cell
shows it as one paragraph and keeps the chat. Both run with 2 retries (so "after 3 attempts") and
the test folder of conftest.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ygpt_magic import errors


@dataclass(frozen=True)
class Status:
    code: str
    error: type
    keywords: tuple[str, ...]
    retried: bool = False  # the SDK's retry policy retries it: retries + 1 calls reach the server


STATUSES = (
    Status("UNAUTHENTICATED", errors.AuthFailed, ("refused the credential", "%ygpt auth", "YC_API_KEY")),
    Status("PERMISSION_DENIED", errors.PermissionDenied,
           ("no permission", "ai.languageModels.user", "b1gtestfolder", "YC_FOLDER_ID")),
    Status("RESOURCE_EXHAUSTED", errors.QuotaExceeded, ("quota", "after 3 attempts", "run the cell again"),
           retried=True),
    Status("UNAVAILABLE", errors.ServerBusy, ("answered", "127.0.0.1:", "run the cell again", "Injected fault"),
           retried=True),
    Status("INVALID_ARGUMENT", errors.RequestRejected, ("rejected", "invalid", "Injected fault")),
    Status("NOT_FOUND", errors.ModelNotFound, ("not found", "%ygpt models")),
    Status("DEADLINE_EXCEEDED", errors.ServerGaveUp, ("gave up", "deadline was exceeded", "run the cell again")),
    Status("INTERNAL", errors.ServerFailed, ("failed to answer", "INTERNAL", "run the cell again")),
    Status("FAILED_PRECONDITION", errors.ServiceRefused, ("state of the account or folder", "will not help")),
    Status("UNIMPLEMENTED", errors.ServiceRefused, ("does not offer", "%ygpt models", "will not help")),
    Status("OUT_OF_RANGE", errors.ServerFailed, ("out of range", "%ygpt config")),
)
