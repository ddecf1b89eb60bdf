#!/bin/bash
# Runs inside a private mount namespace of the lab (started by run.sh through `unshare --mount`), then
# stays as that namespace's holder. Usage: inside.sh NODE_DIR
#   NODE_DIR = $STATE: the control plane (etcd, kube-apiserver, controller-manager, scheduler) and node 1
#   NODE_DIR = $STATE/nodeN: node N only (its own containerd and kubelet, own /var/log, /var/lib, /run)
# Every process is started through a recorded command script ($NODE_DIR/cmd/NAME.sh) that writes its
# own PID to $NODE_DIR/pids/NAME.pid: `scripts/k8s-lab stop|start NAME` reuses both.
set -euo pipefail
: "${CACHE:?}" "${STATE:?}"
D=${1:?node dir}
source "$STATE/ports.env"
source "$D/node.env"
export PATH="$STATE/bin:$CACHE/bin:/usr/sbin:/usr/bin:/sbin:/bin"
L="$D/logs"; K="$STATE/pki"
source "$(dirname "$0")/component.sh"
start() { start_component "$D" "$@"; }
fail() { echo "inside: $*" >&2; echo "$*" >"$D/failed"; exit 1; }

# private views of the paths containerd/kubelet/CNI hard-code; the host never sees these mounts.
# Each node has its own: two kubelets sharing /var/log/pods would garbage-collect each other's logs.
mount --bind "$D/varlog" /var/log
mount --bind "$D/varlib" /var/lib
mount -t tmpfs -o mode=755 tmpfs /run   # containerd 1.6 hard-codes /run/containerd for shims
# node names of the lab resolve to their kubelets' loopback addresses (the API server dials them by name)
mount --bind "$STATE/hosts" /etc/hosts
stat -L -c %i /proc/self/ns/mnt >"$D/mntns"

if [ "$D" = "$STATE" ]; then
  start etcd etcd --name kataio-lab --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "kataio-lab=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --quota-backend-bytes=1073741824
fi

start containerd containerd --config "$D/containerd.toml"

if [ "$D" = "$STATE" ]; then
  start kube-apiserver kube-apiserver --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --insecure-port=0 \
    --tls-cert-file="$K/apiserver.crt" --tls-private-key-file="$K/apiserver.key" --client-ca-file="$K/ca.crt" \
    --token-auth-file="$K/tokens.csv" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --service-account-key-file="$K/sa.pub" --service-account-signing-key-file="$K/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --api-audiences=https://kubernetes.default.svc \
    --service-cluster-ip-range=10.0.0.0/24 \
    --kubelet-client-certificate="$K/kubelet-client.crt" --kubelet-client-key="$K/kubelet-client.key" \
    --kubelet-preferred-address-types=Hostname,InternalIP --allow-privileged=true
fi

# images are imported, never pulled (no registry is reachable, and pods use imagePullPolicy: Never)
for i in $(seq 1 80); do ctr --address "$D/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
for img in pause fio; do
  ctr --address "$D/containerd.sock" -n k8s.io images import --no-unpack=false "$CACHE/images/$img.tar" \
    >>"$L/images.log" 2>&1 || fail "image import $img failed"
done

# the kubelet starts before the API server is ready: its ~5 s cAdvisor start-up overlaps with it.
# kubelet.yaml: lease renewal and status report every 1-2 s, so that a stopped kubelet is noticed in seconds.
start kubelet kubelet --config="$D/kubelet.yaml" --kubeconfig="$D/kubeconfig-node" --hostname-override="$NODE_NAME" \
  --address="$NODE_IP" --port="$KUBELET_PORT" --read-only-port=0 --healthz-port=0 \
  --container-runtime=remote --container-runtime-endpoint="unix://$D/containerd.sock" \
  --image-service-endpoint="unix://$D/containerd.sock" --pod-infra-container-image="$PAUSE_IMAGE" \
  --root-dir="$D/kubelet" --cert-dir="$D/kubelet/pki" --volume-plugin-dir="$D/kubelet/plugins-exec" \
  --fail-swap-on=false --cgroup-driver=cgroupfs --cgroups-per-qos=false --enforce-node-allocatable= \
  --oom-score-adj=0 \
  --make-iptables-util-chains=false --anonymous-auth=false --authorization-mode=Webhook \
  --client-ca-file="$K/ca.crt" ${NODE_LABELS:+--node-labels="$NODE_LABELS"} \
  --containerd="$D/containerd.sock" --node-status-update-frequency=2s \
  --resolv-conf=/etc/resolv.conf --image-gc-high-threshold=100 --eviction-hard= --v=1

if [ "$D" = "$STATE" ]; then
  for i in $(seq 1 200); do
    curl -sf --cacert "$K/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$D/pids/kube-apiserver.pid")" 2>/dev/null || fail "kube-apiserver exited (see $L/kube-apiserver.log)"
    sleep 0.1
  done
  # a node is NotReady NODE_GRACE after its kubelet's last lease renewal (kubelet.yaml: every 1 s)
  start kube-controller-manager kube-controller-manager --kubeconfig="$STATE/kubeconfig" \
    --authentication-kubeconfig="$STATE/kubeconfig" --authorization-kubeconfig="$STATE/kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 --port=0 --leader-elect=false --use-service-account-credentials=false \
    --service-account-private-key-file="$K/sa.key" --root-ca-file="$K/ca.crt" --node-monitor-period=1s \
    --node-monitor-grace-period="$NODE_GRACE" \
    --controllers='*,-csrsigning,-bootstrapsigner,-tokencleaner,-nodeipam,-route,-service,-cloud-node-lifecycle'
  start kube-scheduler kube-scheduler --kubeconfig="$STATE/kubeconfig" \
    --authentication-kubeconfig="$STATE/kubeconfig" --authorization-kubeconfig="$STATE/kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=0 --port=0 --leader-elect=false
fi

touch "$D/started"
# stay as the holder, and as a shell: it reaps the processes it started when they exit (a stopped kubelet
# must not linger as a zombie; PID 1 of this machine kind reaps orphans only every few seconds)
while true; do sleep 3600; done
