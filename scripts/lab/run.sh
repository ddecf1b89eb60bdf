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

holder_alive() { # [node_dir]: true when its namespace holder runs and still owns the recorded mount namespace
  local pid d=${1:-$STATE}
  [ -f "$d/pids/holder.pid" ] && [ -f "$d/mntns" ] || return 1
  pid=$(cat "$d/pids/holder.pid")
  [ "$(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(cat "$d/mntns")" ]
}

api_get() { # path -> body (admin token)
  source "$STATE/ports.env"
  curl -sf --max-time 5 --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "https://127.0.0.1:$API_PORT$1"
}

cmd_status() {
  if holder_alive && api_get /readyz >/dev/null 2>&1; then
    source "$STATE/ports.env"
    echo "running state=$STATE kubeconfig=$STATE/kubeconfig api=https://127.0.0.1:$API_PORT holder=$(cat "$STATE/pids/holder.pid") nodes=${NODES:-1}"
    return 0
  fi
  echo "not running (state=$STATE)"
  exit 1
}

cmd_env() {
  holder_alive || die "no lab is running (state=$STATE)"
  local NODES=""
  source "$STATE/ports.env"
  [ -n "$NODES" ] || NODE_GRACE=40s   # a lab started by an older k8s-lab: one node, the default grace
  echo "KUBECONFIG=$STATE/kubeconfig"
  echo "KATAIO_LAB_STATE=$STATE"
  echo "KATAIO_LAB_CACHE=$CACHE"
  echo "KATAIO_LAB_API=https://127.0.0.1:$API_PORT"
  echo "KATAIO_LAB_NODE=$NODE_NAME"
  NODE_NAMES=${NODE_NAMES:-$NODE_NAME}
  echo "KATAIO_LAB_NODES=${NODE_NAMES// /,}"
  echo "KATAIO_LAB_NODE_DIRS=$(node_dirs | paste -sd,)"
  KATA_NODES=${KATA_NODES:-$NODE_NAME}
  echo "KATAIO_LAB_KATA_NODES=${KATA_NODES// /,}"
  echo "KATAIO_LAB_NODE_GRACE=$NODE_GRACE"
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

write_configs() { # node_dir index: containerd.toml, CNI config, kubelet.yaml of one node
  local d=$1 i=$2 runsc_block="" range=""
  if [ "$HAS_GVISOR" = 1 ]; then
    runsc_block="
    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]
      runtime_type = \"io.containerd.runc.v2\"
      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc.options]
        BinaryName = \"$STATE/bin/runsc\"
        Root = \"$d/runsc-root\""
  fi
  cat >"$d/containerd.toml" <<TOML
version = 2
root = "$d/containerd"
state = "$d/containerd-state"
[grpc]
  address = "$d/containerd.sock"
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
        Root = "$d/runc-root"$runsc_block
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CACHE/cni"
    conf_dir = "$d/cni-conf"
TOML
  # all nodes share one bridge; with several nodes each one's host-local IPAM gets its own slice of the subnet
  [ "$NODES" -gt 1 ] && range=$(python3 - "$POD_SUBNET" "$NODES" "$i" <<'PY'
import ipaddress, sys
hosts = list(ipaddress.ip_network(sys.argv[1]).hosts())
n, i = int(sys.argv[2]), int(sys.argv[3])
part = hosts[(i - 1) * (len(hosts) // n):i * (len(hosts) // n)]
print(f', "rangeStart": "{part[0]}", "rangeEnd": "{part[-1]}"')
PY
)
  cat >"$d/cni-conf/10-kataio-lab.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "kataio-lab", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": false, "ipMasq": false, "hairpinMode": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"$range}]], "dataDir": "$d/cni-ipam"}},
  {"type": "loopback"}]}
CNI
  # the lease is the kubelet's heartbeat: renewed every 1 s (a quarter of its duration), NODE_GRACE in
  # the controller-manager turns a stopped kubelet into a NotReady node within seconds
  cat >"$d/kubelet.yaml" <<KY
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
nodeLeaseDurationSeconds: 4
KY
}

node_dir() { if [ "$1" = 1 ]; then echo "$STATE"; else echo "$STATE/node$1"; fi; }
node_name() { if [ "$1" = 1 ]; then echo localhost; else echo "lab-node$1"; fi; }
node_dirs() { # every node directory present (down works from what exists, whatever ports.env says)
  local d; echo "$STATE"
  for d in "$STATE"/node[0-9]*; do [ -d "$d/pids" ] && echo "$d"; done; true
}

