#!/bin/sh
# Makes sure clang, its sanitizer and libFuzzer runtimes, and cmake are here. As root it installs
# what is missing from Debian's packages (clang, then libclang-rt-N-dev for clang's version N,
# which Debian 12 packages apart); otherwise it says what to install.
set -eu
runtime="libclang_rt.fuzzer-$(uname -m).a"
ready() {
  command -v cmake >/dev/null && command -v clang++ >/dev/null &&
    [ -f "$(clang++ -print-file-name="$runtime")" ]
}
ready && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "need-clang: install cmake, clang and libclang-rt-<N>-dev (or run as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq cmake clang >/dev/null
ready || apt-get install -y -qq "libclang-rt-$(clang++ -dumpversion | cut -d. -f1)-dev" >/dev/null
ready
