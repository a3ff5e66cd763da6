#!/bin/sh
# Runs a command against the sanitized addon (`npm run build:asan`) instead of build/Release:
# SOCKSCOPE_BINDING points the loader at it, and clang's ASan runtime (which carries UBSan's) is
# preloaded because node itself is not instrumented. Leak checking is off for node, which never
# frees some of V8's memory at exit; the fuzzers (LSan) and `npm run test:leak` (valgrind) check
# sockscope's own allocations instead.
set -eu
cd "$(dirname "$0")/.."
export SOCKSCOPE_BINDING="$PWD/build-asan/Release/sockscope.node"
LD_PRELOAD="$(clang++ -print-file-name="libclang_rt.asan-$(uname -m).so")"
export LD_PRELOAD
export ASAN_OPTIONS=detect_leaks=0
export UBSAN_OPTIONS=print_stacktrace=1
exec "$@"
