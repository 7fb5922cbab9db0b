from __future__ import annotations

from sshdoctor.model import Category, Proposal, Slot
from sshdoctor.negotiate import choose, negotiate

CLIENT = Proposal.symmetric(
    kex=["curve25519-sha256", "diffie-hellman-group14-sha256", "ext-info-c", "kex-strict-c-v00@openssh.com"],
    hostkey=["ssh-ed25519", "rsa-sha2-512"],
    cipher=["chacha20-poly1305@openssh.com", "aes128-ctr", "aes128-gcm@openssh.com"],
    mac=["hmac-sha2-256-etm@openssh.com", "hmac-sha1"],
    compression=["none", "zlib@openssh.com"],
)


def test_client_preference_wins() -> None:
    assert choose(["a", "b"], ["b", "a"]) == "a"
    assert choose(["a"], ["b"]) is None


def test_pseudo_algorithms_are_never_chosen() -> None:
    assert choose(["ext-info-c", "x"], ["ext-info-c", "x"]) == "x"
    assert choose(["kex-strict-c-v00@openssh.com"], ["kex-strict-c-v00@openssh.com"]) is None


def test_aead_cipher_makes_mac_implicit() -> None:
    server = Proposal.symmetric(["curve25519-sha256"], ["ssh-ed25519"], ["aes128-gcm@openssh.com"], ["hmac-md5"])
    outcome = negotiate(CLIENT, server)
    assert outcome.ok
    assert outcome.chosen[Slot.MAC_C2S] is None
    assert set(outcome.implicit_mac) == {Slot.MAC_C2S, Slot.MAC_S2C}


def test_mac_needed_for_non_aead_cipher() -> None:
    server = Proposal.symmetric(["curve25519-sha256"], ["ssh-ed25519"], ["aes128-ctr"], ["hmac-md5"])
    outcome = negotiate(CLIENT, server)
    assert not outcome.ok
    assert outcome.first_failure is Category.MAC
    assert outcome.failures == (Category.MAC,)


def test_every_failing_category_reported_first_is_kex() -> None:
    server = Proposal.symmetric(["diffie-hellman-group1-sha1"], ["ssh-dss"], ["3des-cbc"], ["hmac-md5"], ["zlib"])
    outcome = negotiate(CLIENT, server)
    assert outcome.first_failure is Category.KEX
    assert outcome.failures == (Category.KEX, Category.HOSTKEY, Category.CIPHER, Category.MAC, Category.COMPRESSION)
    assert all(v is None for v in outcome.chosen.values())


def test_server_to_client_direction_is_checked_first() -> None:
    # OpenSSH's client walks MODE_IN (server->client) before MODE_OUT.
    server = Proposal(
        kex=("curve25519-sha256",),
        hostkey=("ssh-ed25519",),
        cipher_c2s=("3des-cbc",),
        cipher_s2c=("aes128-ctr",),
        mac_c2s=("hmac-sha1",),
        mac_s2c=("hmac-md5",),
        compression_c2s=("none",),
        compression_s2c=("none",),
    )
    outcome = negotiate(CLIENT, server)
    assert outcome.failed_slots == (Slot.MAC_S2C, Slot.CIPHER_C2S)
    assert outcome.first_failure is Category.MAC


def test_contract_shape() -> None:
    doc = negotiate(CLIENT, CLIENT, client_label="x").as_dict()
    assert set(doc) == {"client", "ok", "chosen", "first_failure", "failures"}
    assert set(doc["chosen"]) == {s.value for s in Slot}  # type: ignore[arg-type]


def test_one_implementations_profiles_are_the_catalogs() -> None:
    """Reading only an implementation's own file gives the very profiles the whole catalog holds."""
    from sshdoctor.catalog.profiles import all_profiles, implementation_profiles

    everything = all_profiles()
    implementations = {p.implementation for p in everything.values()}
    assert len(implementations) > 20
    for name in implementations:
        mine = implementation_profiles(name)
        full = [p for p in everything.values() if p.implementation == name]
        assert [p.id for p in mine] == [p.id for p in full], name
        assert all(a is b for a, b in zip(mine, full, strict=True)), name