node_ready() { # name: Ready and untainted
  api_get "/api/v1/nodes/$1" 2>/dev/null | python3 2>/dev/null -c '
import json, sys
n = json.load(sys.stdin)
ok = any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))
sys.exit(0 if ok and not n.get("spec", {}).get("taints") else 1)'
}

all_ready() { local n; for n in $NODE_NAMES; do node_ready "$n" || return 1; done; }

new_token() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }

parse_args() { # "allowed options" args... -> OPT_NODES, OPT_NODE (numbers, default 1), OPT_KILL, ARGS
  local allowed=" $1 " o; shift
  OPT_NODES=1 OPT_NODE=1 OPT_KILL=0 ARGS=()
  while [ $# -gt 0 ]; do
    o=${1%%=*}
    case "$1" in -*) [[ $allowed == *" $o "* ]] || die "unknown option $1 (allowed:$allowed)";; esac
    case "$1" in
      --kill) OPT_KILL=1; shift;;
      --nodes=*|--node=*) set -- "$o" "${1#*=}" "${@:2}";;
      --nodes|--node)
        case "${2:-}" in [1-4]) ;; *) die "$1 must be a number from 1 to 4 (got '${2:-}')";; esac
        if [ "$1" = --nodes ]; then OPT_NODES=$2; else OPT_NODE=$2; fi; shift 2;;
      *) ARGS+=("$1"); shift;;
    esac
  done
}

