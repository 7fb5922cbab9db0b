"""Security verdicts and policies over proposals, host keys, versions and configuration files (no I/O).

Modules: ``verdicts`` (severity of each algorithm), ``terrapin``,
``hostkeys`` (key sizes), ``grade``, ``policy``, ``server`` (a whole
server audit), ``client`` (identifying and judging a connecting client),
``harden`` (sshd_config that keeps named clients working), ``configlint``.
Import the module you need; nothing is re-exported here, so importing one
stays cheap.
"""
