#!/usr/bin/env bash
# Build the test-bed binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok,
# and an older kube-apiserver + kube-scheduler)
# from the Go module proxy into a cache folder outside the repository. Builds only what is missing.
#
#   CNIMGR_TESTBED_CACHE   cache root (default: ~/.cache/cnimgr-testbed)
#   K8S_VERSION            Kubernetes release to build (default: v1.36.3)
#   ETCD_VERSION           etcd release (default: v3.6.16)
#   KWOK_VERSION           kwok release (default: v0.8.0)
#   OLD_K8S_VERSION        the older API server + scheduler (default: v1.30.14)
#
# Prints the bin directory on the last line of stdout.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
# A real older API server (and its scheduler) lets version checks be tested against a cluster that is "too old".
# Not a re-stamped 1.36 binary: since 1.31 the API server refuses to start when its version stamp is below its
# emulation floor ("emulation version 1.29 is not between [1.31, 1.29.0]"), so an old stamp needs old code.
# v1.30.14 is the newest 1.30 the proxy serves; 1.29.x needs k8s.io/legacy-cloud-providers, which it does not.
OLD_K8S_VERSION="${OLD_K8S_VERSION:-v1.30.14}"
CACHE="${CNIMGR_TESTBED_CACHE:-$HOME/.cache/cnimgr-testbed}"
BIN="$CACHE/bin/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
WORK="$CACHE/src"
export GOMODCACHE="${GOMODCACHE:-$CACHE/gomod}"
export GOCACHE="${GOCACHE:-$CACHE/gocache}"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
mkdir -p "$BIN" "$WORK"

log() { printf '[testbed-build] %s\n' "$*" >&2; }
command -v go >/dev/null || { log "go is not installed (apt-get install golang-go, or a Go >= 1.26 toolchain)"; exit 1; }

SUMMARY=()
timed() {  # timed LABEL CMD...
  local label="$1"; shift; local t0=$SECONDS
  "$@"
  SUMMARY+=("$label: built in $((SECONDS - t0))s")
}

staging_version() { echo "v0.${K8S_VERSION#v1.}"; }

ldflags_for() {  # ldflags_for VERSION
  local v="$1" minor; minor="$(echo "$v" | cut -d. -f2)"
  local d; d="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local f="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f="$f -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$d"
  done
  echo "$f"
}

build_kubernetes() {
  local mod="$WORK/k8s-$K8S_VERSION" s; s="$(staging_version)"
  mkdir -p "$mod"; cd "$mod"
  if [ ! -f go.mod ]; then
    go mod init cnimgr.invalid/k8sbins >/dev/null 2>&1
    local gomod; gomod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')"
    grep '^godebug' "$gomod" >> go.mod || true
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod"); do
      go mod edit -replace="$m=$m@$s"
    done
    go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    go mod tidy -e >&2
  fi
  go build -p 2 -trimpath -ldflags "$(ldflags_for "$K8S_VERSION")" -o "$BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

build_old_kubernetes() {
  # Its own wrapper module: the staging modules must match the old release.
  local mod="$WORK/k8s-$OLD_K8S_VERSION" s="v0.${OLD_K8S_VERSION#v1.}"
  mkdir -p "$mod"; cd "$mod"
  if [ ! -f go.mod ]; then
    go mod init cnimgr.invalid/oldk8sbins >/dev/null 2>&1
    local gomod; gomod="$(go mod download -json "k8s.io/kubernetes@$OLD_K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')"
    grep '^godebug' "$gomod" >> go.mod || true
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod"); do
      go mod edit -replace="$m=$m@$s"
    done
    go mod edit -require="k8s.io/kubernetes@$OLD_K8S_VERSION"
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
    go mod tidy -e >&2
  fi
  local ldf; ldf="$(ldflags_for "$OLD_K8S_VERSION")"
  go build -p 2 -trimpath -ldflags "$ldf" -o "$BIN/kube-apiserver-$OLD_K8S_VERSION" k8s.io/kubernetes/cmd/kube-apiserver
  go build -p 2 -trimpath -ldflags "$ldf" -o "$BIN/kube-scheduler-$OLD_K8S_VERSION" k8s.io/kubernetes/cmd/kube-scheduler
}

build_etcd() {
  local mod="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$mod"; cd "$mod"
  if [ ! -f go.mod ]; then
    go mod init cnimgr.invalid/etcdbin >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
  fi
  go build -p 2 -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

has_version() {  # has_version FILE EXPECTED_SUBSTRING ARGS...
  local f="$1" want="$2"; shift 2
  # Capture first: with pipefail, `cmd | grep -q` fails when grep exits early and cmd gets SIGPIPE
  # (kubectl prints a second line), which made every run rebuild Kubernetes.
  local out
  [ -x "$f" ] && out="$("$f" "$@" 2>/dev/null)" && grep -q -- "$want" <<<"$out"
}

T0=$SECONDS
has_version "$BIN/kube-apiserver" "$K8S_VERSION" --version && has_version "$BIN/kubectl" "$K8S_VERSION" version --client \
  && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/kube-scheduler" ] \
  || timed "kubernetes $K8S_VERSION (apiserver, controller-manager, scheduler, kubectl)" build_kubernetes
has_version "$BIN/kube-apiserver-$OLD_K8S_VERSION" "$OLD_K8S_VERSION" --version \
  && has_version "$BIN/kube-scheduler-$OLD_K8S_VERSION" "$OLD_K8S_VERSION" --version \
  || timed "kubernetes $OLD_K8S_VERSION (apiserver, scheduler)" build_old_kubernetes
has_version "$BIN/etcd" "${ETCD_VERSION#v}" --version || timed "etcd $ETCD_VERSION" build_etcd
has_version "$BIN/kwok" "${KWOK_VERSION}" --version || timed "kwok $KWOK_VERSION" build_kwok

if [ ${#SUMMARY[@]} -eq 0 ]; then
  log "all binaries present in $BIN (nothing built)"
else
  for line in "${SUMMARY[@]}"; do log "$line"; done
  log "total build time: $((SECONDS - T0))s"
fi
ls -l "$BIN" >&2
echo "$BIN"
