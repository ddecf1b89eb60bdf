"""Safety on a shared host: paths nobody else controls, files read without following links or
blocking, exclusive and atomic writes, locks, the run journal, fio that never outlives kataio,
and signals that cancel like Ctrl-C.

Ground floor: these modules use only the standard library and kataio_tui.errors / paths.

- trust:        which directories are safe to create files under (owner, mode, symlinks), fd walks
- private_dirs: per-run directories made exclusively (0700); verified per-user directories
- state_dir:    the per-user state directory (journals, job files, bundles)
- safe_read:    reading files of a tree (result set, import) that cannot hang or exhaust memory
- safe_write:   exclusive create and atomic replace in directories the user owns
- room:         free space, "no space left" wording, does a layout fit
- lockfile:     flock locks with holder info (pid, user, host, start, command)
- journal:      the run journal: what a run created, written before it is created
- reaper:       removing what a journal lists (process groups, containers, paths)
- watchdog:     a process that clears a run's journal when kataio dies (even by SIGKILL)
- children:     spawning clients with a parent-death signal from a long-lived thread
- signals:      SIGTERM and SIGHUP as Ctrl-C: one orderly, bounded cancel
"""
