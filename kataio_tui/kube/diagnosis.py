"""Why a pod (usually a Kata pod) did not run: map Kubernetes event and status text to cause + remedy.

The table holds the strings real Kata, containerd, scheduler and kubelet failures print (see
docs/checks.md). API, kept small for the Kubernetes runner as well as the canary:

- :func:`diagnose` ``(messages) -> Diagnosis | None``: the best-matching known cause among the
  texts (earlier rules in :data:`RULES` are more specific and win, whatever the text order).
- :func:`pod_messages` ``(pod, events) -> list[str]``: the texts of a pod's status, container
  states and Events (kubernetes client objects or plain dicts), ready for :func:`diagnose`.
- :func:`diagnose_pod` ``(pod, events)``: both in one call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

KATA_NODE_LABEL = "katacontainers.io/kata-runtime"


@dataclass(frozen=True)
class Diagnosis:
    key: str  # stable identifier of the rule, e.g. "no-runtime-handler"
    cause: str
    remedy: str
    evidence: str  # the text that matched

    def __str__(self) -> str:
        return f"{self.cause}; remedy: {self.remedy}"


Text = str | Callable[[dict[str, str]], str]


@dataclass(frozen=True)
class Rule:
    key: str
    pattern: re.Pattern[str]
    cause: Text
    remedy: Text

    def apply(self, message: str) -> Diagnosis | None:
        match = self.pattern.search(message)
        if match is None:
            return None
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        render = lambda t: t(groups) if callable(t) else t.format(**groups)  # noqa: E731
        return Diagnosis(self.key, render(self.cause), render(self.remedy), message.strip())


def _handler_remedy(groups: dict[str, str]) -> str:
    handler = groups["handler"]
    if handler.startswith("kata"):
        return f"install Kata (kata-deploy) or pick a node labelled {KATA_NODE_LABEL}=true"
    return (f"add a {handler} runtime handler to the node's containerd (or CRI-O) configuration, or restrict "
            "the RuntimeClass (scheduling.nodeSelector) to nodes that have it")


RULES: tuple[Rule, ...] = (
    Rule("runtimeclass-not-found", re.compile(r'RuntimeClass "(?P<rc>[^"]+)" not found'),
         'RuntimeClass "{rc}" does not exist in the cluster, so the API server rejected the pod',
         "create it (kata-deploy creates kata-<shim> RuntimeClasses) or use one that `kubectl get runtimeclass` "
         "lists"),
    Rule("no-runtime-handler", re.compile(r'no runtime for "(?P<handler>[^"]+)" is configured'),
         "this node's containerd has no {handler} handler", _handler_remedy),
    Rule("vhost-vsock", re.compile(r"open /dev/vhost-vsock: no such device|host system doesn't support vsock"),
         "the node has no usable /dev/vhost-vsock: vhost_vsock is not loaded, or another vsock transport holds "
         "vsock (VMware guests)",
         "modprobe vhost_vsock on the node (on VMware guests unload vmw_vsock_vmci_transport first)"),
    Rule("kvm-busy", re.compile(r"KVM_CREATE_VM\) failed: 16|KVM_CREATE_VM.{0,40}Device or resource busy"),
         "another hypervisor on the node holds VT-x/AMD-V, so KVM cannot create the VM",
         "stop the other hypervisor (VirtualBox, VMware) on that node"),
    Rule("no-kvm", re.compile(r"Could not access KVM kernel module|failed to initialize KVM"),
         "the node has no usable /dev/kvm (no VT-x/AMD-V, nested virtualisation off, or kvm_intel/kvm_amd not "
         "loaded)",
         "enable VT-x/AMD-V or nested virtualisation and load kvm_intel/kvm_amd on the node; "
         "`kataio check` on the node shows which"),
    Rule("shim-not-installed",
         re.compile(r'binary not installed "(?P<shim>containerd-shim-[^"]+)"'
                    r"|fork/exec (?P<path>\S*containerd-shim-[^\s:]+): no such file or directory"),
         lambda g: f"the shim {g.get('shim') or g.get('path')} is not installed on that node",
         f"install Kata there (kata-deploy) or keep the pods on nodes labelled {KATA_NODE_LABEL}=true"),
    Rule("shim-failed", re.compile(r"failed to create shim|failed to start shim"),
         "the runtime shim failed to start the sandbox (a generic Kata/containerd failure)",
         "read the node's containerd log (journalctl -u containerd) with Kata debug enabled"),
    Rule("node-selector", re.compile(r"didn't match (Pod's )?node (affinity/)?selector"),
         "no schedulable node carries the labels the pod (or its RuntimeClass scheduling.nodeSelector) requires",
         f"label a node where the runtime is installed (kata-deploy sets {KATA_NODE_LABEL}=true) or fix the "
         "RuntimeClass scheduling"),
    Rule("insufficient-resources", re.compile(r"Insufficient (?P<resource>[\w./-]+)"),
         "no node has enough allocatable {resource} for the pod's requests plus its RuntimeClass overhead",
         "free capacity, lower the requests, or add nodes"),
    Rule("untolerated-taint", re.compile(r"untolerated taint|taints? that the pod didn't tolerate"),
         "the candidate nodes are tainted and neither the pod nor its RuntimeClass tolerates the taint",
         "add the toleration (RuntimeClass scheduling.tolerations) or remove the taint"),
    Rule("nodes-cordoned", re.compile(r"node\(s\) were unschedulable"),
         "the candidate nodes are cordoned (unschedulable)", "kubectl uncordon the node"),
    Rule("no-nodes", re.compile(r"no nodes available to schedule pods|0/0 nodes are available"),
         "the cluster has no nodes to schedule on", "add or repair nodes"),
    Rule("image-never-pull", re.compile(r"ErrImageNeverPull|is not present with pull policy of Never"),
         "the image is not on the node and imagePullPolicy is Never",
         "load the image onto the node, or use imagePullPolicy IfNotPresent with a reachable registry"),
    Rule("image-pull",
         re.compile(r"ErrImagePull|ImagePullBackOff|Failed to pull image|pull access denied|manifest unknown"
                    r"|InvalidImageName"),
         "the node cannot pull the image",
         "check the image name, registry reachability and credentials (imagePullSecrets), or preload the image"),
    Rule("missing-volume-source", re.compile(r'(?P<kind>configmap|secret|persistentvolumeclaim) "(?P<name>[^"]+)" '
                                             r"not found", re.IGNORECASE),
         "the {kind} {name} that the pod mounts does not exist", "create it in the pod's namespace"),
    Rule("forbidden", re.compile(r'User "(?P<user>[^"]+)" cannot (?P<verb>\w+) resource "(?P<resource>[^"]+)"'),
         "{user} may not {verb} {resource}", "ask a cluster admin for a Role granting it in this namespace"),
    Rule("oom-killed", re.compile(r"OOMKilled"),
         "the container exceeded its memory limit (under Kata the VM's memory is the pod's limit plus overhead)",
         "raise the memory limit or lower fio's memory use"),
)


def diagnose(messages: Iterable[str]) -> Diagnosis | None:
    """The most specific known cause found in any of ``messages``, or None."""
    texts = [m for m in messages if m]
    for rule in RULES:
        for text in texts:
            found = rule.apply(text)
            if found is not None:
                return found
    return None


def _field(obj: Any, snake: str, camel: str | None = None) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(camel or snake, obj.get(snake))
    return getattr(obj, snake, None)


def pod_messages(pod: Any = None, events: Iterable[Any] = ()) -> list[str]:
    """Status, condition, container-state and Event texts of a pod (client objects or dicts)."""
    texts: list[str] = []

    def add(reason: Any, message: Any) -> None:
        text = ": ".join(str(x) for x in (reason, message) if x)
        if text and text not in texts:
            texts.append(text)

    status = _field(pod, "status")
    if status is not None:
        add(_field(status, "reason"), _field(status, "message"))
        for condition in _field(status, "conditions") or []:
            add(_field(condition, "reason"), _field(condition, "message"))
        for key, camel in (("init_container_statuses", "initContainerStatuses"),
                           ("container_statuses", "containerStatuses")):
            for cs in _field(status, key, camel) or []:
                state = _field(cs, "state")
                for kind in ("waiting", "terminated"):
                    detail = _field(state, kind)
                    if detail is not None:
                        add(_field(detail, "reason"), _field(detail, "message"))
    for event in events:
        add(_field(event, "reason"), _field(event, "message"))
    return texts


def diagnose_pod(pod: Any = None, events: Iterable[Any] = ()) -> Diagnosis | None:
    return diagnose(pod_messages(pod, events))
