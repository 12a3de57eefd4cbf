"""TLS for the local server, so programs that cannot be told ``verify=False`` still reach it.

The SDK opens TLS channels unless its code passes ``verify=False``; the SDK's own example
scripts do not. With ``serve --tls`` the server listens with a self-signed certificate for
127.0.0.1 and localhost, written to a file, and gRPC trusts it when the environment says
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=<that file>``: the examples then run unchanged, pointed at the
server by environment variables only. The key never leaves this machine's temporary directory.
"""

from __future__ import annotations

import datetime
import ipaddress
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grpc

ROOTS_ENV = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate and its key (PEM); ``path`` holds the certificate alone."""

    cert_pem: bytes
    key_pem: bytes
    path: Path

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self.key_pem, self.cert_pem)])


def self_signed(directory: str | Path | None = None, days: int = 30) -> Certificate:
    """A new certificate for 127.0.0.1 and localhost, its PEM written to ``directory``."""
    try:
        from cryptography import x509  # lazy: only `serve --tls` needs it
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise ImportError("serve --tls needs the cryptography package: pip install cryptography") from None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ygpt-magic local server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    alt_names = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(alt_names, critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="ygpt-tls-"))
    path = folder / "local-server.pem"
    path.write_bytes(cert_pem)
    return Certificate(cert_pem, key_pem, path)
