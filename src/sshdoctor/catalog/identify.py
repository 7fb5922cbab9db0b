"""Which catalog profile a name or an identification string means.

This is the one place that maps software to a profile. It reads three
kinds of catalog data: profile ids (and distribution aliases), the
``banner_patterns`` of every implementation's profiles, and the
``identifies`` globs of distribution profiles, plus :data:`QUIRKS`, the
few identification strings that do not say the release they come from.

* :func:`resolve` is what a command line's profile argument means:
  ``openssh-7.4``, ``debian-12``, ``rocky-9-legacy``, ``rhel-9.4``,
  ``paramiko-3.4.1`` (the nearest earlier release, with a note), or the
  software version a peer sends (``libssh2_1.10.0``, ``SSH-2.0-Go``,
  ``OpenSSH_8.9p1 Ubuntu-3ubuntu0.10``).
* :func:`for_banner` / :func:`for_software` are what a peer's banner
  means: its distribution's build where the banner names one, else the
  implementation's nearest profiled release at or below the version.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache

from sshdoctor.catalog.profiles import (
    Profile,
    all_profiles,
    distribution_aliases,
    distribution_profiles,
    get_profile,
)
from sshdoctor.model import Banner


class NoProfileAtOrBelow(ValueError):
    """A known implementation, but older than every release the catalog profiles."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """The profile a name or identification string means, and what to tell the user.

    ``note`` is None only when the name is the profile's own id (or a
    spelling of it); otherwise it says which profile was used and why.
    """

    profile: Profile
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Quirk:
    """An identification string whose version is not the release it comes from.

    ``pattern`` is a glob over the software part of the string; ``version``
    is the release to look up instead, used only when the implementation's
    profiles are numbered that way (a profile shares its major number), so
    a catalog that numbers Erlang's profiles by the ssh application's own
    version still gets the version from the string.
    """

    pattern: str
    version: str
    means: str
    sources: tuple[str, ...]


_OTP_TABLE = "https://github.com/erlang/otp/blob/maint-25/otp_versions.table"
_SSH2_STREAMS = "https://github.com/mscdex/ssh2-streams/blob/v0.4.10/lib/ssh.js"
_SSH2_1X = "https://github.com/mscdex/ssh2/blob/v1.16.0/lib/protocol/Protocol.js"
_TRILEAD_222 = "https://central.sonatype.com/artifact/com.trilead/trilead-ssh2/1.0.0-build222"
_JSCH_155 = "https://github.com/mwiede/jsch/blob/635c0bcf/src/main/java/com/jcraft/jsch/Session.java"

# Identification strings that name something other than the release (first match wins).
QUIRKS: tuple[Quirk, ...] = (
    Quirk("JSCH-0.1.54", "0.1.55",
          "JSch 0.1.55 still sends JSCH-0.1.54 (0.1.54 sends it too, with the same algorithm lists)", (_JSCH_155,)),
    # node ssh2 0.x puts the ssh2-streams module's version in its banner
    # (SSH_IDENT = 'SSH-2.0-ssh2js' + ssh2-streams' package version); from
    # 1.0 on the banner carries ssh2's own version.
    Quirk("ssh2js0.4.*", "0.8.9",
          "ssh2js0.4.x is ssh2-streams 0.4.x, the protocol module of node ssh2 0.8.x", (_SSH2_STREAMS, _SSH2_1X)),
    # Erlang/OTP's ssh application sends its own version (ssh-4.15.2), not
    # OTP's; otp_versions.table says which OTP release ships which.
    Quirk("Erlang/4.14*", "25.0", "Erlang ssh 4.14.x is the ssh application of OTP 25.0", (_OTP_TABLE,)),
    Quirk("Erlang/4.15", "25.1", "Erlang ssh 4.15 is the ssh application of OTP 25.1", (_OTP_TABLE,)),
    Quirk("Erlang/4.15.1", "25.2", "Erlang ssh 4.15.1 is the ssh application of OTP 25.2", (_OTP_TABLE,)),
    Quirk("Erlang/4.15.2", "25.2.3", "Erlang ssh 4.15.2 is the ssh application of OTP 25.2.3", (_OTP_TABLE,)),
    Quirk("Erlang/4.15.3*", "25.3", "Erlang ssh 4.15.3.x is the ssh application of OTP 25.3.x", (_OTP_TABLE,)),
    # Recorded in the interop lab: the Maven Central jar's identification names an older build.
    Quirk("TrileadSSH2Java_213", "1.0.0-build222",
          "TrileadSSH2Java_213 is what trilead-ssh2 1.0.0-build222 (Maven Central) sends", (_TRILEAD_222,)),
)

_VERSION = re.compile(r"\d+(?:\.\d+)*")
_IDENT_PREFIX = re.compile(r"^SSH-(?:2\.0|1\.99)-")
# Characters no DNS host name has: a name with one is not a host.
_NOT_HOSTNAME = re.compile(r"[^a-z0-9.\-]")


def software_text(text: str) -> str:
    """``software comments`` of an identification string, whole (``SSH-2.0-…``) or not."""
    return _IDENT_PREFIX.sub("", text.strip().rstrip("\r\n"), count=1).strip()


def _key(version: str) -> tuple[int, ...]:
    parts = tuple(int(x) for x in re.findall(r"\d+", version))
    return parts + (0,) * (4 - len(parts)) if len(parts) < 4 else parts


def _numeric(version: str) -> str | None:
    """The dotted number a version starts with: ``9.2p1`` → ``9.2``."""
    m = _VERSION.search(version)
    return m[0] if m else None


def _literal_prefix(pattern: str) -> str:
    """The fixed text before a banner glob's first wildcard, without trailing version digits."""
    cut = min((i for i in (pattern.find(c) for c in "*?[") if i >= 0), default=len(pattern))
    return pattern[:cut].rstrip("0123456789.")


