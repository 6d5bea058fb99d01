#!/usr/bin/env bash
# Builds Aetherium's own tiny VM image from Debian's packages (nothing is downloaded but through apt,
# by scripts/prereqs.sh): the distribution kernel, an initramfs holding busybox, dropbear, the kernel
# modules a qemu guest needs and an init (image/init.sh) that applies a cloud-init NoCloud seed, and an
# empty base disk the agent overlays per VM. Output, in the directory given (default .aetherium/images/
# aetherium-tiny): vmlinuz, initrd.img, disk.qcow2, SHA256SUMS and manifest.json (what a catalog entry
# carries). The same inputs give the same bytes; a build whose inputs have not changed is skipped.
#
#   scripts/build-image.sh [OUT_DIR]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$(realpath -m "${1:-$here/../.aetherium/images/aetherium-tiny}")"
kernel="$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1 || true)"
[ -n "$kernel" ] || { echo "build-image: no kernel in /boot (apt-get install linux-image-amd64; scripts/prereqs.sh does)" >&2; exit 1; }
kver="${kernel#/boot/vmlinuz-}"
for tool in busybox dropbear cpio gzip modinfo qemu-img sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || { echo "build-image: $tool is missing (run scripts/prereqs.sh)" >&2; exit 1; }
done
busybox="$(command -v busybox)"
! ldd "$busybox" >/dev/null 2>&1 || { echo "build-image: $busybox is not static (apt-get install busybox-static; scripts/prereqs.sh does)" >&2; exit 1; }
dropbear="$(command -v dropbear || echo /usr/sbin/dropbear)"
export PATH="$PATH:/usr/sbin:/sbin"

# The modules the guest loads, dependencies first: virtio PCI/net/block, isofs for the seed, ext4 for the
# disk (ext2 on disk; crc32c is its soft dependency), the ACPI power button and evdev for acpid, virtio-rng.
wanted=(virtio_pci virtio_net virtio_blk isofs crc32c_generic ext4 button evdev virtio_rng)
declare -A seen=()
order=()
add_module() {
  local m="$1" dep
  [ -n "${seen[$m]:-}" ] && return
  seen[$m]=1
  for dep in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do add_module "$dep"; done
  order+=("$m")
}
for m in "${wanted[@]}"; do add_module "$m"; done

# Skip the build when nothing it depends on changed (the stamp names every input's identity).
stamp="$(
  { sha256sum "$0" "$here/image/init.sh" "$kernel" "$busybox" "$dropbear"; echo "${order[*]}"; } | sha256sum | cut -d' ' -f1
)"
if [ -f "$out/manifest.json" ] && [ "$(cat "$out/.inputs" 2>/dev/null)" = "$stamp" ] && (cd "$out" && sha256sum --quiet -c SHA256SUMS); then
  echo "build-image: $out is up to date"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,data,lib/modules,usr/bin,usr/sbin,var/log,etc/acpi/PWRF}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
ln -sf bin/busybox "$root/init"

# dropbear and the shared libraries it links (copied at their real paths, with the loader).
cp "$dropbear" "$root/usr/sbin/dropbear"
for lib in $(ldd "$dropbear" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64" ] || ln -s lib "$root/lib64" 2>/dev/null || true

for m in "${order[@]}"; do
  cp "$(modinfo -k "$kver" -n "$m")" "$root/lib/modules/$m.ko"
done
printf '%s\n' "${order[@]}" > "$root/etc/modules"

cp "$here/image/init.sh" "$root/etc/rc"
chmod 0755 "$root/etc/rc"
# busybox init (PID 1): rc sets the machine up; dropbear and acpid are kept running; poweroff (the
# ACPI power button's action) stops them and unmounts the disk before the power goes.
cat > "$root/etc/inittab" <<'EOF'
::sysinit:/etc/rc
::respawn:/usr/sbin/dropbear -F -E -R -p 22
::respawn:/bin/acpid -f -c /etc/acpi
::shutdown:/etc/rc stop
EOF
printf '#!/bin/sh\nexec /bin/poweroff\n' > "$root/etc/acpi/PWRF/00000080"
chmod 0755 "$root/etc/acpi/PWRF/00000080"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:*:1:0:99999:7:::\n' > "$root/etc/shadow"
printf 'root:x:0:\n' > "$root/etc/group"
printf '/bin/sh\n/bin/ash\n' > "$root/etc/shells"
chmod 0600 "$root/etc/shadow"

# Reproducible archive: sorted names, one timestamp, no owners but root, gzip without a name or time.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n > "$work/initrd.img"

mkdir -p "$out"
rm -f "$out"/{vmlinuz,initrd.img,disk.qcow2,SHA256SUMS,manifest.json,.inputs}
cp "$kernel" "$out/vmlinuz"
cp "$work/initrd.img" "$out/initrd.img"
# The base disk is empty: the guest formats its overlay on first boot. 1 GiB is its smallest size; a
# VM's overlay is created at the VM's disk_gb.
qemu-img create -q -f qcow2 "$out/disk.qcow2" 1G
(cd "$out" && sha256sum vmlinuz initrd.img disk.qcow2 > SHA256SUMS)
sum() { awk -v f="$1" '$2 == f {print $1}' "$out/SHA256SUMS"; }
cat > "$out/manifest.json" <<EOF
{
  "name": "aetherium-tiny",
  "os": "linux (Debian $kver kernel, busybox, dropbear)",
  "format": "kernel+initrd",
  "boot": "kernel",
  "kernel": {"file": "vmlinuz", "sha256": "$(sum vmlinuz)"},
  "initrd": {"file": "initrd.img", "sha256": "$(sum initrd.img)"},
  "disk": {"file": "disk.qcow2", "format": "qcow2", "sha256": "$(sum disk.qcow2)"},
  "cmdline": "console=ttyS0 panic=1 quiet",
  "seed": "nocloud",
  "runtimes": ["qemu"],
  "login_user": "aetherium",
  "min_memory_mb": 96,
  "min_disk_gb": 1
}
EOF
echo "$stamp" > "$out/.inputs"
echo "build-image: built $out ($(du -sh "$out/initrd.img" | cut -f1) initrd, kernel $kver)"
