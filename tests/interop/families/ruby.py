"""Ruby net-ssh 7.0.1 from Debian 12 (``ruby-net-ssh``), as a client.

Debian ships no ``x25519`` gem, which net-ssh needs for curve25519 key
exchange, so the lab has only the ``no-x25519`` variant: the net-ssh of a
plain ``gem install net-ssh`` as well, since the gem is an optional
dependency there too.
"""

from __future__ import annotations

from tests.interop.families.python import split_by_port
from tests.interop.harness import ROOT, LabClient

HERE = ROOT / "interop" / "ruby"
NET_SSH = "/usr/share/rubygems-integration/all/gems/net-ssh-7.0.1/lib/net/ssh.rb"


def clients() -> list[LabClient]:
    return [LabClient("net-ssh", "7.0.1", ("/usr/bin/ruby", str(HERE / "netssh_client.rb")), profile="net-ssh-7.0.1",
                      reported_by="net-ssh", variant="no-x25519", batch=True, parse=split_by_port, needs=(NET_SSH,))]
