"""Audit policies: what a server must (not) offer, for CI gates.

Built-in policies live in ``catalog/data/policies/<id>.toml`` with a source
for every choice; a user's policy file has the same schema (docs/audit.md):

    [policy]      id, title, description, sources
    [allow]       per category, patterns every offered algorithm must match
    [require_any] per category, patterns at least one offered algorithm must match
    [host_keys]   forbid = [key types], min_bits = {rsa = 3072, ...}
    [rules]       terrapin_safe = true, min_grade = "B", post_quantum = true

Patterns are OpenSSH wildcards (``*`` and ``?``), matched with the same
code as ssh_config lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from sshdoctor.audit.grade import GRADES, Grade
from sshdoctor.audit.hostkeys import KeyVerdict
from sshdoctor.audit.terrapin import TerrapinStatus
from sshdoctor.audit.verdicts import offered
from sshdoctor.catalog import algorithm
from sshdoctor.catalog.datafile import load
from sshdoctor.model import Category, Proposal
from sshdoctor.negotiate.listmod import match_pattern

_SECTIONS = {"policy", "allow", "require_any", "host_keys", "rules", "sources", "reason"}
_RULES = {"terrapin_safe", "min_grade", "post_quantum"}


class PolicyError(ValueError):
    """A policy that cannot be used (unknown name, bad schema)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """A set of requirements a server's offer and host keys are checked against."""

    id: str
    title: str
    description: str = ""
    allow: dict[Category, tuple[str, ...]] = field(default_factory=dict)
    require_any: dict[Category, tuple[str, ...]] = field(default_factory=dict)
    forbid_key_types: tuple[str, ...] = ()
    min_key_bits: dict[str, int] = field(default_factory=dict)
    terrapin_safe: bool = False
    post_quantum: bool = False
    min_grade: str | None = None
    sources: tuple[str, ...] = ()

    def allows(self, category: Category, name: str) -> bool:
        """Whether ``name`` passes the category's allow-list (no list: everything passes)."""
        patterns = self.allow.get(category)
        return patterns is None or any(match_pattern(name, p) for p in patterns)


@dataclass(frozen=True, slots=True)
class Violation:
    """One requirement a server does not meet."""

    rule: str
    detail: str
    category: Category | None = None
    algorithm: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "detail": self.detail,
                "category": self.category.value if self.category else None, "algorithm": self.algorithm}


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """The outcome of checking one server against one policy."""

    policy: Policy
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        return {"id": self.policy.id, "title": self.policy.title, "passed": self.passed,
                "violations": [v.as_dict() for v in self.violations]}


def _category_lists(table: Any, section: str) -> dict[Category, tuple[str, ...]]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise PolicyError(f"[{section}] must be a table of category = [patterns]")
    out: dict[Category, tuple[str, ...]] = {}
    for key, value in table.items():
        try:
            cat = Category(key)
        except ValueError:
            known = ", ".join(c.value for c in Category)
            raise PolicyError(f"[{section}] names unknown category {key!r} (use {known})") from None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise PolicyError(f"[{section}] {key} must be a list of algorithm names or patterns")
        out[cat] = tuple(value)
    return out


