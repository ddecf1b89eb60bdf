"""The Kubernetes runner: fio client pods per RuntimeClass, started together, watched, streamed, cleaned up.

Modules: manifests (the objects), gate (the start gate inside each pod), runner (the ScenarioRunner),
cleanup (delete by label), provenance (the cluster's facts), mounts (kataShared from /proc/mounts).
docs/kubernetes-runner.md describes the design.
"""
