#!/usr/bin/env bash
# Unpacks QEMU 10.0 from bookworm-backports beside the system's QEMU 7.2, without installing it
# and without touching the system's apt sources (a private apt configuration in the cache), and
# prints the path of its qemu-system-x86_64. Its libraries are bookworm's own (ldd finds them all).
#   ./mvnw -pl integration-tests -am verify -Dit.test=QemuStreamRelayIT -Dtern.qemu="$(integration-tests/guest/qemu10.sh)"
# Cached in $TERN_QEMU10_CACHE (default ~/.cache/tern-qemu10). Needs apt-get and dpkg.
set -euo pipefail
cache="${TERN_QEMU10_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tern-qemu10}"
bin="$cache/root/usr/bin/qemu-system-x86_64"
if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi
mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial" "$cache/debs"
cat > "$cache/apt/sources.list" <<SOURCES
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-backports main
SOURCES
apt=(-o Dir::Etc::SourceList="$cache/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$cache/apt/lists" -o Dir::Cache="$cache/apt" -o Dir::Cache::archives="$cache/apt/archives")
apt-get "${apt[@]}" update -qq >&2
rm -f "$cache"/debs/*.deb
(cd "$cache/debs" && apt-get "${apt[@]}" download -q qemu-system-x86/bookworm-backports \
    qemu-system-common/bookworm-backports qemu-system-data/bookworm-backports >&2)
rm -rf "$cache/root"
for deb in "$cache"/debs/*.deb; do
    dpkg -x "$deb" "$cache/root"
done
missing="$(ldd "$bin" | grep 'not found' || true)"
if [ -n "$missing" ]; then
    echo "QEMU 10 unpacked in $cache/root lacks libraries: $missing" >&2
    exit 1
fi
echo "$bin"
