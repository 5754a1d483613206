#!/usr/bin/env bash
# Builds the guest kit for Tern's QEMU tests and trials from Debian packages, and prints the
# directory holding it: vmlinuz (linux-image-cloud-amd64's kernel, unpacked with dpkg -x) and
# initrd.gz (busybox-static, init, and tern-writer compiled statically with gcc).
#
# Cached in $TERN_GUEST_CACHE (default ~/.cache/tern-guest), keyed by the kernel package and the
# hash of this folder's sources, so a rerun costs nothing. Needs: apt-get (the kernel package
# is downloaded, not installed), busybox-static, cpio, gcc, libc6-dev (.ci/run installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${TERN_GUEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/tern-guest}"

for tool in busybox cpio gcc gzip apt-get dpkg; do
    command -v "$tool" >/dev/null || { echo "guest kit: $tool not found (apt-get install busybox-static cpio gcc libc6-dev)" >&2; exit 1; }
done
[ -x /bin/busybox ] && busybox_bin=/bin/busybox || busybox_bin="$(command -v busybox)"
file "$busybox_bin" 2>/dev/null | grep -q dynamically && { echo "guest kit: $busybox_bin is not static (apt-get install busybox-static)" >&2; exit 1; }

kernel_pkg() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1
}
kernel_pkg="$(kernel_pkg)"
if [ -z "$kernel_pkg" ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 # a fresh machine has no package lists yet
    kernel_pkg="$(kernel_pkg)"
fi
if [ -z "$kernel_pkg" ]; then
    echo "guest kit: no linux-image-cloud-amd64 in apt's lists (run apt-get update)" >&2
    exit 1
fi
key="$kernel_pkg-$(cat "$here/writer.c" "$here/init" "$0" | sha256sum | cut -c1-12)"
kit="$cache/$key"
if [ -f "$kit/vmlinuz" ] && [ -f "$kit/initrd.gz" ]; then
    echo "$kit"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
deb="$(ls "$cache"/"$kernel_pkg"_*.deb 2>/dev/null | head -1 || true)"
if [ -z "$deb" ]; then
    (cd "$cache" && apt-get download -q "$kernel_pkg" >&2)
    deb="$(ls "$cache"/"$kernel_pkg"_*.deb | head -1)"
fi
dpkg -x "$deb" "$work/kernel"
root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys}
cp "$busybox_bin" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
gcc -O2 -static -o "$root/bin/tern-writer" "$here/writer.c"
cp "$here/init" "$root/init"
chmod +x "$root/init"
mknod "$root/dev/console" c 5 1 2>/dev/null || true
mkdir -p "$work/out"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6 > "$work/out/initrd.gz")
cp "$work"/kernel/boot/vmlinuz-* "$work/out/vmlinuz"
rm -rf "$kit"
mv "$work/out" "$kit"
echo "$kit"