cmd_up() {
  need_root; check_state_path
  parse_args "--nodes" "$@"
  [ ${#ARGS[@]} = 0 ] || die "up: unexpected argument ${ARGS[0]} (usage: up [--nodes N])"
  local t0=$EPOCHREALTIME nodes=$OPT_NODES
  [ -f "$CACHE/BUILT" ] || cmd_build
  if holder_alive; then
    source "$STATE/ports.env"
    [ "${NODES:-1}" = "$nodes" ] || die "a lab with ${NODES:-1} node(s) is already running at $STATE (down first)"
    echo "k8s-lab: already running" >&2; echo "$STATE/kubeconfig"; return 0
  fi
  [ -d "$STATE" ] && cleanup_state
  mkdir -p "$STATE"/{pids,logs,bin,pki}
  HAS_GVISOR=0
  if [ -x "$CACHE/bin/runsc" ] && [ "${KATAIO_LAB_GVISOR:-1}" != 0 ]; then HAS_GVISOR=1; fi
  [ -d /sys/fs/cgroup/memory/k8s.io ] || [ -d /sys/fs/cgroup/k8s.io ] || touch "$STATE/k8s.io-cgroup-created"
  make_pki
  local admin viewer nobody i d name names="" tokens
  admin=$(new_token); viewer=$(new_token); nobody=$(new_token)
  tokens="$admin,kataio-admin,kataio-admin,system:masters
$viewer,kataio-viewer,kataio-viewer
$nobody,kataio-nobody,kataio-nobody"
  for i in $(seq 1 "$nodes"); do names="$names${names:+ }$(node_name "$i")"; done
  cat >"$STATE/ports.env" <<EOP
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
ADMIN_TOKEN=$admin
HAS_GVISOR=$HAS_GVISOR
NODE_NAME=$NODE_NAME
NODES=$nodes
NODE_NAMES="$names"
KATA_NODES="$NODE_NAME"
NODE_GRACE=$NODE_GRACE
EOP
  source "$STATE/ports.env"
  { cat /etc/hosts; echo "# kataio lab nodes"; } >"$STATE/hosts"
  if [ "$HAS_GVISOR" = 1 ]; then
    cat >"$STATE/bin/runsc" <<W
#!/bin/sh
# runsc behind containerd's runc v2 shim: see docs/lab.md (gVisor)
exec python3 "$HERE/lab/runsc_shim.py" "\$@"
W
    chmod +x "$STATE/bin/runsc"
  fi
  for i in $(seq 1 "$nodes"); do   # node 1 lives in $STATE itself (as a one-node lab always did)
    d=$(node_dir "$i"); name=$(node_name "$i")
    mkdir -p "$d"/{pids,logs,varlog,varlib,kubelet,cni-conf,cni-ipam,runc-root,runsc-root}
    local tok; tok=$(new_token)
    tokens="$tokens
$tok,system:node:$name,system:node:$name,system:nodes"
    write_kubeconfig "$d/kubeconfig-node" "system:node:$name" "$tok"
    # only node 1 is Kata-capable, as kata-deploy labels only the nodes it installed Kata on
    cat >"$d/node.env" <<EON
NODE_NAME=$name
NODE_IP=127.0.0.$i
KUBELET_PORT=$(free_port)
NODE_LABELS=$([ "$i" = 1 ] && echo katacontainers.io/kata-runtime=true)
EON
    echo "127.0.0.$i $name" >>"$STATE/hosts"
    write_configs "$d" "$i"
  done
  echo "$tokens" >"$STATE/pki/tokens.csv"
  chmod 600 "$STATE/pki/tokens.csv"
  write_kubeconfig "$STATE/kubeconfig" kataio-admin "$admin"
  write_kubeconfig "$STATE/kubeconfig-viewer" kataio-viewer "$viewer"
  write_kubeconfig "$STATE/kubeconfig-nobody" kataio-nobody "$nobody"
  # one namespace holder per node: a new session (so it survives this shell) in a private mount namespace
  for i in $(seq 1 "$nodes"); do
    d=$(node_dir "$i")
    setsid unshare --mount --propagation private "$HERE/lab/inside.sh" "$d" </dev/null >"$d/logs/inside.log" 2>&1 &
    echo $! >"$d/pids/holder.pid"
  done
  local n up_ok=0
  for n in $(seq 1 600); do   # 60 s at most
    for i in $(seq 1 "$nodes"); do
      d=$(node_dir "$i")
      [ -f "$d/failed" ] && { cat "$d/logs/inside.log" >&2; die "up failed (node $i): $(cat "$d/failed")"; }
      kill -0 "$(cat "$d/pids/holder.pid")" 2>/dev/null || { cat "$d/logs/inside.log" >&2; die "up failed (node $i, see $d/logs)"; }
    done
    if [ -f "$STATE/started" ] && all_ready; then up_ok=1; break; fi
    sleep 0.1
  done
  [ $up_ok = 1 ] || die "nodes $NODE_NAMES not all Ready within 60 s (see the kubelet.log of $(node_dirs | paste -sd' '))"
  printf 'k8s-lab: up in %s s (nodes=%s gvisor=%s)\n' "$(python3 -c "print(round($EPOCHREALTIME - $t0, 1))")" "$nodes" "$HAS_GVISOR" >&2
  echo "$STATE/kubeconfig"
}

lab_pids() { # every process the lab started: in one of its mount namespaces or sessions, or naming a node's dirs
  local p d nss=() holders=() pats=()
  for d in $(node_dirs); do
    [ -f "$d/mntns" ] && nss+=("$(cat "$d/mntns")")
    [ -f "$d/pids/holder.pid" ] && holders+=("$(cat "$d/pids/holder.pid")")
    pats+=(-e "$d/runsc-root" -e "$d/runc-root" -e "$d/containerd")
  done
  local ns_re=" ${nss[*]} " sid_re=" ${holders[*]} "
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    if [ ${#nss[@]} -gt 0 ] && [[ $ns_re == *" $(stat -L -c %i "/proc/$p/ns/mnt" 2>/dev/null) "* ]]; then echo "$p"; continue; fi
    if [ ${#holders[@]} -gt 0 ] && [[ $sid_re == *" $(awk '{print $6}' "/proc/$p/stat" 2>/dev/null) "* ]]; then echo "$p"; continue; fi
    if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF "${pats[@]}"; then echo "$p"; fi
  done
}

pid_alive() { # a zombie is gone for us (orphans are reaped late here)
  kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

stop_pid() { # pid [ticks]
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 "${2:-30}"); do pid_alive "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

recorded_pid() { # node_dir name -> the recorded PID (nothing if none)
  [ -f "$1/pids/$2.pid" ] && cat "$1/pids/$2.pid"; true
}

cleanup_state() {
  local c d p left alive h dirs
  dirs=$(node_dirs)
  # 1. the recorded processes, kubelets first so that they do not restart pods
  for c in kube-scheduler kube-controller-manager; do
    p=$(recorded_pid "$STATE" "$c"); [ -n "$p" ] && { kill "$p" 2>/dev/null || true; }
  done
  local kubelets=()
  for d in $dirs; do p=$(recorded_pid "$d" kubelet); [ -n "$p" ] && kubelets+=("$p") && { kill "$p" 2>/dev/null || true; }; done
  for p in "${kubelets[@]}"; do stop_pid "$p" 20; done
  # 2. pod sandboxes and containers (their shims and processes were started by the nodes' containerd)
  for d in $dirs; do
    holder_alive "$d" && [ -S "$d/containerd.sock" ] || continue
    h=$(cat "$d/pids/holder.pid")
    nsenter -t "$h" -m "$CACHE/bin/ctr" --address "$d/containerd.sock" -n k8s.io containers ls -q \
      >>"$STATE/container-ids" 2>/dev/null || true
    for c in $(nsenter -t "$h" -m "$CACHE/bin/ctr" --address "$d/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
      timeout 10 nsenter -t "$h" -m "$CACHE/bin/ctr" --address "$d/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
  done
  local pids=() i
  for d in $dirs; do   # the rest together: state is throwaway
    for c in containerd kube-apiserver etcd holder; do
      p=$(recorded_pid "$d" "$c"); [ -n "$p" ] || continue
      pids+=("$p"); kill "$p" 2>/dev/null || true
    done
  done
  for i in $(seq 1 20); do
    alive=0; for p in "${pids[@]}"; do pid_alive "$p" && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # 3. anything left that the lab started (shims, sandboxes): same mount namespace or naming a node's dirs
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
        [ -d "$d" ] && { find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true; }
      done
    done <"$STATE/container-ids"
  fi
  if [ -f "$STATE/k8s.io-cgroup-created" ]; then  # only if the lab created it, and only when empty
    for d in /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io; do [ -d "$d" ] && { rmdir "$d" 2>/dev/null || true; }; done
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

# stop / start one recorded process, for tests that produce node and API faults for real
component_args() { # "allowed options" NAME [--node N] -> sets COMP, COMP_DIR, COMP_NODE (and OPT_*)
  parse_args "$@"
  [ ${#ARGS[@]} = 1 ] || die "usage: stop|start NAME [--node N] (NAME: kubelet, containerd, kube-apiserver, ...)"
  COMP=${ARGS[0]}; COMP_NODE=$OPT_NODE
  holder_alive || die "no lab is running (state=$STATE)"
  COMP_DIR=$(node_dir "$COMP_NODE")
  [ -x "$COMP_DIR/cmd/$COMP.sh" ] || die "no recorded process '$COMP' on node $COMP_NODE (state=$STATE)"
  holder_alive "$COMP_DIR" || die "node $COMP_NODE's namespace holder is gone (state=$STATE)"
}

component_alive() { # true when the recorded PID is alive, in its node's mount namespace, and runs that program
  local pid; pid=$(recorded_pid "$COMP_DIR" "$COMP")
  [ -n "$pid" ] && pid_alive "$pid" && [ "$(stat -L -c %i "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(cat "$COMP_DIR/mntns")" ] &&
    [ "$(basename "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -1)")" = "$COMP" ]
}

cmd_stop() { # NAME [--node N] [--kill]: SIGTERM (SIGKILL with --kill) to the recorded PID, wait until it is gone
  component_args "--node --kill" "$@"
  local sig=TERM; [ "$OPT_KILL" = 1 ] && sig=KILL
  component_alive || { echo "k8s-lab: $COMP (node $COMP_NODE) is not running" >&2; return 0; }
  local pid i; pid=$(recorded_pid "$COMP_DIR" "$COMP")
  kill -s "$sig" "$pid" 2>/dev/null || true   # it may have exited since
  for i in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.05; done   # 2.5 s, then SIGKILL
  pid_alive "$pid" && { kill -9 "$pid" 2>/dev/null || true; sleep 0.2; }
  echo "k8s-lab: stopped $COMP (node $COMP_NODE, pid $pid, SIG$sig)" >&2
}

cmd_start() { # NAME [--node N]: run the recorded command again in its node's mount namespace
  component_args "--node" "$@"
  component_alive && die "$COMP (node $COMP_NODE) is already running (pid $(recorded_pid "$COMP_DIR" "$COMP"))"
  source "$HERE/lab/component.sh"
  run_component "$COMP_DIR" "$COMP" nsenter -t "$(cat "$COMP_DIR/pids/holder.pid")" -m -- setsid || die "start $COMP failed"
  if [ "$COMP" = kube-apiserver ]; then
    local i
    for i in $(seq 1 300); do api_get /readyz >/dev/null 2>&1 && break; component_alive || break; sleep 0.1; done
    api_get /readyz >/dev/null 2>&1 || die "kube-apiserver did not become ready (see $COMP_DIR/logs/$COMP.log)"
  fi
  echo "k8s-lab: started $COMP (node $COMP_NODE, pid $(recorded_pid "$COMP_DIR" "$COMP"))" >&2
}
