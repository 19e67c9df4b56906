"""Test doubles on loopback: a webhook receiver (HTTP or HTTPS) and a TLS CA."""

import dataclasses
import datetime
import http.server
import ipaddress
import json
import pathlib
import ssl
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass
class Request:
    """One request as the receiver saw it."""

    path: str
    headers: dict
    body: bytes
    status: int | None = None

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """Answers POSTs on 127.0.0.1 with scripted statuses (200 once the script
    is used up), optionally after a delay, and records every request."""

    def __init__(self, statuses=(), first_delay: float = 0.0,
                 tls: ssl.SSLContext | None = None):
        self._statuses = list(statuses)
        self._first_delay = first_delay
        self._cond = threading.Condition()
        self.started: list[Request] = []
        self.completed: list[Request] = []
        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = 'https' if tls is not None else 'http'
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return '%s://127.0.0.1:%d' % (self.scheme, self._server.server_address[1])

    def _handler(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                                  body)
                delay, request.status = receiver._begin(request)
                time.sleep(delay)
                self.send_response(request.status)
                self.send_header('Content-Length', '0')
                self.end_headers()
                receiver._finish(request)

            def log_message(self, *args):
                pass

        return Handler

    def _begin(self, request: Request) -> tuple[float, int]:
        with self._cond:
            first = not self.started
            self.started.append(request)
            self._cond.notify_all()
            status = self._statuses.pop(0) if self._statuses else 200
        return (self._first_delay if first else 0.0), status

    def _finish(self, request: Request) -> None:
        with self._cond:
            self.completed.append(request)
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Wait until ``predicate(receiver)`` holds."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                           critical=False))


class CertificateAuthority:
    """A throw-away certificate authority writing PEM files under ``directory``."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._cert = (_builder('heat_watch test CA', _name('heat_watch test CA'),
                               self._key.public_key())
                      .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                      .add_extension(x509.KeyUsage(False, False, False, False, False, True,
                                                   True, False, False), True)
                      .sign(self._key, hashes.SHA256()))
        self.ca_file = self._write('ca.pem', self._cert.public_bytes(serialization.Encoding.PEM))

    def _write(self, name: str, data: bytes) -> str:
        path = self.directory / name
        path.write_bytes(data)
        return str(path)

    def issue(self, name: str, usage) -> tuple[str, str]:
        """A leaf certificate for 127.0.0.1 and localhost: (cert file, key file)."""
        key = ec.generate_private_key(ec.SECP256R1())
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key())
        cert = (_builder(name, self._cert.subject, key.public_key())
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DNSName('localhost'),
                     x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                .add_extension(x509.ExtendedKeyUsage([usage]), False)
                .add_extension(aki, False)
                .sign(self._key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return (self._write(name + '.pem', cert.public_bytes(serialization.Encoding.PEM)),
                self._write(name + '.key', key_pem))

    def server_context(self, require_client_cert: bool = False) -> ssl.SSLContext:
        """A server-side TLS context with a certificate this CA issued."""
        cert, key = self.issue('server', ExtendedKeyUsageOID.SERVER_AUTH)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(self.ca_file)
        return context

    def client_cert(self) -> tuple[str, str]:
        """A client certificate and key this CA issued."""
        return self.issue('client', ExtendedKeyUsageOID.CLIENT_AUTH)
