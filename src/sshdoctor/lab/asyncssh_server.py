"""An AsyncSSH server on loopback that offers exactly the algorithms asked for.

It reaches user authentication and then refuses everyone (public-key only,
no authorized keys), which is what a fix verification needs to see. It runs
on its own event loop in a daemon thread so synchronous callers can use it.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import Any

import asyncssh

# The lab deliberately runs finite-field DH; cryptography's deprecation
# warning about it is noise here.
warnings.filterwarnings("ignore", message=".*Diffie-Hellman over finite fields.*")

# The demo's device: what an old switch typically offers.
LEGACY = {
    "kex": ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"],
    "hostkey": ["ssh-rsa"],
    "cipher": ["aes128-cbc", "3des-cbc"],
    "mac": ["hmac-sha1", "hmac-md5"],
}


class _RefuseAll(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: Any) -> bool:
        return False


def _ignore(_self: Any, _value: Any) -> None:
    return None


_LEGACY_CLASSES: dict[type, type] = {}


def _legacy_class(base: type) -> type:
    if base in _LEGACY_CLASSES:
        return _LEGACY_CLASSES[base]
    _LEGACY_CLASSES[base] = type(
        "Legacy" + base.__name__,
        (base,),
        {
            "_strict_kex": property(lambda _self: False, _ignore),
            "_can_send_ext_info": property(lambda _self: False, _ignore),
        },
    )
    return _LEGACY_CLASSES[base]


_KEY_CACHE: dict[tuple[str, int | None], Any] = {}


def _key(alg: str, bits: int | None = None) -> Any:
    # Key generation (RSA above all) is the slow part: reuse keys per process.
    if (alg, bits) not in _KEY_CACHE:
        if bits:
            _KEY_CACHE[(alg, bits)] = asyncssh.generate_private_key(alg, key_size=bits)
        else:
            _KEY_CACHE[(alg, bits)] = asyncssh.generate_private_key(alg)
    return _KEY_CACHE[(alg, bits)]


_KEY_FOR_SIG = {
    "ssh-rsa": ("ssh-rsa", 2048),
    "rsa-sha2-256": ("ssh-rsa", 2048),
    "rsa-sha2-512": ("ssh-rsa", 2048),
    "ssh-dss": ("ssh-dss", None),
    "ssh-ed25519": ("ssh-ed25519", None),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256", None),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384", None),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521", None),
}


class AsyncsshServer:
    """``with AsyncsshServer(kex=[...], hostkey=[...], ...) as s: s.port``."""

    def __init__(
        self,
        *,
        kex: Sequence[str] = LEGACY["kex"],
        hostkey: Sequence[str] = LEGACY["hostkey"],
        cipher: Sequence[str] = LEGACY["cipher"],
        mac: Sequence[str] = LEGACY["mac"],
        compression: Sequence[str] = ("none",),
        version: str = "AsyncSSH_lab",
        host: str = "127.0.0.1",
        port: int = 0,
        rsa_bits: int = 2048,
        pseudo: bool = True,
    ) -> None:
        self.kex, self.hostkey, self.cipher, self.mac = list(kex), list(hostkey), list(cipher), list(mac)
        self.compression = list(compression)
        self.version = version
        self.host = host
        self.port = port
        self.rsa_bits = rsa_bits
        self.pseudo = pseudo
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None

    def _host_keys(self) -> list[Any]:
        keys = []
        seen = set()
        for sig in self.hostkey:
            alg, bits = _KEY_FOR_SIG.get(sig, (None, None))
            if alg is None or alg in seen:
                continue
            seen.add(alg)
            keys.append(_key(alg, self.rsa_bits if alg == "ssh-rsa" else bits))
        if not keys:
            raise ValueError(f"no host key type for {self.hostkey}")
        return keys

    async def _start(self) -> None:
        wanted = [a.encode() for a in self.hostkey]
        pseudo = self.pseudo

        class _Server(_RefuseAll):
            def connection_made(self, conn: Any) -> None:
                # AsyncSSH offers every signature algorithm a key can make;
                # keep only those asked for, so the lab can mimic an
                # ssh-rsa-only device. (Runs before the server's KEXINIT.)
                conn._server_host_key_algs = [a for a in conn._server_host_key_algs if a in wanted]
                # Its host-key choice walks the client's list over this map,
                # so it must hold only what was offered.
                conn._server_host_keys = {a: k for a, k in conn._server_host_keys.items() if a in wanted}
                if not pseudo:
                    # A server from before RFC 8308 and strict kex: neither
                    # signal in its KEXINIT, no EXT_INFO, no strict mode
                    # (AsyncSSH would otherwise turn strict mode on because
                    # the client asked for it).
                    conn._get_extra_kex_algs = list
                    conn.__class__ = _legacy_class(type(conn))

        self._server = await asyncssh.create_server(
            _Server,
            self.host,
            self.port,
            server_host_keys=self._host_keys(),
            kex_algs=self.kex,
            encryption_algs=self.cipher,
            mac_algs=self.mac,
            compression_algs=self.compression,
            server_version=self.version,
            password_auth=False,
            kbdint_auth=False,
            login_timeout=30,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> AsyncsshServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="asyncssh-lab", daemon=True)
        self._thread.start()
        fut: Future[None] = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        fut.result(30)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def _close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(_close(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            loop.close()
            self._loop = None

    def __enter__(self) -> AsyncsshServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"
