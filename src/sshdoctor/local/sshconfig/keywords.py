"""What the two configuration languages know: keywords, aliases, Match criteria.

The keyword sets are the union of the keyword tables of OpenSSH portable
from V_3_0_P1 to V_10_5_P1 (readconf.c for ssh_config; servconf.c, and from
V_10_4_P1 servconf.h, for sshd_config), lowercased as OpenSSH compares them.
A keyword outside these sets is unknown to every OpenSSH release; vendor
extensions are listed apart so that lint can say whose they are.
"""

from __future__ import annotations

from sshdoctor.model import Category


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())

SSH_KEYWORDS = _words(
    """
    addkeystoagent addressfamily afstokenpassing batchmode bindaddress bindinterface
    canonicaldomains canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots
    canonicalizepermittedcnames casignaturealgorithms certificatefile
    challengeresponseauthentication channeltimeout checkhostip cipher ciphers clearallforwardings
    compression compressionlevel connectionattempts connecttimeout controlmaster controlpath
    controlpersist dsaauthentication dynamicforward enableescapecommandline enablesshkeysign
    escapechar exitonforwardfailure fallbacktorsh fingerprinthash forkafterauthentication
    forwardagent forwardx11 forwardx11timeout forwardx11trusted gatewayports globalknownhostsfile
    globalknownhostsfile2 gssapiauthentication gssapidelegatecredentials hashknownhosts host
    hostbasedacceptedalgorithms hostbasedalgorithms hostbasedauthentication hostbasedkeytypes
    hostkeyalgorithms hostkeyalias hostname identitiesonly identityagent identityfile identityfile2
    ignoreunknown include ipqos kbdinteractiveauthentication kbdinteractivedevices keepalive
    kerberosauthentication kerberostgtpassing kexalgorithms knownhostscommand localcommand
    localforward loglevel logverbose macs match nohostauthenticationforlocalhost
    numberofpasswordprompts obscurekeystroketiming passwordauthentication permitlocalcommand
    permitremoteopen pkcs11provider port preferredauthentications protocol proxycommand proxyjump
    proxyusefdpass pubkeyacceptedalgorithms pubkeyacceptedkeytypes pubkeyauthentication
    refuseconnection rekeylimit remotecommand remoteforward requesttty requiredrsasize
    revokedhostkeys rhostsauthentication rhostsrsaauthentication rsaauthentication
    securitykeyprovider sendenv serveralivecountmax serveraliveinterval sessiontype setenv
    skeyauthentication smartcarddevice stdinnull streamlocalbindmask streamlocalbindunlink
    stricthostkeychecking syslogfacility tag tcpkeepalive tisauthentication tunnel tunneldevice
    updatehostkeys useprivilegedport user userknownhostsfile userknownhostsfile2 useroaming usersh
    verifyhostkeydns versionaddendum visualhostkey warnweakcrypto xauthlocation
    zeroknowledgepasswordauthentication
    """
)

SSHD_KEYWORDS = _words(
    """
    acceptenv addressfamily afstokenpassing allowagentforwarding allowgroups
    allowstreamlocalforwarding allowtcpforwarding allowusers authenticationmethods
    authorizedkeyscommand authorizedkeyscommanduser authorizedkeysfile authorizedkeysfile2
    authorizedprincipalscommand authorizedprincipalscommanduser authorizedprincipalsfile banner
    casignaturealgorithms challengeresponseauthentication channeltimeout checkmail chrootdirectory
    ciphers clientalivecountmax clientaliveinterval compression denygroups denyusers
    disableforwarding dsaauthentication exposeauthinfo fingerprinthash forcecommand gatewayports
    gssapiauthentication gssapicleanupcredentials gssapicleanupcreds gssapidelegatecredentials
    gssapistrictacceptorcheck hostbasedacceptedalgorithms hostbasedacceptedkeytypes
    hostbasedauthentication hostbasedusesnamefrompacketonly hostcertificate hostdsakey hostkey
    hostkeyagent hostkeyalgorithms ignorerhosts ignoreuserknownhosts include ipqos
    kbdinteractiveauthentication keepalive kerberosauthentication kerberosgetafstoken
    kerberosorlocalpasswd kerberostgtpassing kerberosticketcleanup kexalgorithms
    keyregenerationinterval listenaddress logingracetime loglevel logverbose macs match maxauthtries
    maxsessions maxstartups modulifile pamauthenticationviakbdint pamservicename
    passwordauthentication permitemptypasswords permitlisten permitopen permitrootlogin permittty
    permittunnel permituserenvironment permituserrc persourcemaxstartups persourcenetblocksize
    persourcepenalties persourcepenaltyexemptlist pidfile port printlastlog printmotd protocol
    pubkeyacceptedalgorithms pubkeyacceptedkeytypes pubkeyauthentication pubkeyauthoptions rdomain
    refuseconnection rekeylimit requiredrsasize reversemappingcheck revokedkeys rhostsauthentication
    rhostsrsaauthentication rsaauthentication securitykeyprovider serverkeybits setenv
    skeyauthentication sshdauthpath sshdsessionpath streamlocalbindmask streamlocalbindunlink
    strictmodes subsystem syslogfacility tcpkeepalive trustedusercakeys unusedconnectiontimeout
    usedns uselogin usepam useprivilegeseparation verifyreversemapping versionaddendum
    x11displayoffset x11forwarding x11uselocalhost xauthlocation zeroknowledgepasswordauthentication
    """
)

