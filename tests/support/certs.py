"""Throw-away TLS material for the TLS-only test engine, made with the `openssl` CLI.

Produces a CA, a server certificate for one namespace address (as subjectAltName),
a client certificate the server trusts, and a second client certificate signed by
another CA that the server must refuse. Client folders use Docker's file names
(ca.pem, cert.pem, key.pem) so that DOCKER_CERT_PATH can point at them.
Must not: reuse keys between runs, print key material, or touch anything outside
the folder it is given.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import HostSetupError

_VALID_DAYS = "7"

# One config for every step, so that the system openssl.cnf (which may add its
# own v3_ca extensions and clash with ours) plays no part.
_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = {san}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


@dataclass(frozen=True)
class TLSFiles:
    """A client's view of a TLS engine: the CA to verify it, and our cert and key."""

    ca: Path
    cert: Path
    key: Path

    @property
    def folder(self) -> Path:
        """The folder to use as DOCKER_CERT_PATH."""
        return self.cert.parent


@dataclass(frozen=True)
class TestPKI:
    """Everything a TLS test engine and its clients need."""

    __test__ = False  # not a pytest test class despite the name

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client: TLSFiles
    untrusted_client: TLSFiles


def _openssl(*args: str | Path, cwd: Path) -> None:
    result = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, capture_output=True, text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise HostSetupError(
            f"openssl {args[0]} failed while making test certificates in {cwd}: "
            f"{result.stderr.strip()[-500:]}. Is the `openssl` package installed?"
        )


def _new_key(path: Path, cwd: Path) -> Path:
    # EC keys: generated instantly, unlike RSA, and accepted by Go and Python alike.
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", path, cwd=cwd)
    os.chmod(path, 0o600)
    return path


def _new_ca(folder: Path, name: str, config: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    key = _new_key(folder / "ca-key.pem", folder)
    cert = folder / "ca.pem"
    _openssl("req", "-config", config, "-x509", "-new", "-key", key, "-out", cert,
             "-days", _VALID_DAYS, "-subj", f"/CN={name}", "-extensions", "ca_ext",
             cwd=folder)
    return cert, key


def _sign(folder: Path, stem: str, subject: str, extensions: str,
          ca: tuple[Path, Path], config: Path) -> tuple[Path, Path]:
    key = _new_key(folder / f"{stem}-key.pem" if stem else folder / "key.pem", folder)
    csr = folder / f"{stem or 'client'}.csr"
    cert = folder / f"{stem}-cert.pem" if stem else folder / "cert.pem"
    _openssl("req", "-config", config, "-new", "-key", key, "-subj", f"/CN={subject}",
             "-out", csr, cwd=folder)
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
             "-set_serial", f"0x{secrets.token_hex(12)}", "-days", _VALID_DAYS,
             "-out", cert, "-extfile", config, "-extensions", extensions, cwd=folder)
    csr.unlink()
    return cert, key


def make_test_pki(folder: Path, server_ip: str, server_name: str) -> TestPKI:
    """Create a fresh CA, server and client certificates under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "openssl.cnf"
    config.write_text(_CONFIG.format(san=f"IP:{server_ip},DNS:{server_name}"))

    ca = _new_ca(folder / "ca", "capsule-t test CA", config)
    server_cert, server_key = _sign(folder, "server", server_name, "server_ext", ca, config)

    client_dir = folder / "client"
    client_dir.mkdir()
    cert, key = _sign(client_dir, "", "capsule-t test client", "client_ext", ca, config)
    (client_dir / "ca.pem").write_bytes(ca[0].read_bytes())
    client = TLSFiles(ca=client_dir / "ca.pem", cert=cert, key=key)

    # Signed by a CA the engine does not trust; it still trusts the real CA for the
    # server, so only the engine's client-certificate check can make it fail.
    rogue = _new_ca(folder / "rogue-ca", "capsule-t untrusted CA", config)
    untrusted_dir = folder / "untrusted"
    untrusted_dir.mkdir()
    cert, key = _sign(untrusted_dir, "", "capsule-t untrusted client", "client_ext",
                      rogue, config)
    (untrusted_dir / "ca.pem").write_bytes(ca[0].read_bytes())
    untrusted = TLSFiles(ca=untrusted_dir / "ca.pem", cert=cert, key=key)

    return TestPKI(ca_cert=ca[0], server_cert=server_cert, server_key=server_key,
                   client=client, untrusted_client=untrusted)
