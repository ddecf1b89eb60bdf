#!/bin/bash
# Runs inside the lab's private mount namespace (started by run.sh through `unshare --mount`).
# Starts every lab process, records each PID in $STATE/pids, then stays as the namespace holder.
set -euo pipefail
: "${CACHE:?}" "${STATE:?}"
source "$STATE/ports.env"
export PATH="$STATE/bin:$CACHE/bin:/usr/sbin:/usr/bin:/sbin:/bin"
L="$STATE/logs"; PIDS="$STATE/pids"; K="$STATE/pki"
start() { # name logfile cmd...
  local name=$1; shift
  "$@" >"$L/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}
fail() { echo "inside: $*" >&2; echo "$*" >"$STATE/failed"; exit 1; }

# private views of the paths containerd/kubelet/CNI hard-code; the host never sees these mounts
mount --bind "$STATE/varlog" /var/log
mount --bind "$STATE/varlib" /var/lib
mount -t tmpfs -o mode=755 tmpfs /run   # containerd 1.6 hard-codes /run/containerd for shims
echo "$(stat -L -c %i /proc/self/ns/mnt)" >"$STATE/mntns"

start etcd etcd --name kataio-lab --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "kataio-lab=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --quota-backend-bytes=1073741824

start containerd containerd --config "$STATE/containerd.toml"

start kube-apiserver kube-apiserver --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --insecure-port=0 \
  --tls-cert-file="$K/apiserver.crt" --tls-private-key-file="$K/apiserver.key" --client-ca-file="$K/ca.crt" \
  --token-auth-file="$K/tokens.csv" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --service-account-key-file="$K/sa.pub" --service-account-signing-key-file="$K/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc --api-audiences=https://kubernetes.default.svc \
  --service-cluster-ip-range=10.0.0.0/24 \
  --kubelet-client-certificate="$K/kubelet-client.crt" --kubelet-client-key="$K/kubelet-client.key" \
  --kubelet-preferred-address-types=Hostname,InternalIP --allow-privileged=true

# images are imported, never pulled (no registry is reachable, and pods use imagePullPolicy: Never)
for i in $(seq 1 80); do ctr --address "$STATE/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
for img in pause fio; do
  ctr --address "$STATE/containerd.sock" -n k8s.io images import --no-unpack=false "$CACHE/images/$img.tar" \
    >>"$L/images.log" 2>&1 || fail "image import $img failed"
done

# the kubelet starts before the API server is ready: its ~5 s cAdvisor start-up overlaps with it
start kubelet kubelet --kubeconfig="$STATE/kubeconfig-node" --hostname-override="$NODE_NAME" \
  --address=127.0.0.1 --port="$KUBELET_PORT" --read-only-port=0 --healthz-port=0 \
  --container-runtime=remote --container-runtime-endpoint="unix://$STATE/containerd.sock" \
  --image-service-endpoint="unix://$STATE/containerd.sock" --pod-infra-container-image="$PAUSE_IMAGE" \
  --root-dir="$STATE/kubelet" --cert-dir="$STATE/kubelet/pki" --volume-plugin-dir="$STATE/kubelet/plugins-exec" \
  --fail-swap-on=false --cgroup-driver=cgroupfs --cgroups-per-qos=false --enforce-node-allocatable= \
  --oom-score-adj=0 \
  --make-iptables-util-chains=false --anonymous-auth=false --authorization-mode=Webhook \
  --client-ca-file="$K/ca.crt" --node-labels=katacontainers.io/kata-runtime=true \
  --containerd="$STATE/containerd.sock" --node-status-update-frequency=2s \
  --resolv-conf=/etc/resolv.conf --image-gc-high-threshold=100 --eviction-hard= --v=1

for i in $(seq 1 200); do
  curl -sf --cacert "$K/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "$(cat "$PIDS/kube-apiserver.pid")" 2>/dev/null || fail "kube-apiserver exited (see $L/kube-apiserver.log)"
  sleep 0.1
done

start kube-controller-manager kube-controller-manager --kubeconfig="$STATE/kubeconfig" \
  --authentication-kubeconfig="$STATE/kubeconfig" --authorization-kubeconfig="$STATE/kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --port=0 --leader-elect=false --use-service-account-credentials=false \
  --service-account-private-key-file="$K/sa.key" --root-ca-file="$K/ca.crt" --node-monitor-period=1s \
  --controllers='*,-csrsigning,-bootstrapsigner,-tokencleaner,-nodeipam,-route,-service,-cloud-node-lifecycle'
start kube-scheduler kube-scheduler --kubeconfig="$STATE/kubeconfig" \
  --authentication-kubeconfig="$STATE/kubeconfig" --authorization-kubeconfig="$STATE/kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=0 --port=0 --leader-elect=false

touch "$STATE/started"
exec sleep infinity
