#!/bin/bash
# Builds a Debian 13 (trixie) cloud-init VM template for the real-VM test tier and caches it.
#
#   test/vm/build-image.sh [cache dir]     (default: <repo>/.cache/vm; needs root)
#
# Output: <cache>/img/base.qcow2, vmlinuz, initrd.img and build-times.json. Skipped when
# base.qcow2 exists and was built by this very script (its SHA-256 is kept beside it). This is the only step that talks to
# the network: debootstrap fetches from the Debian mirror. The guests booted from this image get
# no route anywhere (slirp restrict=on), so everything provision_minecraft.yml would install from
# apt is baked in here: openjdk-21-jre-headless, ufw, python3 and python3-apt.
#
# How the tier works, its timings and pitfalls: docs/real-vm-tests.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${1:-$ROOT/.cache/vm}
SUITE=${SUITE:-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
IMG=$CACHE/img
ROOTFS=$CACHE/rootfs

# The cache is keyed by this script's content: edit it and the next run rebuilds.
RECIPE=$(sha256sum "$0" | cut -d' ' -f1)
if [ -f "$IMG/base.qcow2" ] && [ "$(cat "$IMG/recipe.sha256" 2>/dev/null)" = "$RECIPE" ]; then
  echo "cached: $IMG/base.qcow2"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "build-image.sh needs root (debootstrap, chroot)" >&2; exit 1; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

rm -rf "$ROOTFS" "$IMG.tmp"
mkdir -p "$IMG.tmp" "$CACHE"
t0=$(now)
# python3-cffi-backend must be listed explicitly: debootstrap's resolver ignores the virtual
# python3-cffi-backend-api-* that cloud-init -> oauthlib -> cryptography needs
# (docs/real-vm-tests.md#pitfalls).
# e2fsprogs is no longer "required" in trixie, so minbase lacks resize2fs, which cloud-init
# needs to grow the root file system (without it, `cloud-init status` reports an error).
# resolvconf makes ifupdown honour cloud-init's dns-nameservers (docs/real-vm-tests.md#pitfalls).
debootstrap --variant=minbase \
  --include=systemd-sysv,e2fsprogs,openssh-server,cloud-init,python3-cffi-backend,linux-image-cloud-amd64,sudo,python3,python3-apt,ifupdown,resolvconf,ca-certificates,ufw,iproute2,netbase,dbus,locales,apt-utils,openjdk-21-jre-headless \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1
t_debootstrap=$(since "$t0")
echo "debootstrap $SUITE: ${t_debootstrap}s"

R=$ROOTFS
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' >"$R/etc/fstab"
echo debian-tmpl >"$R/etc/hostname"
cat >"$R/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
echo 'datasource_list: [ NoCloud, None ]' >"$R/etc/cloud/cloud.cfg.d/99_pve.cfg"
printf 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n' >"$R/etc/network/interfaces"
echo 'en_US.UTF-8 UTF-8' >"$R/etc/locale.gen"
chroot "$R" locale-gen >/dev/null 2>&1 || true
# Template hygiene, as a Proxmox template would have it: no host keys, empty machine-id, no apt
# lists (a fresh clone must not believe it has a package cache).
rm -f "$R"/etc/ssh/ssh_host_* "$R"/var/cache/apt/archives/*.deb
rm -rf "$R"/var/lib/apt/lists/*
: >"$R/etc/machine-id"
[ -L "$R/etc/resolv.conf" ] || ln -sf ../run/resolvconf/resolv.conf "$R/etc/resolv.conf"
cp "$R"/boot/vmlinuz-* "$IMG.tmp/vmlinuz"
cp "$R"/boot/initrd.img-* "$IMG.tmp/initrd.img"
chroot "$R" dpkg-query -W -f '${Package} ${Version}\n' \
  openjdk-21-jre-headless ufw python3 openssh-server cloud-init >"$IMG.tmp/packages.txt"
cat "$R/etc/debian_version" >"$IMG.tmp/debian_version"

t1=$(now)
# No loop mount needed: mkfs.ext4 -d populates the file system from a directory.
truncate -s 4G "$IMG.tmp/base.raw"
mkfs.ext4 -q -F -L rootfs -d "$R" "$IMG.tmp/base.raw"
qemu-img convert -f raw -O qcow2 "$IMG.tmp/base.raw" "$IMG.tmp/base.qcow2"
rm -f "$IMG.tmp/base.raw"
t_image=$(since "$t1")
echo "image: ${t_image}s"
printf '{"suite":"%s","debootstrapSeconds":%s,"imageSeconds":%s}\n' "$SUITE" "$t_debootstrap" "$t_image" \
  >"$IMG.tmp/build-times.json"
echo "$RECIPE" >"$IMG.tmp/recipe.sha256"
rm -rf "$R" "$IMG"
mv "$IMG.tmp" "$IMG"
echo "built: $IMG/base.qcow2"
