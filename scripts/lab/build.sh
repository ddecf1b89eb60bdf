#!/bin/bash
# Build the lab's cache from Debian packages only. Called by `scripts/k8s-lab build`.
#   $CACHE/bin     etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
#                  containerd, containerd-shim-runc-v2, ctr, runc, runsc
#   $CACHE/cni     bridge, host-local, loopback (containernetworking-plugins)
#   $CACHE/images  fio.tar and pause.tar (docker-archive tarballs made by mkimage.py)
#   $CACHE/BUILT   stamp written last; its presence means the cache is complete
# Nothing is installed on the host: binary packages are unpacked with dpkg-deb -x, the kubernetes
# source package comes through a private apt configuration whose deb-src lines are derived from
# the machine's own apt sources (scripts/lab/debsrc.py).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${CACHE:?}" "${K8S_VERSION:=1.20.2}" "${K8S_SRC_VERSION:=1.20.5+really1.20.2-1.1+deb12u1}"
: "${FIO_IMAGE:=kataio.local/fio:3.33}" "${PAUSE_IMAGE:=kataio.local/pause:3.2}"
B="$CACHE/build"
T0=$(date +%s)
log() { printf '[k8s-lab build %4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }

FIO=$(command -v fio || true)
[ -n "$FIO" ] || { echo "k8s-lab build: fio is not installed (apt-get install fio)" >&2; exit 2; }
for tool in gcc dpkg-deb apt-get openssl python3; do
  command -v "$tool" >/dev/null || { echo "k8s-lab build: $tool is missing" >&2; exit 2; }
done

rm -rf "$B" "$CACHE/BUILT" "$CACHE/bin" "$CACHE/cni" "$CACHE/images"
mkdir -p "$B"/{debs,root,src,apt/lists/partial,apt/archives/partial,apt/etc/sources.list.d,apt/etc/preferences.d} \
         "$CACHE"/{bin,cni,images}

# ---- 1. binary packages, unpacked ----------------------------------------------------------
log "downloading binary packages"
apt-cache show etcd-server >/dev/null 2>&1 || apt-get -q update >/dev/null   # a fresh machine has no lists yet
PKGS="etcd-server containerd runc containernetworking-plugins golang-1.19-go golang-1.19-src golang-github-modern-go-reflect2-dev"
# gVisor: Debian names the package runsc (older/newer releases may call it gvisor)
if apt-cache show runsc >/dev/null 2>&1; then PKGS="$PKGS runsc"
elif apt-cache show gvisor >/dev/null 2>&1; then PKGS="$PKGS gvisor"; fi
(cd "$B/debs" && apt-get download -q $PKGS 2>&1 | grep -v -e unsandboxed -e '^Get:' >&2 || true)
for d in "$B"/debs/*.deb; do dpkg-deb -x "$d" "$B/root"; done
cp "$B/root/usr/bin/etcd" "$CACHE/bin/"
for f in containerd containerd-shim-runc-v2 ctr; do cp "$B/root/usr/bin/$f" "$CACHE/bin/"; done
cp "$B/root/usr/sbin/runc" "$CACHE/bin/" 2>/dev/null || cp "$B/root/usr/bin/runc" "$CACHE/bin/"
R=$(ls "$B"/root/usr/{s,}bin/runsc 2>/dev/null | head -1 || true)
[ -n "$R" ] && cp "$R" "$CACHE/bin/runsc"
for p in bridge host-local loopback; do cp "$B/root/usr/lib/cni/$p" "$CACHE/cni/"; done

# ---- 2. kubernetes source package through a private apt configuration ---------------------------
log "fetching the kubernetes source package $K8S_SRC_VERSION"
python3 "$HERE/debsrc.py" > "$B/apt/etc/sources.list"
cat > "$B/apt/apt.conf" <<AC
Dir::Etc::SourceList "$B/apt/etc/sources.list";
Dir::Etc::SourceParts "$B/apt/etc/sources.list.d";
Dir::Etc::PreferencesParts "$B/apt/etc/preferences.d";
Dir::State::Lists "$B/apt/lists";
Dir::Cache "$B/apt";
Dir::Cache::archives "$B/apt/archives";
APT::Sandbox::User "root";
AC
APT_CONFIG="$B/apt/apt.conf" apt-get -q update >/dev/null
(cd "$B/src" && { APT_CONFIG="$B/apt/apt.conf" apt-get source --download-only -q "kubernetes=$K8S_SRC_VERSION" \
   || APT_CONFIG="$B/apt/apt.conf" apt-get source --download-only -q kubernetes; } >/dev/null)
ORIG=$(ls "$B"/src/kubernetes_*really"$K8S_VERSION".orig.tar.* "$B"/src/kubernetes_"$K8S_VERSION".orig.tar.* 2>/dev/null | head -1 || true)
[ -n "$ORIG" ] || { echo "k8s-lab build: no orig tarball for kubernetes $K8S_VERSION in $B/src" >&2; ls "$B/src" >&2; exit 3; }
tar -C "$B/src" -xf "$ORIG"
SRC=$(find "$B/src" -maxdepth 1 -type d -name "kubernetes-*" | head -1)

# ---- 3. build the four components (GOPATH mode, like upstream 1.20's hack/lib/golang.sh) --------
export GOROOT="$B/root/usr/lib/go-1.19" PATH="$B/root/usr/lib/go-1.19/bin:$PATH"
export GOPATH="$B/gopath" GOCACHE="$B/gocache" GOTMPDIR="$B/gotmp" GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
mkdir -p "$GOPATH/src/k8s.io" "$GOTMPDIR"
ln -sfn "$SRC" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"
# (a) vendored modern-go/reflect2 1.0.1 breaks on Go >= 1.18: use Debian's 1.0.2 sources
rm -f vendor/github.com/modern-go/reflect2/*.go
cp "$B"/root/usr/share/gocode/src/github.com/modern-go/reflect2/*.go vendor/github.com/modern-go/reflect2/
# (b) kubelet on this machine kind: negative oom_score_adj is refused, and the lab must never change
#     host sysctls (warn instead of modifying them)
patch_line() { # file old new
  grep -qxF "$2" "$1" || { echo "k8s-lab build: patch anchor not found in $1: $2" >&2; exit 4; }
  python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read().split("\n")
open(path, "w").write("\n".join(new if l == old else l for l in text))
PY
}
patch_line pkg/kubelet/cm/container_manager_linux.go $'\tb := KernelTunableModify' $'\tb := KernelTunableWarn'
patch_line pkg/kubelet/dockershim/docker_sandbox.go $'\tdefaultSandboxOOMAdj int = -998' $'\tdefaultSandboxOOMAdj int = 0'
patch_line pkg/kubelet/qos/policy.go $'\t\treturn guaranteedOOMScoreAdj' $'\t\treturn 0'
# (c) the release tarball lacks pkg/generated/openapi/zz_generated.openapi.go: generate it as `make` does
log "generating openapi definitions"
go build -o "$B/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
DIRS=$(find -H . \( -path './_*' -o -path './.*' -o -path ./vendor \) -prune -o -type f -name '*.go' -print \
   | sed 's|^./staging/src|vendor|; s|^./||' | xargs grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' \
   | xargs -n1 dirname | grep -vE '^vendor/k8s.io/(code-generator|sample-apiserver)/' | LC_ALL=C sort -u \
   | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
"$B/openapi-gen" -i "$DIRS" -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
   -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r "$B/openapi-violations.report" 2>/dev/null
# (d) version stamps as hack/lib/version.sh sets them (client-go's is what /version serves)
LD="-s -w"
for v in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  LD="$LD -X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=${K8S_VERSION%%.*} -X $v.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2)"
  LD="$LD -X $v.gitTreeState=clean -X $v.buildDate=2021-01-13T00:00:00Z"
done
log "compiling kube-apiserver kube-controller-manager kube-scheduler kubelet"
go build -p "$(nproc)" -trimpath -ldflags "$LD" -o "$CACHE/bin/" \
   ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler ./cmd/kubelet

# ---- 4. images, without Docker and without any registry -----------------------------------------
log "building images $PAUSE_IMAGE and $FIO_IMAGE"
P="$B/img/pause"; F="$B/img/fio"
mkdir -p "$P" "$F"/{usr/bin,bin,tmp,data}
gcc -Os -static -DVERSION=v3.2-kataio -o "$P/pause" "$SRC/build/pause/linux/pause.c"
cp "$FIO" "$F/usr/bin/fio"; ln -s ../usr/bin/fio "$F/bin/fio"
cp "$(readlink -f /bin/sh)" "$F/bin/sh"
for bin in "$FIO" "$(readlink -f /bin/sh)"; do
  for l in $(ldd "$bin" | grep -oE '/[^ ]+'); do mkdir -p "$F$(dirname "$l")"; cp -L "$l" "$F$l"; done
done
chmod 1777 "$F/tmp"
python3 "$HERE/mkimage.py" "$P" "$PAUSE_IMAGE" "$CACHE/images/pause.tar" --entrypoint '["/pause"]' >&2
python3 "$HERE/mkimage.py" "$F" "$FIO_IMAGE" "$CACHE/images/fio.tar" --cmd '["/usr/bin/fio","--version"]' >&2

# ---- 5. stamp, and drop the build tree (about 2.5 GB) unless asked to keep it --------------------
"$CACHE/bin/kube-apiserver" --version >&2
{
  echo "kubernetes=v$K8S_VERSION (source $K8S_SRC_VERSION)"
  echo "fio_image=$FIO_IMAGE"; echo "pause_image=$PAUSE_IMAGE"
  echo "fio=$("$FIO" --version)"
  for p in $PKGS; do echo "$p=$(dpkg-deb -f "$(ls "$B"/debs/${p}_*.deb | head -1)" Version)"; done
  echo "built=$(date -u +%FT%TZ) seconds=$(( $(date +%s) - T0 ))"
} > "$CACHE/BUILT.tmp"
cd /
[ "${KATAIO_LAB_KEEP_BUILD:-0}" = 1 ] || rm -rf "$B"
mv "$CACHE/BUILT.tmp" "$CACHE/BUILT"
log "done: $CACHE"
