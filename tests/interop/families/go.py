"""Go's golang.org/x/crypto/ssh: one harness binary per x/crypto version, client and server roles.

``interop/go/install.sh`` builds ``interop/go/harness`` against each version:
Debian 12's ``golang-golang-x-crypto-dev`` (x/crypto 0.4.0, GOPATH mode) and
versions from the Go module proxy, one where the default lists or the error
text changed:

* 0.0.0-20201221181555-eec23a3978ad: a pseudo-version of the kind modules pinned
  before x/crypto had tags; curve25519 only as ``@libssh.org``, RSA host keys
  only as ``ssh-rsa``, MACs negotiated even under an AEAD cipher;
* 0.4.0 (Debian): rsa-sha2 host keys on both sides, curve25519-sha256, group14-sha256;
* 0.17.0: strict kex (the Terrapin fix); 0.24.0: the same lists, a 2024 release;
* 0.38.0: mlkem768x25519-sha256 first (built with Go >= 1.24);
* 0.45.0: the ``we offered: [...], peer offered: [...]`` error of 0.40-0.54, and the
  negotiated algorithms exposed to the server;
* 0.59.0: the newest served, the error with quoted names (``["a" "b"]``).

The client says what it chose only after a successful login (x/crypto hands
out the connection then), which the lab's servers never allow: its ``chosen``
is null and the relay and the other side tell the truth. The server prints
what it chose from 0.39.0 (``ssh.AlgorithmsConnMetadata``), without compression.
"""

from __future__ import annotations

from tests.interop.harness import LabClient, LabServer, prefix

BIN = prefix("go") / "bin"

# (version as in the profile id, binary suffix, variant)
VERSIONS: tuple[tuple[str, str, str], ...] = (
    ("0.0.0-20201221181555-eec23a3978ad", "0.0.0-20201221181555-eec23a3978ad", ""),
    ("0.4.0", "0.4.0-debian12", "debian12"),
    ("0.17.0", "0.17.0", ""),
    ("0.24.0", "0.24.0", ""),
    ("0.38.0", "0.38.0", ""),
    ("0.45.0", "0.45.0", ""),
    ("0.59.0", "0.59.0", ""),
)


def clients() -> list[LabClient]:
    return [LabClient("go", version, (str(BIN / f"sshdoctor-go-{suffix}"), "client"), profile=f"go-{version}",
                      reported_by="go", variant=variant, batch=True)
            for version, suffix, variant in VERSIONS]


def servers() -> list[LabServer]:
    return [LabServer("go", version, f"go-{version}", argv=(str(BIN / f"sshdoctor-go-{suffix}"), "server"),
                      variant=variant)
            for version, suffix, variant in VERSIONS]
