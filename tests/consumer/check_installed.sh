#!/usr/bin/env bash
# Installs the build into a staging directory and compiles tests/consumer/main.cpp
# against it with nothing but `pkg-config --cflags --libs rusttorch`.
set -euo pipefail
BUILD=${1:?usage: check_installed.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
meson install -C "$BUILD" --destdir "$STAGE" --quiet
PREFIX=$(meson introspect "$BUILD" --buildoptions | python3 -c "import json,sys; o={x['name']:x['value'] for x in json.load(sys.stdin)}; print(o['prefix'] + '/' + o['libdir'] if not o['libdir'].startswith('/') else o['libdir'])")
LIBDIR="$STAGE$PREFIX"
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$STAGE"
FLAGS=$(pkg-config --cflags --libs rusttorch)
echo "pkg-config: $FLAGS"
g++ -std=c++17 -Wall -Wextra -Werror "$HERE/main.cpp" -o "$STAGE/consumer" $FLAGS
LD_LIBRARY_PATH="$LIBDIR" "$STAGE/consumer"
echo "installed-library consumer: ok"
