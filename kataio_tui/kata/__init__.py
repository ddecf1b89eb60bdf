"""What kataio knows about Kata Containers' own configuration, for the Go runtime and runtime-rs.

Plain data and pure functions over a host file tree; no check-engine types (the checks wrap these):

- ``layout``: where each runtime and kata-deploy put shims, tools and configuration files.
- ``hostroot``: host paths under a root directory (a real host at ``/``, a fixture tree in tests).
- ``configload``: one configuration file with its ``config.d/`` drop-ins merged as the runtime does.
- ``config``: the settings kataio reads from a loaded configuration, with each runtime's defaults.
- ``installations``: which runtimes are installed and which configuration files they have.
- ``handlers``: which runtime and which configuration each containerd / CRI-O handler really uses.
- ``rules``: per-runtime validity of a configuration (FAIL: the pod cannot start; WARN: it starts
  but does not do what the user expects), with the runtime's own error wording where known.
- ``virtiofsd``: the virtiofsd thread pool from ``virtio_fs_extra_args``.
- ``annotations``: ``io.katacontainers.config.hypervisor.*`` names, values, and whether they reach Kata.
- ``capacity``: Kata pods planned on a node against ``/dev/shm`` and host memory.
- ``mounts``: the ``kataShared`` mount type a client pod must show for a requested shared_fs.

Sources: ../shared/notes/kata.md ("Kata 4.x") and the kata-containers sources named in each module.
"""
