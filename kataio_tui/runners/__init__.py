"""Runners execute a plan's scenarios (locally or on Kubernetes) and emit typed events."""