@cache
def _implementations() -> dict[str, list[Profile]]:
    """Upstream releases by implementation, oldest first."""
    out: dict[str, list[Profile]] = {}
    for prof in all_profiles().values():
        out.setdefault(prof.implementation, []).append(prof)
    for releases in out.values():
        releases.sort(key=lambda p: _key(p.version))
    return out


def _at_or_below(releases: list[Profile], version: str) -> Profile | None:
    want = _key(version)
    below = [p for p in releases if _key(p.version) <= want]
    return below[-1] if below else None


def _too_old(releases: list[Profile], what: str) -> NoProfileAtOrBelow:
    return NoProfileAtOrBelow(f"no profile for {what}: the oldest {releases[0].name} release in the catalog is "
                              f"{releases[0].id} (sshdoctor compat --list)")


# ---------------------------------------------------------------- identification strings


def for_banner(banner: Banner) -> Resolution | None:
    """The profile of a peer known by its banner (see :func:`for_software`)."""
    text = banner.software + (f" {banner.comments}" if banner.comments else "")
    return for_software(text)


def for_software(text: str) -> Resolution | None:
    """The profile an identification string means, or None when no implementation claims it.

    A distribution's build when the string names one (``OpenSSH_8.9p1
    Ubuntu-3ubuntu0.10`` is ``ubuntu-22.04``); otherwise the nearest
    release at or below the version it carries, of the implementation whose
    ``banner_patterns`` match, with the identification quirks applied. A
    string several distributions send alike (``OpenSSH_8.7``: RHEL 9,
    Amazon Linux 2023) gets the upstream release and a note naming them.
    Raises :class:`NoProfileAtOrBelow` for a known implementation older
    than every profiled release.
    """
    text = software_text(text)
    found = _distribution_build(text)
    if found is not None:
        return found
    software = text.split(" ", 1)[0]
    matched = _matching_implementations(software)
    if not matched:
        return None
    errors: list[NoProfileAtOrBelow] = []
    for impl, pattern in matched:
        try:
            found = _release_for(impl, pattern, software, text)
        except NoProfileAtOrBelow as err:
            errors.append(err)
            continue
        if found is not None:
            return found
    if errors:
        raise errors[0]
    return None


