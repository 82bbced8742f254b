#!/usr/bin/env bash
# Builds etcd and kube-apiserver from the pinned Go modules in test/env/tools/
# into a cache outside the repository, keyed by component version and Go
# version. A cached build is reused; a cold build takes several minutes.
# Prints the directory holding both binaries on its last line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kube_version=$(awk '/^require k8s.io\/kubernetes/ {print $3}' "$here/tools/kube-apiserver/go.mod")
etcd_version=$(awk '/^require go.etcd.io\/etcd\/server\/v3/ {print $3}' "$here/tools/etcd/go.mod")
kube_minor=${kube_version#v1.}
kube_minor=${kube_minor%%.*}
go_version=$(go env GOVERSION)
root="${PRS_MANAGER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prs-manager}"
# The layout number changes when the way the binaries are built changes (2: version ldflags).
bin="$root/control-plane-2-kube-$kube_version-etcd-$etcd_version-$go_version"

export GOMODCACHE="$root/gomod" GOCACHE="$root/gobuild" GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

build() { # <tools dir> <package> <binary name> [go build flags...]
  local tmp
  [ -x "$bin/$3" ] && return 0
  mkdir -p "$bin"
  tmp=$(mktemp -d "$root/build.XXXXXX")
  echo "building $3 (cached afterwards in $bin)" >&2
  (cd "$here/tools/$1" && go build -trimpath "${@:4}" -o "$tmp/$3" "$2")
  mv "$tmp/$3" "$bin/$3"
  rmdir "$tmp"
}

mkdir -p "$root"
build etcd go.etcd.io/etcd/server/v3 etcd
# Without the version stamp the server reports v0.0.0-master, which no chart's kubeVersion
# range (and no client version check) accepts.
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver \
  -ldflags "-X k8s.io/component-base/version.gitVersion=$kube_version \
    -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor"
echo "$bin"
