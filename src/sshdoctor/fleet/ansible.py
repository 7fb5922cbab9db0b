"""Ansible inventories, INI and YAML (with PyYAML), read without Ansible.

Only what decides where ssh connects is taken: host names (with Ansible's
``[01:20]`` / ``[a:f]`` ranges and INI's ``host:port``), ``ansible_host``
and ``ansible_port`` (also the old ``ansible_ssh_host``/``ansible_ssh_port``)
from host variables, group variables (a child group's value beats its
parent's) and ``all``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import yaml

_RANGE = re.compile(r"\[([0-9]+|[a-zA-Z]):([0-9]+|[a-zA-Z])(?::([0-9]+))?\]")
_HOST_KEYS = ("ansible_host", "ansible_ssh_host")
_PORT_KEYS = ("ansible_port", "ansible_ssh_port")


@dataclass
class _Group:
    hosts: dict[str, dict[str, str]] = field(default_factory=dict)
    vars: dict[str, str] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)


def expand_range(name: str) -> list[str]:
    """``web[01:03].example.com`` → web01, web02, web03 (zero padding kept)."""
    m = _RANGE.search(name)
    if m is None:
        return [name]
    start, end, step = m.group(1), m.group(2), int(m.group(3) or 1)
    if step < 1:
        raise ValueError(f"bad range step in {name!r}")
    head, tail = name[: m.start()], name[m.end():]
    if start.isdigit() and end.isdigit():
        width = len(start) if start.startswith("0") else 0
        items = [str(i).zfill(width) for i in range(int(start), int(end) + 1, step)]
    elif start.isalpha() and end.isalpha():
        items = [chr(c) for c in range(ord(start), ord(end) + 1, step)]
    else:
        raise ValueError(f"bad range in {name!r}")
    out: list[str] = []
    for item in items:
        out += expand_range(head + item + tail)
    return out


# ---- INI -------------------------------------------------------------------


def _parse_ini(text: str) -> dict[str, _Group]:
    groups: dict[str, _Group] = {"all": _Group(), "ungrouped": _Group()}
    section, kind = "ungrouped", "hosts"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ValueError(f"line {number}: unterminated section header")
            name = line[1:-1].strip()
            section, _, kind = name.partition(":")
            kind = kind or "hosts"
            if kind not in ("hosts", "vars", "children"):
                raise ValueError(f"line {number}: unknown section type {kind!r}")
            groups.setdefault(section, _Group())
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        if not words:
            continue
        group = groups[section]
        if kind == "vars":
            key, _, value = line.partition("=")
            group.vars[key.strip()] = value.strip().strip("'\"")
        elif kind == "children":
            group.children.append(words[0])
        else:
            host_vars = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            name = words[0]
            bare = _RANGE.sub("", name)
            if bare.count(":") == 1 and not bare.startswith("["):
                name, _, port = name.rpartition(":")
                host_vars.setdefault("ansible_port", port)
            for host in expand_range(name):
                group.hosts.setdefault(host, {}).update(host_vars)
    return groups


# ---- YAML (the subset inventories use) ---------------------------------------


def _as_text(value: object, where: str) -> object:
    """Keys and scalars as text (``ansible_port: 22`` and ``"22"`` alike); lists refused."""
    if isinstance(value, dict):
        return {str(k): _as_text(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        raise ValueError(f"{where}: only mappings are supported in a YAML inventory")
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_yaml_mapping(text: str) -> dict[str, object]:
    """A YAML inventory as nested mappings of text (PyYAML's safe loader)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("a YAML inventory must be a mapping of groups")
    result = _as_text(data, "inventory")
    assert isinstance(result, dict)
    return result


def _yaml_groups(data: dict[str, object]) -> dict[str, _Group]:
    groups: dict[str, _Group] = {"all": _Group()}

    def visit(name: str, node: object) -> None:
        group = groups.setdefault(name, _Group())
        if not isinstance(node, dict):
            return
        hosts = node.get("hosts")
        if isinstance(hosts, dict):
            for host, host_vars in hosts.items():
                values = {k: str(v) for k, v in host_vars.items()} if isinstance(host_vars, dict) else {}
                for expanded in expand_range(str(host)):
                    group.hosts.setdefault(expanded, {}).update(values)
        variables = node.get("vars")
        if isinstance(variables, dict):
            group.vars.update({k: str(v) for k, v in variables.items() if v is not None})
        children = node.get("children")
        if isinstance(children, dict):
            for child, child_node in children.items():
                group.children.append(child)
                visit(child, child_node)

    for name, node in data.items():
        visit(name, node)
    return groups


# ---- both ------------------------------------------------------------------


def _depths(groups: dict[str, _Group]) -> dict[str, int]:
    """How far below ``all`` each group sits (a group reached twice keeps the deeper)."""
    depth = {name: 1 for name in groups}
    depth["all"] = 0
    for _ in range(len(groups)):
        changed = False
        for name, group in groups.items():
            for child in group.children:
                if child in depth and depth[child] <= depth[name]:
                    depth[child] = depth[name] + 1
                    changed = True
        if not changed:
            break
    return depth


def _ancestors(groups: dict[str, _Group], start: str) -> set[str]:
    parents: dict[str, set[str]] = {}
    for name, group in groups.items():
        for child in group.children:
            parents.setdefault(child, set()).add(name)
    seen = {start}
    todo = [start]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen | {"all"}


def _var(keys: tuple[str, ...], host_vars: dict[str, str], group_vars: list[dict[str, str]]) -> str | None:
    for scope in (host_vars, *group_vars):
        for key in keys:
            if scope.get(key):
                return scope[key]
    return None


def read_inventory(text: str, *, yaml: bool | None = None) -> list[tuple[str, str, int | None]]:
    """(inventory name, address to connect to, port or None) for every host, in file order."""
    if yaml is None:
        first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
        yaml = first == "---" or (first.endswith(":") and not first.startswith("["))
    groups = _yaml_groups(parse_yaml_mapping(text)) if yaml else _parse_ini(text)
    depth = _depths(groups)
    order: dict[str, tuple[dict[str, str], set[str]]] = {}
    for name, group in groups.items():
        for host, host_vars in group.hosts.items():
            merged, member_of = order.setdefault(host, ({}, set()))
            merged.update(host_vars)
            member_of.add(name)
    out: list[tuple[str, str, int | None]] = []
    for host, (host_vars, member_of) in order.items():
        related: set[str] = set()
        for name in member_of:
            related |= _ancestors(groups, name)
        # Deeper (more specific) groups first; equal depth by name, later wins as in Ansible.
        ranked = sorted(related, key=lambda g: (depth.get(g, 1), g), reverse=True)
        group_vars = [groups[g].vars for g in ranked if g in groups]
        address = _var(_HOST_KEYS, host_vars, group_vars) or host
        port_text = _var(_PORT_KEYS, host_vars, group_vars)
        port: int | None = None
        if port_text is not None:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"host {host}: invalid ansible_port {port_text!r}")
            port = int(port_text)
        out.append((host, address, port))
    return out