def _distribution_build(text: str) -> Resolution | None:
    for prof in distribution_profiles().values():
        for ident in prof.identifies:
            if fnmatch.fnmatchcase(text, ident.pattern):
                note = f"{text} is the {prof.distribution} build of {prof.name} {prof.version}: using {prof.id}"
                if ident.note:
                    note += f" ({ident.note})"
                return Resolution(prof, note)
    return None


def _matching_implementations(software: str) -> list[tuple[str, str]]:
    """(implementation, pattern) whose banner globs match, most specific pattern first."""
    seen: dict[str, str] = {}
    for impl, releases in _implementations().items():
        for pattern in dict.fromkeys(p for prof in releases for p in prof.banner_patterns):
            if fnmatch.fnmatchcase(software, pattern):
                best = seen.get(impl)
                if best is None or len(_literal_prefix(pattern)) > len(_literal_prefix(best)):
                    seen[impl] = pattern
    return sorted(seen.items(), key=lambda kv: -len(_literal_prefix(kv[1])))


def _release_for(impl: str, pattern: str, software: str, text: str) -> Resolution | None:
    releases = _implementations()[impl]
    name = releases[0].name
    rest = software[len(_literal_prefix(pattern)):]
    raw = _numeric(rest)
    hints = _shared_idents(text)
    quirk = next((q for q in QUIRKS if fnmatch.fnmatchcase(software, q.pattern)), None)
    if quirk is not None and any(_key(p.version)[0] == _key(quirk.version)[0] for p in releases):
        prof = _at_or_below(releases, quirk.version)
        if prof is None:
            raise _too_old(releases, f"{software} ({quirk.means})")
        return Resolution(prof, f"{software}: {quirk.means}; using {prof.id}" + hints)
    if raw is None:
        # The string carries no version (SSH-2.0-Go): say which release stands in for it.
        newest = releases[-1]
        return Resolution(newest, f"{software} carries no version; using the newest profiled {name} release, "
                                  f"{newest.id} (older releases may offer other algorithms)" + hints)
    prof = _at_or_below(releases, raw)
    if prof is None:
        raise _too_old(releases, software)
    if _key(prof.version) == _key(raw):
        # The release itself: a note only when distribution builds send the same string.
        return Resolution(prof, f"{software} is {name} {raw}: using {prof.id}" + hints if hints else None)
    return Resolution(prof, f"{software} is {name} {raw}, which the catalog does not profile; using the nearest "
                            f"earlier release, {prof.id}" + hints)


def _shared_idents(text: str) -> str:
    """A note naming the distribution builds that send exactly this string, which a banner cannot tell apart."""
    same = sorted(p.id for p in distribution_profiles().values() if p.banner_patterns[:1] == (text,) and not p.identifies)
    if not same:
        return ""
    # One name per build; its policy or program variants (rhel-9-legacy) share its prefix.
    roots = [pid for pid in same if not any(pid.startswith(other + "-") for other in same if other != pid)]
    variants = [pid for pid in same if pid not in roots]
    shown = ", ".join(roots) + (f" (and their variants {', '.join(variants)})" if variants else "")
    return (f". The banner does not say which build sends it: {shown} send the same string; "
            "name that profile to use the distribution's build instead of upstream's")


# ---------------------------------------------------------------- command-line names


def resolve(spec: str) -> Resolution | None:
    """The profile a command-line name means, or None when it names none (it may be a host).

    In order: a profile id or alias (``openssh-7.4``, ``OpenSSH_7.4p1``,
    ``debian-12``, ``rocky-9``); a distribution's point release
    (``rhel-9.4``, ``ubuntu-22.04.3``); a release of an implementation
    (``paramiko-3.4.1`` falls back to the nearest earlier release with a
    note, ``cisco-iosxe-17`` means its newest 17.x); the software version a
    peer sends (``libssh2_1.10.0``, ``SSH-2.0-Go``, ``OpenSSH_8.9p1
    Ubuntu-3ubuntu0.10``). A known implementation with no release at or
    below raises :class:`NoProfileAtOrBelow`.
    """
    if is_identification(spec):
        found = for_software(spec)
        if found is not None:
            return found
    exact = get_profile(spec)
    if exact is not None:
        return Resolution(exact)
    found = _point_release(spec) or _versioned_release(spec)
    if found is not None:
        return found
    text = software_text(spec)
    if text and _looks_like_software(spec, text):
        return for_software(text)
    return None


