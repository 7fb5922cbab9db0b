"""Texts as people paste them (tests/corpus/pasted): what the corpus expectations cannot say on their own.

The fixtures themselves run in test_corpus.py; here: every one names the
public page it came from, a placeholder host never becomes a Host block,
MaxStartups comes with its sshd_config fix, Windows sshd logs are read as
server logs (also through the streamed summary), the Cisco device's side is
told from the text, and the helpers other recognisers can use behave.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from sshdoctor.diagnose import Explainer, explain_text, looks_like_server_log, summarise_log, summarise_stream
from sshdoctor.diagnose.common import is_placeholder_host, offer_tuple
from sshdoctor.diagnose.text import BREAK, continuation, list_is_open, register_wrapped, strip_paste, wrapped_rule
from sshdoctor.remedy.explain_fixes import explain_fixes
from tests.diagnose.corpus import CORPUS, Fixture, load

try:  # where the fix context lives is the remedy package's business
    from sshdoctor.remedy.explain_types import FixContext  # type: ignore[import-not-found, unused-ignore]
except ImportError:
    from sshdoctor.remedy.explain_fixes import FixContext  # type: ignore[attr-defined, no-redef, unused-ignore]

PASTED = [load(p) for p in sorted((CORPUS / "pasted").glob("*.txt"))]


def test_at_least_forty_real_pastes_each_with_its_page() -> None:
    assert len(PASTED) >= 40
    for f in PASTED:
        (source,) = f.header["source"]
        assert re.match(r"https?://\S+$", source), (f.name, source)
        assert not f.captured


def _placeholder_fixtures() -> list[Fixture]:
    return [f for f in PASTED if any("host_placeholder" in e for e in f.expect)]


@pytest.mark.parametrize("fixture", _placeholder_fixtures(), ids=lambda f: f.name)
def test_a_placeholder_host_is_no_host(fixture: Fixture) -> None:
    found = explain_text(fixture.text)
    held = [f for f in found if "host_placeholder" in f.extra]
    assert held and all(f.host is None for f in held)
    placeholders = {str(f.extra["host_placeholder"]) for f in held}
    for fix in explain_fixes(found, FixContext()):
        shown = json.dumps(fix.as_dict())
        for p in placeholders:
            assert json.dumps(p)[1:-1] not in shown, (p, shown)  # the stand-in is never written into a fix
        block = fix.ssh_config or ""
        assert all(line == "Host HOST" for line in block.splitlines() if line.startswith("Host ")), block


@pytest.mark.parametrize("text", [
    "Unable to negotiate with <host> port 22: no matching cipher found. Their offer: aes128-cbc",
    "Unable to negotiate with <hostname> port <port>: no matching cipher found. Their offer: aes128-cbc",
    "Unable to negotiate with server.example.com port 22: no matching cipher found. Their offer: aes128-cbc",
    "Unable to negotiate with x.x.x.x port xxxxx: no matching cipher found. Their offer: aes128-cbc",
    "Unable to negotiate with [email protected] port 22: no matching cipher found. Their offer: aes128-cbc",
    "Unable to negotiate with [email&#160;protected] port 22: no matching cipher found. Their offer: aes128-cbc",
    "Unable to negotiate with *** port 22: no matching cipher found. Their offer: aes128-cbc",
])
def test_placeholders_of_every_kind(text: str) -> None:
    (f,) = explain_text(text)
    assert f.host is None and f.extra["host_placeholder"] and f.their_offer == ("aes128-cbc",)


def test_documentation_and_real_names_are_hosts() -> None:
    for host in ("192.0.2.10", "git.example.com", "sw-core", "10.0.0.7", "2001:db8::1", "localhost"):
        assert not is_placeholder_host(host), host
    for host in ("<IP ADDRESS>", "X.X.X.X", "192.168.YYY.XXX", "x.x.x.207", "hostname", "example.com", "HOST"):
        assert is_placeholder_host(host), host


def test_maxstartups_says_what_to_change() -> None:
    for name in ("nixos-client-exceeded-maxstartups", "ghaf-journalctl-maxstartups", "cweiske-client-reset-server-drop"):
        f = load(CORPUS / "pasted" / f"{name}.txt")
        ms = [x for x in explain_text(f.text) if x.kind == "max-startups"]
        assert ms, name
        for x in ms:
            assert "MaxStartups 100:30:200" in x.explanation and "sshd_config" in x.explanation
            assert "not an algorithm problem" in x.explanation
            assert x.extra["sshd_config"] == "MaxStartups 100:30:200" and x.extra["directive"] == "MaxStartups"


WINDOWS_LOG = """\
9584 2020-06-01 17:10:25.656 Connection from 192.0.2.21 port 37254 on 192.0.2.110 port 22
9584 2020-06-01 17:10:25.656 debug1: Local version string SSH-2.0-OpenSSH_for_Windows_8.1
9584 2020-06-01 17:10:25.689 Unable to negotiate with 192.0.2.21 port 37254: no matching host key type found. \
Their offer: ssh-rsa,ssh-dss
5468 10:22:00 356 fatal: Unable to negotiate with 192.0.2.22: no matching key exchange method found. \
Their offer: diffie-hellman-group1-sha1
"""


def test_windows_sshd_log_is_a_server_log() -> None:
    # The layout of Win32-OpenSSH's sshd.log (as in PowerShell/Win32-OpenSSH#1614 and #552); addresses are documentation ones.
    assert looks_like_server_log(WINDOWS_LOG.splitlines())
    found = {(f.category.value if f.category else None, f.host, f.reported_by, f.their_offer)
             for f in explain_text(WINDOWS_LOG)}
    assert ("hostkey", "192.0.2.21", "openssh-server", ("ssh-rsa", "ssh-dss")) in found
    assert ("kex", "192.0.2.22", "openssh-server", ("diffie-hellman-group1-sha1",)) in found
    for summary in (summarise_log(WINDOWS_LOG.splitlines()), summarise_stream(io.BytesIO(WINDOWS_LOG.encode()))):
        listed = summary.as_dict()["groups"]
        assert isinstance(listed, list)
        groups = {(g["category"], tuple(g["their_offer"] or ())) for g in listed}
        assert ("hostkey", ("ssh-rsa", "ssh-dss")) in groups and ("kex", ("diffie-hellman-group1-sha1",)) in groups


def test_windows_event_viewer_copy() -> None:
    # An Event Viewer entry copied as text: the program's name alone, then the message (PowerShell/Win32-OpenSSH#2265).
    text = "sshd\nUnable to negotiate with 192.0.2.30 port 50111: no matching cipher found. Their offer: aes128-cbc\n"
    (f,) = explain_text(text)
    assert f.reported_by == "openssh-server" and f.host == "192.0.2.30" and f.their_offer == ("aes128-cbc",)


# The switch's own console in the opensysadmins.com article "No matching cypher found" (2024-07): S1 is the client.
S1 = ("S1#ssh -l admin 192.168.10.254\n"
      "[Connection to 192.168.10.254 aborted: error status 0]\n"
      "S1#\n"
      "Jul  2 13:32:48.621: %SSH-3-NO_MATCH: No matching cipher found: client aes128-cbc,3des-cbc,aes192-cbc,aes256-cbc "
      "server aes128-ctr,aes192-ctr,aes256-ctr\n"
      "S1#\n")


def test_cisco_as_client_from_its_prompt() -> None:
    (f,) = explain_text(S1)
    assert (f.reported_by, f.extra["side"], f.host) == ("cisco-client", "client", "192.168.10.254")
    assert f.their_offer == ("aes128-ctr", "aes192-ctr", "aes256-ctr")
    # The router's log of the same failure, alone, is the server's.
    (r1,) = explain_text(S1.splitlines()[3])
    assert (r1.reported_by, r1.extra["side"], r1.their_offer) == ("cisco", "server", ("aes128-cbc", "3des-cbc", "aes192-cbc",
                                                                                       "aes256-cbc"))


def test_cisco_keyword_broken_by_an_80_column_console() -> None:
    # The IOS console cuts words too ("clie" / "nt"); the names it cut are left out, the keywords still read.
    text = ("R1#\n"
            "*Jun 26 18:47:26.960: %SSH-3-NO_MATCH: No matching kex algorithm found: clie\n"
            "nt diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1 server dif\n"
            "fie-hellman-group14-sha256,kex-strict-s-v00@openssh.com\n"
            "R1#\n")
    (f,) = explain_text(text)
    assert f.reported_by == "cisco-client"  # the server list holds OpenSSH's strict-kex marker: R1 connected out
    assert f.their_offer == ("kex-strict-s-v00@openssh.com",) and f.our_offer == (
        "diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1")
    assert f.extra["offer_incomplete"] is True


def test_decoration_is_removed_but_log_prefixes_stay() -> None:
    assert strip_paste("> > - `Unable to negotiate with h`") == "Unable to negotiate with h"
    assert strip_paste("```bash") == ""
    assert strip_paste("    12 | debug1: x") == "debug1: x"
    assert strip_paste("2024-05-07T09:28:30.408Z fatal: x") == "fatal: x"
    assert strip_paste("**Unable** [a@b.c](mailto:a@b.c)") == "Unable a@b.c"
    assert strip_paste("Mar  3 10:15:01 gw sshd[2101]: x") == "Mar  3 10:15:01 gw sshd[2101]: x"
    assert strip_paste("5468 10:22:00 356 fatal: x") == "5468 10:22:00 356 fatal: x"
    assert "\u00a4" in strip_paste("with [email protected] port")


def test_helpers_for_other_recognisers() -> None:
    # A list at the end of a line may go on; a break inside a name is marked, not guessed.
    assert list_is_open('jschProposal="a,b,')
    assert list_is_open("server offered: [aes128-ctr")
    assert not list_is_open("Their offer: a,b [preauth]")
    assert continuation("x offered: a,b,", "c,d") == "x offered: a,b,c,d"
    assert continuation("Their offer: aes12", "8-ctr,b") == "Their offer: aes12" + BREAK + "8-ctr,b"
    assert offer_tuple("aes12" + BREAK + "8-ctr,aes256-ctr") == ("aes256-ctr",)
    register_wrapped("Selftest message starts", r"and ends here")
    rule = wrapped_rule("Selftest message starts")
    assert rule is not None
    assert continuation("Selftest message starts", "and ends here", rule=rule) == "Selftest message starts and ends here"
    explainer = Explainer()
    explainer.feed("Unable to negotiate with 192.0.2.1 port 22: no matching MAC found. Their offer: hmac-sha1,")
    assert explainer.feed("  hmac-md5") == []  # held: the list may go on
    (f,) = explainer.flush()
    assert f.their_offer == ("hmac-sha1", "hmac-md5")


def test_json_of_a_pasted_fixture_is_plain() -> None:
    f = load(CORPUS / "pasted" / "opensysadmins-ios-hostkey-wrapped-in-names.txt")
    (finding,) = explain_text(f.text)
    data = json.loads(json.dumps(finding.as_dict()))
    assert BREAK not in json.dumps(data["their_offer"])
    assert all(BREAK not in x for x in finding.extra["offer_fragments"])  # type: ignore[union-attr]
