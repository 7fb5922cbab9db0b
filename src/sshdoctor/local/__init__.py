"""The user's own machine: the local ssh binary, its effective configuration,
the exact KEXINIT it sends, and the ssh_config / sshd_config files."""
