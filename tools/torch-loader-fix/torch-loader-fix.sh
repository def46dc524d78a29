#!/usr/bin/env bash
# Makes TorchSharp's native libLibTorchSharp.so loadable where the system libstdc++ is older than GCC 13's
# (Debian 12 ships GCC 12's, GLIBCXX_3.4.30). TorchSharp 0.107's build needs GLIBCXX_3.4.32 for exactly one symbol,
# std::ios_base_library_init(), which GCC 13 references only to make the standard streams initialise; GCC 12's
# libstdc++ initialises them itself. So, in each copy of libLibTorchSharp.so found under the given directories:
#   1. clear that symbol's version (patchelf --clear-symbol-version),
#   2. rename the library's GLIBCXX_3.4.32 version need to GLIBCXX_3.4.30 (rename-version-need.c),
#   3. add a no-op definition of the symbol from a tiny shim library beside it (built with gcc; found through the
#      library's $ORIGIN runpath) as a needed library.
# It does nothing (and says so only with -v) where libstdc++ already provides GLIBCXX_3.4.32 (Ubuntu 24.04, Debian 13)
# or where the copy is already patched. Every change it makes is printed. Needs readelf, gcc and patchelf; installs
# patchelf with apt-get when it is missing and we are root, otherwise stops and says what to install.
# Usage: tools/torch-loader-fix/torch-loader-fix.sh [-v] DIR...   (e.g. a build or publish output directory)
set -euo pipefail
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [-v] DIR..." >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "torch-loader-fix: $*"; }
symbol=_ZSt21ios_base_library_initv
shim=libsteerserver-ios-init-shim.so
[ "$(uname -s)" = Linux ] || { [ $verbose = 0 ] || say "not Linux: nothing to do"; exit 0; }

libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
[ -n "$libstdcxx" ] || libstdcxx=$(gcc -print-file-name=libstdc++.so.6 2>/dev/null || true)
if [ -n "$libstdcxx" ] && grep -q GLIBCXX_3.4.32 "$libstdcxx" 2>/dev/null; then
  [ $verbose = 0 ] || say "$libstdcxx provides GLIBCXX_3.4.32: nothing to do"
  exit 0
fi

libs=()
for dir in "$@"; do
  [ -d "$dir" ] || continue
  while IFS= read -r lib; do libs+=("$lib"); done < <(find "$dir" -maxdepth 4 -name libLibTorchSharp.so -type f)
done
todo=()
for lib in "${libs[@]}"; do
  if readelf -V "$lib" | grep -q 'Name: GLIBCXX_3.4.32'; then todo+=("$lib")
  elif [ $verbose = 1 ]; then say "$lib is already patched"; fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

say "the system libstdc++ (${libstdcxx:-not found}) lacks GLIBCXX_3.4.32, which TorchSharp's native library asks for; patching (see tools/torch-loader-fix/README.md)"
if ! command -v patchelf >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing patchelf: apt-get install -y patchelf"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null; }
  else
    say "patchelf is missing: install it (sudo apt-get install patchelf) and build again"; exit 1
  fi
fi
command -v gcc >/dev/null || { say "gcc is missing: install it (sudo apt-get install gcc) and build again"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/rename-version-need" "$here/rename-version-need.c"
echo "void $symbol(void) {}" > "$work/shim.c"
gcc -shared -fPIC -O2 -Wl,-soname,$shim -o "$work/$shim" "$work/shim.c"
for lib in "${todo[@]}"; do
  dir=$(dirname "$lib")
  say "patching $lib"
  say "  clear the version of $symbol (std::ios_base_library_init)"
  patchelf --clear-symbol-version $symbol "$lib"
  "$work/rename-version-need" "$lib" GLIBCXX_3.4.32 GLIBCXX_3.4.30
  say "  add needed library $shim (a no-op $symbol, written to $dir)"
  cp "$work/$shim" "$dir/$shim"
  patchelf --add-needed $shim "$lib"
done