def is_identification(spec: str) -> bool:
    """True when a name is written as a peer identifies itself (``OpenSSH_7.4p1``, ``SSH-2.0-Go``, ``JSCH-0.1.54``).

    Such a name is read by :func:`for_software`, so quirks and distribution
    builds apply; a profile id (``openssh-7.4``) is not one.
    """
    text = software_text(spec)
    if not text:
        return False
    if spec.strip().startswith("SSH-") or any(fnmatch.fnmatchcase(text, i.pattern)
                                             for p in distribution_profiles().values() for i in p.identifies):
        return True
    return bool(_matching_implementations(text.split(" ", 1)[0])) and _looks_like_software(spec, text)


def _looks_like_software(spec: str, text: str) -> bool:
    """Worth reading as an identification string: not something that could be a host name.

    A version-less glob match (``dropbear``) may be a host; an
    identification string has a version, a ``SSH-`` prefix, or characters no
    host name has (``Go``, ``Ruby/Net::SSH_7.0.1``).
    """
    if spec.strip().startswith("SSH-") or _NOT_HOSTNAME.search(text):
        return True
    software = text.split(" ", 1)[0]
    return any(_numeric(software[len(_literal_prefix(pattern)):]) is not None
               for _, pattern in _matching_implementations(software))


def _point_release(spec: str) -> Resolution | None:
    """``rhel-9.4`` → ``rhel-9``, ``ubuntu-22.04.3-…`` → ``ubuntu-22.04-…``: one profile per release line."""
    key = spec.strip().lower().replace("_", "-").replace(" ", "-")
    for alias, target in distribution_aliases().items():
        if key.startswith(alias + "-"):
            key = target + key[len(alias):]
            break
    m = re.match(r"^([a-z][a-z-]*?)-(\d+(?:\.\d+)*)(-[a-z0-9-]+)?$", key)
    if m is None:
        return None
    dist, release, suffix = m[1], m[2], m[3] or ""
    profiles = distribution_profiles()
    parts = release.split(".")
    for n in range(len(parts) - 1, 0, -1):
        pid = f"{dist}-{'.'.join(parts[:n])}{suffix}"
        if pid in profiles:
            prof = profiles[pid]
            return Resolution(prof, f"{spec.strip()} is profiled as its release line, {pid}")
    return None


def _versioned_release(spec: str) -> Resolution | None:
    m = re.match(r"^(.+?)[-_ ](\d[\w.]*)$", spec.strip().lower())
    if m is None:
        return None
    impl, version = m[1].replace("_", "-").replace(" ", "-"), m[2]
    releases = _implementations().get(impl)
    if not releases:
        return None
    want = _key(version)
    same = [p for p in releases if _key(p.version) == want]  # 5.1 is 5.1.0
    if same:
        return Resolution(same[0])
    # "cisco-iosxe-17" means the 17.x line when only 17.11 is profiled.
    line = [p for p in releases if p.version.startswith(version + ".")]
    nearest = line[-1] if line else _at_or_below(releases, version)
    if nearest is None:
        raise _too_old(releases, spec)
    which = f"its newest {version}.x release" if line else "the nearest earlier release"
    return Resolution(nearest, f"the catalog has no {releases[0].name} {version}; using {which}, {nearest.id}")


def profile_of(banner: Banner | None) -> Profile | None:
    """The profile of a peer's banner, or None when the catalog has none for it (older than every release,
    or an implementation it does not profile)."""
    if banner is None:
        return None
    try:
        found = for_banner(banner)
    except NoProfileAtOrBelow:
        return None
    return found.profile if found is not None else None
