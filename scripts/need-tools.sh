#!/bin/sh
# Usage: need-tools.sh clang|valgrind...  Makes sure the hardening scripts' tools are here; as
# root it installs what is missing from Debian's packages, otherwise it says what to install.
#   clang     clang++ and cmake, and clang's sanitizer and libFuzzer runtimes, which Debian 12
#             packages apart (libclang-rt-N-dev for clang's version N)
#   valgrind  valgrind
#   aarch64-linux-gnu-g++  the arm64 cross compiler (g++-aarch64-linux-gnu), for prebuilds
#   qemu-aarch64  the arm64 emulator (qemu-user), to run an arm64 prebuild
set -eu
runtime="libclang_rt.fuzzer-$(uname -m).a"
ready() {
  case "$1" in
    clang) command -v cmake >/dev/null && command -v clang++ >/dev/null &&
      [ -f "$(clang++ -print-file-name="$runtime")" ] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}
apt() {
  [ -n "${updated:-}" ] || apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
for tool in "$@"; do
  ready "$tool" && continue
  if [ "$(id -u)" != 0 ]; then
    echo "need-tools: $tool is missing (for clang: cmake, clang and libclang-rt-<N>-dev)" >&2
    exit 1
  fi
  case "$tool" in
    clang) apt cmake clang
      ready clang || apt "libclang-rt-$(clang++ -dumpversion | cut -d. -f1)-dev" ;;
    aarch64-linux-gnu-g++) apt g++-aarch64-linux-gnu ;;
    qemu-aarch64) apt qemu-user ;;
    *) apt "$tool" ;;
  esac
  ready "$tool"
done
