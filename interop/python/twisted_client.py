"""Lab client harness for Twisted Conch: ``python twisted_client.py HOST PORT [PORT ...]``.

A ``twisted.conch.ssh.transport.SSHClientTransport`` with the class's default
``supported*`` lists connects to each port in turn, accepts any host key,
asks for the ``ssh-userauth`` service as user ``sshdoctor`` with no key and no
password, and prints one JSON line per port (see interop/README.md).
Twisted's log goes to stderr after a ``sshdoctor-harness: port N`` marker;
Twisted raises nothing when a negotiation fails, it logs the disconnect it
sends or receives, and that text is the run's ``error``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from twisted.conch.ssh import connection, transport, userauth
from twisted.internet import defer, protocol, reactor
from twisted.logger import formatEvent, globalLogBeginner, textFileLogObserver

TIMEOUT = 10.0


def _text(value: Any) -> str | None:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


class Errors:
    """The disconnects Twisted logs ("Disconnecting with error ..." / "Got remote error ...")."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, event: dict[str, Any]) -> None:
        fmt = event.get("log_format") or ""
        if fmt.startswith(("Disconnecting with error", "Got remote error")):
            self.texts.append(formatEvent(event))


ERRORS = Errors()


class UserAuth(userauth.SSHUserAuthClient):
    """No key, no password, no answers: every method the server offers fails."""

    def getPublicKey(self) -> None:
        return None

    def getPassword(self, prompt: bytes | None = None) -> Any:
        return defer.fail(Exception("no password"))

    def getGenericAnswers(self, name: bytes, instruction: bytes, prompts: Any) -> Any:
        return defer.fail(Exception("no answers"))


class Client(transport.SSHClientTransport):
    result: dict[str, Any]
    done: defer.Deferred[None]

    def verifyHostKey(self, hostKey: bytes, fingerprint: bytes) -> Any:
        return defer.succeed(True)

    def connectionSecure(self) -> None:
        enc = self.currentEncryptions
        self.result["ok"] = True
        self.result["chosen"] = {
            "kex": _text(self.kexAlg),
            "hostkey": _text(self.keyAlg),
            "cipher_c2s": _text(enc.outCipType),
            "cipher_s2c": _text(enc.inCipType),
            "mac_c2s": _text(enc.outMACType),
            "mac_s2c": _text(enc.inMACType),
            "compression_c2s": _text(self.outgoingCompressionType),
            "compression_s2c": _text(self.incomingCompressionType),
        }
        self.requestService(UserAuth(b"sshdoctor", connection.SSHConnection()))

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        self.result["ident"] = _text(getattr(self, "otherVersionString", None))
        if not self.done.called:
            self.done.callback(None)


async def connect(host: str, port: int) -> dict[str, Any]:
    result: dict[str, Any] = {"ok": False, "chosen": None, "error": None, "ident": None}
    done: defer.Deferred[None] = defer.Deferred()
    mark = len(ERRORS.texts)
    failed: list[str] = []

    class Factory(protocol.ClientFactory):
        def buildProtocol(self, addr: Any) -> Client:
            client = Client()
            client.result, client.done, client.factory = result, done, self
            return client

        def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
            failed.append(reason.getErrorMessage())
            if not done.called:
                done.callback(None)

    connector = reactor.connectTCP(host, port, Factory(), timeout=TIMEOUT)  # type: ignore[attr-defined]
    timer = reactor.callLater(TIMEOUT, lambda: (failed.append("timed out"), connector.disconnect()))  # type: ignore[attr-defined]
    await done
    if timer.active():
        timer.cancel()
    texts = ERRORS.texts[mark:]
    result["error"] = texts[-1] if texts else (failed[0] if failed else "the connection was closed")
    return result


async def run(host: str, ports: list[int]) -> None:
    for port in ports:
        print(f"sshdoctor-harness: port {port}", file=sys.stderr, flush=True)
        print(json.dumps(await connect(host, port)), flush=True)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: twisted_client.py HOST PORT [PORT ...]", file=sys.stderr)
        return 2
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stderr), ERRORS], redirectStandardIO=False)

    def go() -> None:
        d = defer.ensureDeferred(run(argv[0], [int(p) for p in argv[1:]]))
        d.addErrback(lambda f: print(f.getTraceback(), file=sys.stderr))
        d.addBoth(lambda _: reactor.stop())  # type: ignore[attr-defined]

    reactor.callWhenRunning(go)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
