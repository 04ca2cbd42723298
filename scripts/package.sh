#!/usr/bin/env bash
# Builds libchat for release in build-package, makes its Debian package with CPack, and checks it:
# the programs, the library, its headers and its CMake package are in it, dpkg-shlibdeps gave it
# its Depends, the programs run from a tree it was unpacked into, and examples/ builds against that
# tree. Any of these missing fails the run. The .deb is left in build-package/packages/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# Prefix /usr, so that GNUInstallDirs picks Debian's multiarch library directory. -O2 as Debian's
# own packages (dpkg-buildflags); at -O3, GCC 12 warns falsely (-Wrestrict) inside std::string's
# operator+, which CHAT_WERROR would make an error.
cmake -S . -B build-package -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DCMAKE_INSTALL_PREFIX=/usr -DCHAT_WERROR=ON -DCHAT_BUILD_TESTS=OFF
cmake --build build-package
rm -rf build-package/packages
cpack --config build-package/CPackConfig.cmake -G DEB -B build-package/packages

debs=(build-package/packages/*.deb)
if ((${#debs[@]} != 1)) || [[ ! -f ${debs[0]} ]]; then
  echo "package: expected one .deb in build-package/packages, found: ${debs[*]}" >&2
  exit 1
fi
deb=${debs[0]}
dpkg-deb --info "$deb"

failures=0
fail() {
  echo "package: $*" >&2
  failures=$((failures + 1))
}

libdir=usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)
contents=$(dpkg-deb --contents "$deb" | awk '{print $NF}')
for path in usr/bin/chat-server usr/bin/chat-cli usr/bin/chat-bench \
    "$libdir/libchat.a" usr/include/chat/server.h usr/include/chat/client.h \
    "$libdir/cmake/chat/chatConfig.cmake" "$libdir/cmake/chat/chatConfigVersion.cmake" \
    "$libdir/cmake/chat/chatTargets.cmake"; do
  grep -qx "\./$path" <<<"$contents" || fail "$deb lacks $path"
done
# Only the public API: no generated code, no internal libraries.
if grep -E '\.pb\.h$|_core|chat_internal' <<<"$contents"; then
  fail "$deb holds internal files (above)"
fi
for field in Package Version Architecture Maintainer Description; do
  [[ -n $(dpkg-deb --field "$deb" "$field") ]] || fail "$deb has no $field"
done
depends=$(dpkg-deb --field "$deb" Depends)
grep -q 'libgrpc++' <<<"$depends" || fail "Depends lacks libgrpc++ (did dpkg-shlibdeps run?): $depends"
grep -q 'libprometheus-cpp-pull' <<<"$depends" || fail "Depends lacks libprometheus-cpp-pull: $depends"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
for program in chat-server chat-cli chat-bench; do
  "$root/usr/bin/$program" --help >/dev/null || fail "$program --help from the unpacked package failed"
done
if ! { cmake -S examples -B "$root/examples" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" \
         -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >"$root/examples.log" 2>&1 &&
       cmake --build "$root/examples" >>"$root/examples.log" 2>&1 &&
       grep -qx "chat_DIR:PATH=$root/$libdir/cmake/chat" "$root/examples/CMakeCache.txt"; }; then
  cat "$root/examples.log" >&2
  fail "examples/ does not build against the unpacked package"
fi

if ((failures > 0)); then
  echo "package: $failures check(s) failed for $deb" >&2
  exit 1
fi
echo "package: $deb"
