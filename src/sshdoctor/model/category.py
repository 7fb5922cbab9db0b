"""Algorithm categories and the eight negotiated slots of a KEXINIT."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What an algorithm is for; the five names of the JSON contract."""

    KEX = "kex"
    HOSTKEY = "hostkey"
    CIPHER = "cipher"
    MAC = "mac"
    COMPRESSION = "compression"

    @property
    def directive(self) -> str:
        """The ssh_config / sshd_config directive that sets this category."""
        return _DIRECTIVES[self]

    @property
    def openssh_error(self) -> str:
        """The words OpenSSH uses in 'no matching … found' for this category."""
        return _OPENSSH_WORDS[self]

    @property
    def slots(self) -> tuple[Slot, ...]:
        """The KEXINIT slots of this category (one, or one per direction)."""
        return _SLOTS_OF[self]

    @classmethod
    def from_directive(cls, directive: str) -> Category | None:
        """The category an ssh_config/sshd_config directive sets (case-insensitive), if any."""
        low = directive.lower()
        return next((c for c in cls if _DIRECTIVES[c].lower() == low), None)


_DIRECTIVES = {
    Category.KEX: "KexAlgorithms",
    Category.HOSTKEY: "HostKeyAlgorithms",
    Category.CIPHER: "Ciphers",
    Category.MAC: "MACs",
    Category.COMPRESSION: "Compression",
}

_OPENSSH_WORDS = {
    Category.KEX: "key exchange method",
    Category.HOSTKEY: "host key type",
    Category.CIPHER: "cipher",
    Category.MAC: "MAC",
    Category.COMPRESSION: "compression method",
}


class Slot(StrEnum):
    """One negotiated name-list of KEXINIT, keyed as in the JSON contract."""

    KEX = "kex"
    HOSTKEY = "hostkey"
    CIPHER_C2S = "cipher_c2s"
    CIPHER_S2C = "cipher_s2c"
    MAC_C2S = "mac_c2s"
    MAC_S2C = "mac_s2c"
    COMPRESSION_C2S = "compression_c2s"
    COMPRESSION_S2C = "compression_s2c"

    @property
    def category(self) -> Category:
        return _CATEGORY_OF[self]

    @property
    def direction(self) -> str | None:
        """``c2s``, ``s2c`` or None for the two undirected slots."""
        parts = self.value.split("_")
        return parts[1] if len(parts) == 2 else None


# The order in which the OpenSSH client's kex_choose_conf() checks the slots:
# key exchange, host key, then per mode (MODE_IN = server->client first for a
# client) cipher, MAC, compression. The first failing slot is what ssh reports.
CHECK_ORDER_CLIENT: tuple[Slot, ...] = (
    Slot.KEX,
    Slot.HOSTKEY,
    Slot.CIPHER_S2C,
    Slot.MAC_S2C,
    Slot.COMPRESSION_S2C,
    Slot.CIPHER_C2S,
    Slot.MAC_C2S,
    Slot.COMPRESSION_C2S,
)


# Iterating an Enum is slow (a generator over its members each time); the hot paths of a scan use these.
ALL_SLOTS: tuple[Slot, ...] = tuple(Slot)
SLOT_NAMES: tuple[str, ...] = tuple(s.value for s in ALL_SLOTS)
_CATEGORY_OF: dict[Slot, Category] = {s: Category(s.value.split("_")[0]) for s in ALL_SLOTS}
_SLOTS_OF: dict[Category, tuple[Slot, ...]] = {c: tuple(s for s in ALL_SLOTS if s.value.split("_")[0] == c.value)
                                               for c in Category}