# Keywords that distribution or vendor builds add. Debian's GSSAPI key
# exchange patch (seen with `strings` in Debian 12's openssh-client and
# openssh-server 1:9.2p1-2+deb12u10) and its DebianBanner option; Apple's
# UseKeychain (Apple Technical Note TN2449, macOS 10.12 and later).
VENDOR_SSH_KEYWORDS: dict[str, str] = {
    "gssapikeyexchange": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapiclientidentity": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapiserveridentity": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapirenewalforcesrekey": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapitrustdns": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapikexalgorithms": "Debian/Ubuntu GSSAPI key exchange patch",
    "usekeychain": "Apple's macOS build of OpenSSH",
}
VENDOR_SSHD_KEYWORDS: dict[str, str] = {
    "gssapikeyexchange": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapistorecredentialsonrekey": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapikexalgorithms": "Debian/Ubuntu GSSAPI key exchange patch",
    "gssapiusesessioncredcache": "Debian/Ubuntu GSSAPI key exchange patch",
    "debianbanner": "Debian/Ubuntu patch",
}

# Algorithm-list directives, keyed by the lowercased keyword, with the name
# OpenSSH documents today and the category whose names the list holds.
# Old spellings map to the same entry (readconf.c / servconf.c keyword
# tables mark them "obsolete"): PubkeyAcceptedKeyTypes and the Hostbased
# names were renamed in OpenSSH 8.5, "hostbasedalgorithms" existed in the
# client only in 8.5 and 8.6.
ALGORITHM_DIRECTIVES: dict[str, tuple[str, Category]] = {
    "kexalgorithms": ("KexAlgorithms", Category.KEX),
    "hostkeyalgorithms": ("HostKeyAlgorithms", Category.HOSTKEY),
    "ciphers": ("Ciphers", Category.CIPHER),
    "macs": ("MACs", Category.MAC),
    "pubkeyacceptedalgorithms": ("PubkeyAcceptedAlgorithms", Category.HOSTKEY),
    "pubkeyacceptedkeytypes": ("PubkeyAcceptedAlgorithms", Category.HOSTKEY),
    "hostbasedacceptedalgorithms": ("HostbasedAcceptedAlgorithms", Category.HOSTKEY),
    "hostbasedacceptedkeytypes": ("HostbasedAcceptedAlgorithms", Category.HOSTKEY),
    "hostbasedkeytypes": ("HostbasedAcceptedAlgorithms", Category.HOSTKEY),
    "hostbasedalgorithms": ("HostbasedAcceptedAlgorithms", Category.HOSTKEY),
    "casignaturealgorithms": ("CASignatureAlgorithms", Category.HOSTKEY),
}

# Key-type lists accept wildcards in every form (sshkey_names_valid2() with
# allow_wildcard); kex, cipher and MAC lists accept them only after "-"
# (kex_names_valid(), ciphers_valid(), mac_valid() compare exact names).
WILDCARD_DIRECTIVES = frozenset(
    k for k, (_, cat) in ALGORITHM_DIRECTIVES.items() if cat is Category.HOSTKEY
)

# sshd accepts these only outside Match blocks (SSHCFG_GLOBAL in servconf.c
# at V_9_2_P1 and V_10_5_P1); anywhere else sshd refuses to start.
SSHD_GLOBAL_ONLY = frozenset({"kexalgorithms", "hostkeyalgorithms", "ciphers", "macs"})


def canonical_key(keyword: str) -> str:
    """The lowercased keyword an alias stands for (``pubkeyacceptedkeytypes`` →
    ``pubkeyacceptedalgorithms``); other keywords are only lowercased."""
    key = keyword.lower()
    entry = ALGORITHM_DIRECTIVES.get(key)
    return entry[0].lower() if entry else key


# Match criteria and the first OpenSSH release whose parser knows them
# (readconf.c / servconf.c match_cfg_line() at each P1 tag). "all",
# "canonical" and "final" (client) and "all", "invalid-user" (server) take no
# argument.
SSH_MATCH_CRITERIA: dict[str, str] = {
    "all": "6.5", "canonical": "6.8", "final": "8.0", "exec": "6.5", "host": "6.5",
    "originalhost": "6.5", "user": "6.5", "localuser": "6.5", "localnetwork": "9.4",
    "tagged": "9.4", "version": "10.0", "command": "10.0", "sessiontype": "10.0",
}
SSH_MATCH_NO_ARGUMENT = frozenset({"all", "canonical", "final"})
SSHD_MATCH_CRITERIA: dict[str, str] = {
    "all": "6.5", "user": "4.4", "group": "4.4", "host": "4.4", "address": "4.4",
    "localaddress": "6.1", "localport": "6.1", "rdomain": "7.7", "version": "10.0",
    "invalid-user": "9.9",
}
SSHD_MATCH_NO_ARGUMENT = frozenset({"all", "invalid-user"})
