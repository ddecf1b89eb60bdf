# shellcheck shell=bash
# up / down / status / env for scripts/k8s-lab (sourced; CACHE, STATE, HERE, ... are set by it).

# containerd's CRI puts every pod container (sandboxes too) in the cgroup /k8s.io/<container id> of each
# hierarchy (the kubelet runs with --cgroups-per-qos=false); `down` removes exactly the lab's ones.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

check_state_path() {
  case "$STATE/" in
    /run/*|/var/run/*|/var/lib/*|/var/log/*) die "KATAIO_LAB_STATE must not be under /run, /var/lib or /var/log (the lab mounts over them privately)";;
  esac
}

holder_alive() { # true when the recorded namespace holder runs and still owns the recorded mount namespace
  local pid
  [ -f "$STATE/pids/holder.pid" ] && [ -f "$STATE/mntns" ] || return 1
  pid=$(cat "$STATE/pids/holder.pid")
  [ "$(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(cat "$STATE/mntns")" ]
}

api_get() { # path -> body (admin token)
  source "$STATE/ports.env"
  curl -sf --max-time 5 --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "https://127.0.0.1:$API_PORT$1"
}

cmd_status() {
  if holder_alive && api_get /readyz >/dev/null 2>&1; then
    source "$STATE/ports.env"
    echo "running state=$STATE kubeconfig=$STATE/kubeconfig api=https://127.0.0.1:$API_PORT holder=$(cat "$STATE/pids/holder.pid")"
    return 0
  fi
  echo "not running (state=$STATE)"
  return 1
}

cmd_env() {
  holder_alive || die "no lab is running (state=$STATE)"
  source "$STATE/ports.env"
  echo "KUBECONFIG=$STATE/kubeconfig"
  echo "KATAIO_LAB_STATE=$STATE"
  echo "KATAIO_LAB_CACHE=$CACHE"
  echo "KATAIO_LAB_API=https://127.0.0.1:$API_PORT"
  echo "KATAIO_LAB_NODE=$NODE_NAME"
  echo "KATAIO_LAB_HAS_GVISOR=$HAS_GVISOR"
  echo "KATAIO_LAB_FIO_IMAGE=$FIO_IMAGE"
  echo "KATAIO_LAB_PAUSE_IMAGE=$PAUSE_IMAGE"
  echo "KATAIO_LAB_NOBODY_KUBECONFIG=$STATE/kubeconfig-nobody"
  echo "KATAIO_LAB_VIEWER_USER=kataio-viewer"
  echo "KATAIO_LAB_VIEWER_KUBECONFIG=$STATE/kubeconfig-viewer"
}

write_kubeconfig() { # file user token
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: kataio-lab
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: kataio-lab
  context:
    cluster: kataio-lab
    user: $2
current-context: kataio-lab
KC
  chmod 600 "$1"
}

make_pki() {
  local K=$STATE/pki
  mkdir -p "$K"; (
  cd "$K"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 7 -subj "/CN=kataio-lab-ca" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1\n' >san.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 7 -extfile san.ext 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout kubelet-client.key -out kubelet-client.csr \
    -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" 2>/dev/null
  openssl x509 -req -in kubelet-client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out kubelet-client.crt -days 7 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 ./*.key )
}

write_configs() {
  local runsc_block=""
  if [ "$HAS_GVISOR" = 1 ]; then
    cat >"$STATE/bin/runsc" <<W
#!/bin/sh
# runsc behind containerd's runc v2 shim: see docs/lab.md (gVisor)
exec python3 "$HERE/lab/runsc_shim.py" "\$@"
W
    chmod +x "$STATE/bin/runsc"
    runsc_block="
    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]
      runtime_type = \"io.containerd.runc.v2\"
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc.options]
        BinaryName = \"$STATE/bin/runsc\"
        Root = \"$STATE/runsc-root\""
  fi
  cat >"$STATE/containerd.toml" <<TOML
version = 2
root = "$STATE/containerd"
state = "$STATE/containerd-state"
[grpc]
  address = "$STATE/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$CACHE/bin/runc"
        Root = "$STATE/runc-root"$runsc_block
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CACHE/cni"
    conf_dir = "$STATE/cni-conf"
TOML
  cat >"$STATE/cni-conf/10-kataio-lab.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "kataio-lab", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": false, "ipMasq": false, "hairpinMode": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"}]], "dataDir": "$STATE/cni-ipam"}},
  {"type": "loopback"}]}
CNI
}

node_ready() { # ready and untainted
  api_get "/api/v1/nodes/$NODE_NAME" 2>/dev/null | python3 2>/dev/null -c '
import json, sys
n = json.load(sys.stdin)
ok = any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))
sys.exit(0 if ok and not n.get("spec", {}).get("taints") else 1)'
}

cmd_up() {
  need_root; check_state_path
  local t0=$EPOCHREALTIME
  [ -f "$CACHE/BUILT" ] || cmd_build
  if holder_alive; then
    echo "k8s-lab: already running" >&2; echo "$STATE/kubeconfig"; return 0
  fi
  [ -d "$STATE" ] && cleanup_state
  mkdir -p "$STATE"/{pids,logs,bin,varlog,varlib,kubelet,cni-conf,cni-ipam,runc-root,runsc-root}
  HAS_GVISOR=0
  if [ -x "$CACHE/bin/runsc" ] && [ "${KATAIO_LAB_GVISOR:-1}" != 0 ]; then HAS_GVISOR=1; fi
  [ -d /sys/fs/cgroup/memory/k8s.io ] || [ -d /sys/fs/cgroup/k8s.io ] || touch "$STATE/k8s.io-cgroup-created"
  make_pki
  local admin node viewer nobody
  admin=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  node=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  viewer=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  nobody=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  {
    echo "$admin,kataio-admin,kataio-admin,system:masters"
    echo "$node,system:node:$NODE_NAME,system:node:$NODE_NAME,system:nodes"
    echo "$viewer,kataio-viewer,kataio-viewer"
    echo "$nobody,kataio-nobody,kataio-nobody"
  } >"$STATE/pki/tokens.csv"
  chmod 600 "$STATE/pki/tokens.csv"
  cat >"$STATE/ports.env" <<EOP
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
KUBELET_PORT=$(free_port)
ADMIN_TOKEN=$admin
HAS_GVISOR=$HAS_GVISOR
NODE_NAME=$NODE_NAME
EOP
  source "$STATE/ports.env"
  write_kubeconfig "$STATE/kubeconfig" kataio-admin "$admin"
  write_kubeconfig "$STATE/kubeconfig-node" "system:node:$NODE_NAME" "$node"
  write_kubeconfig "$STATE/kubeconfig-viewer" kataio-viewer "$viewer"
  write_kubeconfig "$STATE/kubeconfig-nobody" kataio-nobody "$nobody"
  write_configs
  # the namespace holder: a new session (so it survives this shell) in a private mount namespace
  setsid unshare --mount --propagation private "$HERE/lab/inside.sh" </dev/null >"$STATE/logs/inside.log" 2>&1 &
  echo $! >"$STATE/pids/holder.pid"
  local i
  for i in $(seq 1 600); do   # 60 s at most
    [ -f "$STATE/failed" ] && { cat "$STATE/logs/inside.log" >&2; die "up failed: $(cat "$STATE/failed")"; }
    kill -0 "$(cat "$STATE/pids/holder.pid")" 2>/dev/null || { cat "$STATE/logs/inside.log" >&2; die "up failed (see $STATE/logs)"; }
    [ -f "$STATE/started" ] && node_ready && break
    sleep 0.1
  done
  node_ready || die "node $NODE_NAME did not become Ready within 60 s (see $STATE/logs/kubelet.log)"
  printf 'k8s-lab: up in %s s (gvisor=%s)\n' "$(python3 -c "print(round($EPOCHREALTIME - $t0, 1))")" "$HAS_GVISOR" >&2
  echo "$STATE/kubeconfig"
}

lab_pids() { # every process that the lab started: those in its mount namespace, or naming its state dir
  local ns="" p
  [ -f "$STATE/mntns" ] && ns=$(cat "$STATE/mntns")
  local holder=""; [ -f "$STATE/pids/holder.pid" ] && holder=$(cat "$STATE/pids/holder.pid")
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    if [ -n "$ns" ] && [ "$(stat -L -c %i "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ]; then echo "$p"; continue; fi
    if [ -n "$holder" ] && [ "$(awk '{print $6}' "/proc/$p/stat" 2>/dev/null)" = "$holder" ]; then echo "$p"; continue; fi
    if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -e "$STATE/runsc-root" -e "$STATE/runc-root" -e "$STATE/containerd"; then
      echo "$p"; fi
  done
}

stop_pid() { # pid [ticks]
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 "${2:-30}"); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

cleanup_state() {
  local c p left alive
  # 1. the recorded processes, kubelet first so that it does not restart pods
  for c in kube-scheduler kube-controller-manager; do
    [ -f "$STATE/pids/$c.pid" ] && kill "$(cat "$STATE/pids/$c.pid")" 2>/dev/null
  done
  [ -f "$STATE/pids/kubelet.pid" ] && stop_pid "$(cat "$STATE/pids/kubelet.pid")" 20
  # 2. pod sandboxes and containers (their shims and processes were started by the lab's containerd)
  if holder_alive && [ -S "$STATE/containerd.sock" ]; then
    local h; h=$(cat "$STATE/pids/holder.pid")
    nsenter -t "$h" -m "$CACHE/bin/ctr" --address "$STATE/containerd.sock" -n k8s.io containers ls -q \
      >>"$STATE/container-ids" 2>/dev/null || true
    for c in $(nsenter -t "$h" -m "$CACHE/bin/ctr" --address "$STATE/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      timeout 10 nsenter -t "$h" -m "$CACHE/bin/ctr" --address "$STATE/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
  fi
  local pids=() i
  for c in containerd kube-apiserver etcd holder; do   # the rest together: state is throwaway
    [ -f "$STATE/pids/$c.pid" ] || continue
    pids+=("$(cat "$STATE/pids/$c.pid")"); kill "${pids[-1]}" 2>/dev/null || true
  done
  for i in $(seq 1 20); do
    alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # 3. anything left that the lab started (shims, sandboxes): same mount namespace or naming $STATE
  for i in 1 2 3; do
    left=$(lab_pids)
    [ -z "$left" ] && break
    for p in $left; do kill -9 "$p" 2>/dev/null || true; done
    sleep 0.3
  done
  # 4. host-side leftovers: the CNI bridge (and veths), cgroups, mounts
  ip link del "$BRIDGE" 2>/dev/null || true
  if [ -s "$STATE/container-ids" ]; then
    while read -r c; do
      [ -n "$c" ] || continue
      for d in /sys/fs/cgroup/*/k8s.io/"$c" /sys/fs/cgroup/k8s.io/"$c"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
      done
    done <"$STATE/container-ids"
  fi
  if [ -f "$STATE/k8s.io-cgroup-created" ]; then  # only if the lab created it, and only when empty
    for d in /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  fi
  awk -v s="$STATE/" 'index($5 "/", s) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$STATE"
}

cmd_down() {
  need_root; check_state_path
  [ -d "$STATE" ] || { echo "k8s-lab: nothing to stop" >&2; return 0; }
  cleanup_state
  echo "k8s-lab: down" >&2
}
