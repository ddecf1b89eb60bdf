"""Platform adapter for this host, below both the checks and the runners: OCI bundles and runtime
commands (oci.py), which local runtimes can run fio here (availability.py), CPU flags (cpuinfo.py)."""
