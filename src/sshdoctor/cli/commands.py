"""The subcommands: module, attribute and one-line help of each (loaded only when run)."""

# name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "probe": ("sshdoctor.cli.probe_cmd", "probe", "Show what a server offers and what your ssh would negotiate."),
    "check": ("sshdoctor.cli.check_cmd", "check", "Walk the connection to a host stage by stage (also: sshdoctor HOST)."),
    "demo": ("sshdoctor.cli.demo_cmd", "demo", "Run sshdoctor against a built-in legacy server on loopback."),
    "lint": ("sshdoctor.cli.lint_cmd", "lint", "Check the algorithm directives of ssh_config or sshd_config."),
    "explain": ("sshdoctor.cli.explain_cmd", "explain", "Explain an SSH failure message or log, with the safest fix."),
    "fix": ("sshdoctor.cli.fix_cmd", "fix", "Find, verify and write the narrowest fix for a host."),
    "run": ("sshdoctor.cli.run_cmd", "run", "Run your ssh/scp/sftp/git command; if it fails, explain and fix it."),
    "audit": ("sshdoctor.cli.audit_cmd", "audit", "Grade a server or connecting clients; plan a hardened sshd_config."),
    "compat": ("sshdoctor.cli.compat_cmd", "compat", "Who can talk to whom (profiles, hosts, your ssh); fixes on either side."),
    "scan": ("sshdoctor.cli.scan_cmd", "scan", "Scan a fleet: who your ssh cannot reach, one config fragment to fix them all."),
    "history": ("sshdoctor.cli.history_cmd", "history", "Show stored scans, or what changed for a host over time."),
    "help": ("sshdoctor.cli.help_cmd", "help_", "Show a documentation topic (json, exit-codes, …) or a command's help."),
}
