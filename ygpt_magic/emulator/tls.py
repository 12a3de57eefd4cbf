"""A self-signed certificate, so the SDK's example scripts can reach the local server unchanged.

The SDK has no environment variable for an insecure channel: without ``verify=False`` in the code
it always opens a TLS channel. gRPC, though, reads its trusted roots from the file named by
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``. So ``ygpt-magic serve --tls DIR`` serves TLS with a
certificate for 127.0.0.1 and localhost kept in DIR (made on first use), and an unchanged script
runs with ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=DIR/cert.pem YC_API_ENDPOINT=127.0.0.1:PORT``.

The certificate also names the cloud's HTTP host, for the HTTPS proxy that takes the SDK's chat
API calls to the local server (http/proxy.py); a pair made before it did is made again.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import ssl

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .http.proxy import CLOUD_HTTP_HOSTS

CERT_NAME, KEY_NAME = "cert.pem", "key.pem"
VALID_DAYS = 825
DNS_NAMES = ("localhost", *CLOUD_HTTP_HOSTS)


def ensure_certificate(directory: str | Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) in ``directory``; a new self-signed pair when they are missing."""
    folder = Path(directory)
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if cert_path.is_file() and key_path.is_file() and _names(cert_path) >= set(DNS_NAMES):
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ygpt-magic local server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([*(x509.DNSName(name) for name in DNS_NAMES),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_credentials(directory: str | Path) -> grpc.ServerCredentials:
    """TLS credentials for ``grpc.aio.Server.add_secure_port`` from the pair in ``directory``."""
    cert_path, key_path = ensure_certificate(directory)
    return grpc.ssl_server_credentials([(key_path.read_bytes(), cert_path.read_bytes())])


def ssl_server_context(directory: str | Path) -> ssl.SSLContext:
    """The same pair as an ``ssl`` server context (the HTTPS proxy's side of TLS)."""
    cert_path, key_path = ensure_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def _names(cert_path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        return set()
