"""Prerequisite checks for hosts and clusters: can Kata work here at all?

engine.py runs checks concurrently with timeouts and turns them into PASS/WARN/FAIL/SKIP results
(registry.py lists them, options.py says what they look at); host.py, cpu.py, kvm.py, modules.py,
the kata_*.py modules (over kataio_tui.kata), container_runtimes.py and fio_checks.py check a host
(under a root directory); cluster.py and canary.py check a cluster (through the platform adapter
kataio_tui/kube/: connecting, and diagnosis of failed pods); render.py draws results with rich.
docs/checks.md documents the checks and the JSON schema.
"""
