"""The JVM profiles' settings templates compile and do what fix advice says, in every lab version.

Each ``[implementation.settings.*]`` template of jsch, jsch-mwiede, mina-sshd, sshj,
trilead-ssh2 and ganymed-ssh2 is rendered with names the library implements but does not enable by
default, put into a small Java program with the library's own objects, compiled
against each version's jars from the interop lab and run: it must compile, run
without an exception, and (where the library can say) leave the defaults in place
with the new names after them.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from sshdoctor.catalog.profiles import all_profiles
from tests.interop.families import jvm
from tests.interop.harness import REQUIRE_LAB, prefix

JDK = Path("/usr/lib/jvm/java-17-openjdk-amd64/bin")
LIB = prefix("jvm") / "lib"

# Names each library implements without enabling them by default (trilead and Ganymed enable all they have).
NAMES = {
    "jsch": {"kex": ["diffie-hellman-group14-sha256"], "hostkey": ["ssh-dss"], "cipher": ["arcfour"],
             "mac": ["hmac-sha1-96"], "compression": ["zlib@openssh.com"]},
    "jsch-mwiede": {"kex": ["diffie-hellman-group14-sha1"], "hostkey": ["ssh-rsa"], "cipher": ["aes128-cbc"],
                    "mac": ["hmac-md5"], "compression": ["zlib@openssh.com"]},
    "mina-sshd": {"kex": ["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"], "hostkey": ["ssh-dss"],
                  "cipher": ["3des-cbc"], "mac": ["hmac-md5"], "compression": ["zlib@openssh.com"]},
    "sshj": {"compression": ["zlib@openssh.com", "zlib"]},
    "trilead-ssh2": {"hostkey": ["ssh-dss"], "cipher": ["aes128-cbc"], "mac": ["hmac-md5"]},
    "ganymed-ssh2": {"hostkey": ["ssh-dss"], "cipher": ["aes128-cbc"], "mac": ["hmac-md5"]},
}
IMPORTS = """import java.util.*;
import java.util.stream.*;
"""
# The program around a template: the object it names, and what to print afterwards (one category a line).
SETUP = {
    ("jsch", "client"): ("import com.jcraft.jsch.*;",
                         'Session session = new JSch().getSession("sshdoctor", "127.0.0.1", 22);',
                         {"kex": 'session.getConfig("kex")', "hostkey": 'session.getConfig("server_host_key")',
                          "cipher": 'session.getConfig("cipher.c2s") + ";" + session.getConfig("cipher.s2c")',
                          "mac": 'session.getConfig("mac.c2s") + ";" + session.getConfig("mac.s2c")',
                          "compression": 'session.getConfig("compression.c2s") + ";" + session.getConfig("compression.s2c")'}),
    ("mina-sshd", "client"): ("""import org.apache.sshd.client.*;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.compression.BuiltinCompressions;""",
                              "SshClient client = SshClient.setUpDefaultClient();",
                              {"kex": "NamedResource.getNames(client.getKeyExchangeFactories())",
                               "hostkey": "NamedResource.getNames(client.getSignatureFactories())",
                               "cipher": "NamedResource.getNames(client.getCipherFactories())",
                               "mac": "NamedResource.getNames(client.getMacFactories())",
                               "compression": "NamedResource.getNames(client.getCompressionFactories())"}),
    ("mina-sshd", "server"): ("""import org.apache.sshd.server.*;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.compression.BuiltinCompressions;""",
                              "SshServer sshd = SshServer.setUpDefaultServer();",
                              {"kex": "NamedResource.getNames(sshd.getKeyExchangeFactories())",
                               "hostkey": "NamedResource.getNames(sshd.getSignatureFactories())",
                               "cipher": "NamedResource.getNames(sshd.getCipherFactories())",
                               "mac": "NamedResource.getNames(sshd.getMacFactories())",
                               "compression": "NamedResource.getNames(sshd.getCompressionFactories())"}),
    ("sshj", "client"): ("""import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.transport.compression.*;""",
                         "DefaultConfig config = new DefaultConfig();",
                         {"compression": "config.getCompressionFactories().stream().map(f -> f.getName())"
                                         ".collect(Collectors.joining(\",\"))"}),
    ("trilead-ssh2", "client"): ("""import com.trilead.ssh2.Connection;
