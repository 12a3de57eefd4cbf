"""A self-signed certificate, so the SDK's example scripts can reach the local server unchanged.

The SDK has no environment variable for an insecure channel: without ``verify=False`` in the code
it always opens a TLS channel. gRPC, though, reads its trusted roots from the file named by
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``. So ``ygpt-magic serve --tls DIR`` serves TLS with a
certificate for 127.0.0.1, localhost and the host it listens on, kept in DIR (made on first use),
and an unchanged script runs with ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=DIR/cert.pem
YC_API_ENDPOINT=127.0.0.1:PORT``.

The certificate also names the cloud's HTTP host, for the HTTPS proxy that takes the SDK's chat
API calls to the local server (http/proxy.py); a pair that lacks a name is made again.

DIR holds a private key, and whoever can put files in it can make this server present their key,
or (through a planted symlink) make it write its key over a file of theirs choosing. So DIR is
made 0700, and a DIR, cert.pem or key.pem that is a symlink, is not the user's own, or can be
written (the key: read) by others is refused, not used. New files are created, never opened
through a name that exists. The certificate is a leaf (not a CA): trusting it lets it vouch for
the names it lists and for nothing else.
"""

from __future__ import annotations

import datetime
import errno
import ipaddress
import os
import secrets
import ssl
import stat
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .addresses import reachable
from .http.proxy import CLOUD_HTTP_HOSTS

CERT_NAME, KEY_NAME = "cert.pem", "key.pem"
VALID_DAYS = 825
DNS_NAMES = ("localhost", *CLOUD_HTTP_HOSTS)
LOOPBACK = "127.0.0.1"


class UnsafeTLSFolder(ValueError):
    """DIR, or a file in it, is not safe to keep or read a private key in; nothing was written."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"--tls: {path} {problem}, so the server did not start and wrote nothing. "
                         f"Use a folder of your own that only you can write, e.g. --tls ~/.cache/ygpt-magic/tls "
                         f"(it is made, 0700, on first use).")


class UnusableTLSFolder(ValueError):
    """DIR could not be made or written (a file on its path, no permission, a read-only disk)."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(f"--tls {path}: cannot make or write this folder ({_why(error)}), so the server did not "
                         f"start. Give --tls a folder you can create, e.g. --tls ~/.cache/ygpt-magic/tls.")


def _why(error: OSError) -> str:
    """What the system refused, said of the path it refused (not "File exists" for a file that
    stands where a folder has to be made)."""
    where = Path(error.filename or "?")
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        ways = (*reversed(where.parents), where)
        blocking = next((way for way in ways if way.exists() and not way.is_dir()), where)
        return f"{blocking} is a file, not a folder"
    return f"{os.strerror(error.errno).lower() if error.errno else error}: {where}"


def ensure_certificate(directory: str | Path, host: str = LOOPBACK) -> tuple[Path, Path]:
    """(cert.pem, key.pem) in ``directory``, made when missing or not naming ``host``;
    UnsafeTLSFolder when the folder or the files are not safely the user's own,
    UnusableTLSFolder when the system refuses to make or write them."""
    try:
        return _ensure_certificate(Path(directory), host)
    except OSError as error:
        raise UnusableTLSFolder(Path(directory), error) from None


def _ensure_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    _own_folder(folder)
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    have_cert, have_key = _own_file(cert_path, 0o022), _own_file(key_path, 0o077)
    if have_cert and have_key and _fits(cert_path, host):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    _create(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()), 0o600)
    _create(cert_path, _leaf(key, host).public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path


def _own_folder(folder: Path) -> None:
    """Make ``folder`` 0700, or check that the one there is a real folder only the user writes."""
    if not os.path.lexists(folder):
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)  # mkdir's mode is cut by the umask; this one may not be widened by it
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeTLSFolder(folder, "is a symbolic link or a file, not a folder")
    _check_owner(folder, info, 0o022, "other users can write in it")


def _own_file(path: Path, forbidden: int) -> bool:
    """True when ``path`` is a regular file of the user's with none of the ``forbidden``
    permission bits; False when it is missing; UnsafeTLSFolder otherwise."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeTLSFolder(path, "is a symbolic link or not a regular file")
    _check_owner(path, info, forbidden, "can be read or written by other users")
    return True


def _check_owner(path: Path, info: os.stat_result, forbidden: int, problem: str) -> None:
    if info.st_uid != os.geteuid():
        raise UnsafeTLSFolder(path, "belongs to another user")
    if info.st_mode & forbidden:
        raise UnsafeTLSFolder(path, problem)


def _create(path: Path, data: bytes, mode: int) -> None:
    """Write a new file with ``mode`` beside ``path`` (never through an existing name, so never
    through a symlink) and rename it into place."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _names(host: str) -> list[x509.GeneralName]:
    """The names the certificate vouches for: loopback, localhost, the cloud's HTTP hosts (for
    the proxy) and the host the server listens on, or for 'every interface' the loopback address
    it prints (``::`` → ``::1``)."""
    addresses, dns = {ipaddress.ip_address(LOOPBACK)}, set(DNS_NAMES)
    try:
        addresses.add(ipaddress.ip_address(reachable(host)))
    except ValueError:
        dns.add(host)
    return [*(x509.DNSName(name) for name in sorted(dns)), *(x509.IPAddress(ip) for ip in sorted(addresses, key=str))]


def _leaf(key: ec.EllipticCurvePrivateKey, host: str) -> x509.Certificate:
    """A self-signed server certificate (CA: false) for the names of :func:`_names`."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ygpt-magic local server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_names(host)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def server_credentials(directory: str | Path, host: str = LOOPBACK) -> grpc.ServerCredentials:
    """TLS credentials for ``grpc.aio.Server.add_secure_port`` from the pair in ``directory``."""
    cert_path, key_path = ensure_certificate(directory, host)
    return grpc.ssl_server_credentials([(key_path.read_bytes(), cert_path.read_bytes())])


def ssl_server_context(directory: str | Path, host: str = LOOPBACK) -> ssl.SSLContext:
    """The same pair as an ``ssl`` server context (the HTTPS proxy's side of TLS)."""
    cert_path, key_path = ensure_certificate(directory, host)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def _fits(cert_path: Path, host: str) -> bool:
    """Whether the certificate there is a leaf naming everything :func:`_names` lists (a pair
    made by an older version, a CA or one without the cloud's hosts, is made again)."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        leaf = not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False
    return leaf and set(_names(host)) <= set(names)
