"""Typed data: plans (what to run) and result-set manifests (what was run and where)."""
