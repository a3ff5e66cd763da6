#!/bin/sh
# Usage: arm64-node.sh [DIR]  Unpacks Debian's arm64 node (with the arm64 libraries it needs) into
# DIR (default build-qemu/arm64-root), so that `qemu-aarch64 -L DIR DIR/usr/bin/node` runs the
# arm64 prebuild. Needs root and the network (apt-get); installs nothing: the packages are only
# unpacked (dpkg -x). qemu-user itself comes through need-tools.sh.
set -eu
dir="${1:-build-qemu/arm64-root}"
sh "$(dirname "$0")/need-tools.sh" qemu-aarch64
[ -x "$dir/usr/bin/node" ] && exit 0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
apt-get update -qq
debs="$(mktemp -d)"
trap 'rm -rf "$debs"' EXIT
# nodejs and libnode's dependencies (apt-cache depends libnode108:arm64), and the builtins Debian's
# node loads from /usr/share/nodejs.
(cd "$debs" && apt-get download -qq nodejs:arm64 libnode108:arm64 libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 \
  libbrotli1:arm64 libc-ares2:arm64 libicu72:arm64 libnghttp2-14:arm64 libssl3:arm64 libuv1:arm64 zlib1g:arm64 \
  node-cjs-module-lexer node-acorn node-undici 2>/dev/null)
mkdir -p "$dir"
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir"; done
qemu-aarch64 -L "$dir" "$dir/usr/bin/node" -p '`arm64 node ${process.version} (N-API ${process.versions.napi}) in '"$dir"'`'