def policy_from_dict(data: Mapping[str, Any], default_id: str = "custom") -> Policy:
    """Build a policy from parsed TOML, rejecting anything it does not understand."""
    unknown = set(data) - _SECTIONS
    if unknown:
        raise PolicyError(f"unknown policy section(s): {', '.join(sorted(unknown))}")
    head = data.get("policy", {})
    if not isinstance(head, Mapping):
        raise PolicyError("[policy] must be a table")
    keys = data.get("host_keys", {}) or {}
    rules = data.get("rules", {}) or {}
    if not isinstance(keys, Mapping) or not isinstance(rules, Mapping):
        raise PolicyError("[host_keys] and [rules] must be tables")
    bad_rules = set(rules) - _RULES
    if bad_rules:
        raise PolicyError(f"unknown rule(s): {', '.join(sorted(bad_rules))}")
    min_grade = rules.get("min_grade")
    if min_grade is not None and min_grade not in GRADES:
        raise PolicyError(f"min_grade must be one of {', '.join(GRADES)}")
    min_bits = keys.get("min_bits", {})
    if not isinstance(min_bits, Mapping) or not all(isinstance(v, int) and v > 0 for v in min_bits.values()):
        raise PolicyError("[host_keys] min_bits must map key types to positive bit counts")
    forbid = keys.get("forbid", [])
    if not isinstance(forbid, list) or not all(isinstance(v, str) for v in forbid):
        raise PolicyError("[host_keys] forbid must be a list of key types (rsa, dsa, ecdsa, ed25519, ed448)")
    for flag in ("terrapin_safe", "post_quantum"):
        if flag in rules and not isinstance(rules[flag], bool):
            raise PolicyError(f"rule {flag} must be true or false")
    return Policy(
        id=str(head.get("id", default_id)),
        title=str(head.get("title", head.get("id", default_id))),
        description=str(head.get("description", "")),
        allow=_category_lists(data.get("allow"), "allow"),
        require_any=_category_lists(data.get("require_any"), "require_any"),
        forbid_key_types=tuple(forbid),
        min_key_bits={str(k): int(v) for k, v in min_bits.items()},
        terrapin_safe=bool(rules.get("terrapin_safe", False)),
        post_quantum=bool(rules.get("post_quantum", False)),
        min_grade=min_grade,
        sources=tuple(head.get("sources", ())),
    )


@cache
def builtin_ids() -> tuple[str, ...]:
    """The names of the policies shipped with sshdoctor."""
    folder = resources.files("sshdoctor.catalog").joinpath("data/policies")
    return tuple(sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".toml")))


def builtin(name: str) -> Policy:
    """A shipped policy by id (``modern``, ``intermediate``)."""
    if name not in builtin_ids():
        raise PolicyError(f"no built-in policy {name!r} (built-in: {', '.join(builtin_ids())})")
    return policy_from_dict(load(f"policies/{name}.toml"), default_id=name)


def builtin_raw(name: str) -> dict[str, Any]:
    """The parsed data file of a shipped policy, sources and reasons included."""
    if name not in builtin_ids():
        raise PolicyError(f"no built-in policy {name!r}")
    return load(f"policies/{name}.toml")


def evaluate(
    policy: Policy,
    proposal: Proposal,
    keys: Sequence[KeyVerdict],
    terrapin: TerrapinStatus,
    grade: Grade,
) -> PolicyResult:
    """Check a server against a policy; every unmet requirement is one violation."""
    out: list[Violation] = []
    for cat in Category:
        names = offered(proposal, cat)
        for name in names:
            if not policy.allows(cat, name):
                out.append(Violation("allow", f"{cat.value} {name} is not allowed by {policy.id}", cat, name))
        wanted = policy.require_any.get(cat)
        if wanted and not any(match_pattern(n, p) for n in names for p in wanted):
            out.append(Violation("require_any", f"no {cat.value} algorithm matching {', '.join(wanted)} is offered", cat))
    for v in keys:
        key = v.key
        if key.key_type is None or key.bits is None:
            continue
        if key.key_type in policy.forbid_key_types:
            out.append(Violation("host_keys", f"{key.key_type.upper()} host key ({key.algorithm}) is forbidden",
                                 Category.HOSTKEY, key.algorithm))
        minimum = policy.min_key_bits.get(key.key_type)
        if minimum is not None and key.bits < minimum:
            out.append(Violation("host_keys", f"{key.bits}-bit {key.key_type.upper()} host key ({key.algorithm}) is "
                                 f"below {minimum} bits", Category.HOSTKEY, key.algorithm))
    if policy.terrapin_safe and terrapin.vulnerable:
        out.append(Violation("terrapin_safe", "vulnerable to Terrapin (CVE-2023-48795)", Category.KEX))
    if policy.post_quantum and not any(algorithm(Category.KEX, n).post_quantum for n in offered(proposal, Category.KEX)):
        out.append(Violation("post_quantum", "no post-quantum hybrid key exchange is offered", Category.KEX))
    if policy.min_grade is not None and not grade.at_least(policy.min_grade):
        out.append(Violation("min_grade", f"grade {grade.letter} is below the required {policy.min_grade}"))
    return PolicyResult(policy, tuple(out))
