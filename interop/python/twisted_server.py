"""Lab server harness for Twisted Conch: ``python twisted_server.py PORT KEYDIR``.

A ``twisted.conch.ssh.factory.SSHFactory`` with the class's default
``supported*`` lists, the lab's Ed25519, ECDSA P-256 and RSA host keys
(OpenSSH format, in that order) and no moduli file (so Twisted leaves the
group-exchange methods out, as it says in its log); public-key
authentication against an empty key database, so everyone is refused.
Twisted's log goes to stderr; one ``{"chosen": ...}`` line per connection to
stdout, when the client asks for its first service (after NEWKEYS), or
``null`` when the connection ends before that.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from twisted.conch.checkers import InMemorySSHKeyDB, SSHPublicKeyChecker
from twisted.conch.ssh import factory, keys, transport
from twisted.cred.portal import IRealm, Portal
from twisted.internet import reactor
from twisted.logger import globalLogBeginner, textFileLogObserver
from zope.interface import implementer


def _text(value: Any) -> str | None:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


@implementer(IRealm)
class NoRealm:
    def requestAvatar(self, avatarId: Any, mind: Any, *interfaces: Any) -> Any:
        raise NotImplementedError("nobody gets in")


class Server(transport.SSHServerTransport):
    reported = False

    def ssh_SERVICE_REQUEST(self, packet: bytes) -> None:
        if not self.reported:
            self.reported = True
            enc = self.currentEncryptions
            chosen = {
                "kex": _text(self.kexAlg),
                "hostkey": _text(self.keyAlg),
                "cipher_c2s": _text(enc.inCipType),
                "cipher_s2c": _text(enc.outCipType),
                "mac_c2s": _text(enc.inMACType),
                "mac_s2c": _text(enc.outMACType),
                "compression_c2s": _text(self.incomingCompressionType),
                "compression_s2c": _text(self.outgoingCompressionType),
            }
            print(json.dumps({"chosen": chosen}), flush=True)
        super().ssh_SERVICE_REQUEST(packet)

    def connectionLost(self, reason: Any) -> None:
        # One line per connection, also for a failed one, so no reader mistakes an earlier line for it.
        if not self.reported:
            self.reported = True
            print(json.dumps({"chosen": None}), flush=True)
        super().connectionLost(reason)


def make_factory(key_dir: Path) -> factory.SSHFactory:
    f = factory.SSHFactory()
    f.protocol = Server
    private = {}
    for kind in ("ed25519", "ecdsa", "rsa"):
        key = keys.Key.fromFile(str(key_dir / f"ssh_host_{kind}_key"))
        private[key.sshType()] = key
    f.privateKeys = private
    f.publicKeys = {name: key.public() for name, key in private.items()}
    f.portal = Portal(NoRealm(), [SSHPublicKeyChecker(InMemorySSHKeyDB({}))])
    return f


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: twisted_server.py PORT KEYDIR", file=sys.stderr)
        return 2
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr)], redirectStandardIO=False)
    reactor.listenTCP(int(argv[0]), make_factory(Path(argv[1])), interface="127.0.0.1")  # type: ignore[attr-defined]
    reactor.callWhenRunning(lambda: print("listening", flush=True))  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