import com.trilead.ssh2.crypto.cipher.BlockCipherFactory;
import com.trilead.ssh2.crypto.digest.MAC;
import com.trilead.ssh2.transport.KexManager;""",
                                 'Connection conn = new Connection("127.0.0.1", 22);', {}),
    ("ganymed-ssh2", "client"): ("import ch.ethz.ssh2.Connection;",
                                 'Connection conn = new Connection("127.0.0.1", 22);', {}),
}


@dataclass(frozen=True)
class Case:
    impl: str
    role: str
    version: str
    lib: str  # folder under $SSHDOCTOR_LAB_PREFIX/jvm/lib

    @property
    def id(self) -> str:
        return f"{self.impl}-{self.version}-{self.role}"


def _cases() -> list[Case]:
    out = [Case("jsch", "client", "0.1.55", "jsch-0.1.55")]
    out += [Case("jsch-mwiede", "client", v, f"jsch-mwiede-{v}") for v in jvm.JSCH_MWIEDE]
    out += [Case("mina-sshd", role, v, f"mina-sshd-{v}") for v in jvm.MINA for role in ("client", "server")]
    out += [Case("sshj", "client", v, f"sshj-{v}") for v in jvm.SSHJ]
    out += [Case("trilead-ssh2", "client", v, f"trilead-ssh2-{v}") for v in jvm.TRILEAD]
    out += [Case("ganymed-ssh2", "client", v, f"ganymed-ssh2-{v}") for v in jvm.GANYMED]
    return out


def _settings(impl: str, role: str) -> dict[str, str]:
    profile = next(p for p in all_profiles().values() if p.implementation == impl)
    return profile.settings[role]


def _render(template: str, names: list[str]) -> str:
    return template.format_map({"names": ",".join(names), "quoted": ", ".join(f'"{n}"' for n in names),
                                "squoted": ", ".join(f"'{n}'" for n in names), "host": "127.0.0.1", "port": "22"})


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_settings_template_compiles_and_adds(case: Case, tmp_path: Path) -> None:
    lib = LIB / case.lib
    if not lib.is_dir() or not (JDK / "javac").exists():
        if REQUIRE_LAB:
            pytest.fail(f"{lib} is not installed but SSHDOCTOR_REQUIRE_LAB is set (interop/install makes it)")
        pytest.skip(f"{lib} is not installed (interop/install makes it)")
    settings = _settings(case.impl, case.role)
    imports, setup, readers = SETUP[("jsch" if case.impl.startswith("jsch") else case.impl, case.role)]
    names = NAMES[case.impl]
    body = [setup]
    before: list[str] = []
    for category, reader in readers.items():
        if category in settings:
            body.append(f'String before_{category} = String.valueOf({reader});')
            before.append(category)
    for category, template in settings.items():
        if category in names:
            body.append(_render(template, names[category]))
    for category in before:
        body.append(f'System.out.println("{category}=" + before_{category} + "|" + {readers[category]});')
    source = IMPORTS + imports + "\npublic class Tpl {\n  public static void main(String[] a) throws Exception {\n    " + \
        "\n    ".join(body) + "\n  }\n}\n"
    (tmp_path / "Tpl.java").write_text(source)
    cp = f"{lib}/*"
    built = subprocess.run([str(JDK / "javac"), "-nowarn", "-d", str(tmp_path), "-cp", cp, str(tmp_path / "Tpl.java")],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, f"{case.id}: the templates do not compile:\n{built.stderr}\n{source}"
    ran = subprocess.run([str(JDK / "java"), "-cp", f"{tmp_path}:{cp}", "Tpl"], capture_output=True, text=True,
                         timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, f"{case.id}: the templates fail at run time:\n{ran.stderr[-2000:]}"
    for line in ran.stdout.splitlines():
        category, _, lists = line.partition("=")
        old, _, new = lists.partition("|")
        for o, n in zip(old.split(";"), new.split(";"), strict=True):
            olds, news = [x.strip() for x in o.strip("[]").split(",")], [x.strip() for x in n.strip("[]").split(",")]
            added = names[category]
            if case.impl == "sshj":  # the one sshj template names its zlib factories itself, then none
                assert set(added) <= set(news) and "none" in news, (category, news)
                continue
            assert news[:len(olds)] == olds, f"{case.id} {category}: the defaults changed: {olds} -> {news}"
            # Appended as given (fix advice names only what is missing; a repeated name is harmless on the wire).
            assert news[len(olds):] == added, f"{case.id} {category}: {news}"
