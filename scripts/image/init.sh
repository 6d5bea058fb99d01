#!/bin/sh
# /etc/rc of Aetherium's tiny image, run by busybox init: at boot (no argument) it sets the machine up
# from its cloud-init NoCloud seed; at power-off ("stop") it stops the services and unmounts the disk.
#
# Disks (virtio): the VM's own disk (ext2, formatted on first boot, mounted at /data; /home and the SSH
# host keys live on it, so they survive stop/start) and the seed, an ISO 9660 volume "cidata" with
# meta-data (instance-id, local-hostname) and user-data (#cloud-config: users[0].name,
# ssh_authorized_keys, hashed_passwd or passwd). Only that subset of cloud-config is applied.
export PATH=/bin:/usr/bin:/sbin:/usr/sbin

say() { echo "aetherium: $*"; }

if [ "$1" = stop ]; then
  say "powering off"
  killall dropbear acpid udhcpc 2>/dev/null
  sync
  umount /data 2>/dev/null || mount -o remount,ro /data 2>/dev/null
  exit 0
fi

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /mnt/seed
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
ln -s /run /var/run
for m in $(cat /etc/modules); do insmod "/lib/modules/$m.ko" 2>/dev/null; done

# Block devices appear as virtio probes them.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

seed="" data=""
for dev in /dev/vd?; do
  if [ -z "$seed" ] && mount -t iso9660 -o ro "$dev" /mnt/seed 2>/dev/null; then
    if [ -f /mnt/seed/meta-data ]; then seed="$dev"; continue; fi
    umount /mnt/seed
  fi
  [ -z "$data" ] && data="$dev"
done
[ -n "$seed" ] || say "no NoCloud seed (a cidata volume with meta-data) found"

# A YAML scalar as cloud-init's files hold it: plain, 'single' or "double" quoted (with \" \\ \n escapes).
yaml_value() {
  awk -v key="$1" '
    function unquote(v,   out, i, c) {
      if (v ~ /^".*"$/) {
        v = substr(v, 2, length(v) - 2); out = ""
        for (i = 1; i <= length(v); i++) {
          c = substr(v, i, 1)
          if (c == "\\" && i < length(v)) { i++; c = substr(v, i, 1); if (c == "n") c = "\n" }
          out = out c
        }
        return out
      }
      if (v ~ /^'\''.*'\''$/) return substr(v, 2, length(v) - 2)
      return v
    }
    # "key: value" (also as a list item "- key: value"), or the items of "key:" as "- value" lines.
    {
      line = $0; sub(/^[ \t]*(- )?/, "", line)
      if (inlist) {
        if ($0 ~ /^[ \t]*- / && index(line, ":") == 0 || $0 ~ /^[ \t]*- "/) {
          v = $0; sub(/^[ \t]*- /, "", v); sub(/[ \t\r]+$/, "", v); print unquote(v); next
        }
        inlist = 0
      }
      if (index(line, key ":") == 1) {
        v = substr(line, length(key) + 2); sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v)
        if (v == "") inlist = 1; else { print unquote(v); exit }
      }
    }' "$2"
}

hostname_value=""
if [ -n "$seed" ]; then
  hostname_value="$(yaml_value local-hostname /mnt/seed/meta-data)"
  say "seed $seed: instance $(yaml_value instance-id /mnt/seed/meta-data)"
fi
hostname "${hostname_value:-aetherium}"
echo "127.0.0.1 localhost $(hostname)" > /etc/hosts

# The VM's disk: formatted once (no ext2/3/4 superblock magic 0xEF53 at byte 1080 yet), then kept.
if [ -n "$data" ]; then
  magic="$(dd if="$data" bs=1 skip=1080 count=2 2>/dev/null | hexdump -e '2/1 "%02x"')"
  if [ "$magic" != "53ef" ]; then
    say "formatting $data (first boot)"
    mke2fs -F -q -L data -m 0 -i 262144 "$data" >/dev/null 2>&1 || mke2fs -F -L data -m 0 -i 262144 "$data"
  fi
  mount -t ext2 -o noatime "$data" /data || say "could not mount $data"
else
  say "no disk: /data is in memory"
fi
mkdir -p /data/home /data/etc/dropbear
rm -rf /home /etc/dropbear
ln -s /data/home /home
ln -s /data/etc/dropbear /etc/dropbear

# The tenant's account: user-data's first user, with its keys and/or password hash.
user=""
if [ -n "$seed" ] && [ -f /mnt/seed/user-data ]; then
  user="$(yaml_value name /mnt/seed/user-data | head -n 1)"
fi
case "$user" in
  ""|root|*[!A-Za-z0-9._-]*|-*) [ -n "$user" ] && say "user-data names an unusable user: $user"; user="" ;;
esac
if [ -n "$user" ]; then
  hash="$(yaml_value hashed_passwd /mnt/seed/user-data)"
  [ -n "$hash" ] || hash="$(yaml_value passwd /mnt/seed/user-data)"
  case "$hash" in ""|*:*|*"
"*) hash="*" ;; esac
  home="/home/$user"
  echo "$user:x:1000:1000::$home:/bin/sh" >> /etc/passwd
  echo "$user:x:1000:" >> /etc/group
  echo "$user:$hash:1:0:99999:7:::" >> /etc/shadow
  mkdir -p "$home/.ssh"
  yaml_value ssh_authorized_keys /mnt/seed/user-data > "$home/.ssh/authorized_keys"
  chown -R 1000:1000 "$home"
  chmod 0755 "$home"
  chmod 0700 "$home/.ssh"
  chmod 0600 "$home/.ssh/authorized_keys"
  say "user $user: $(grep -c . "$home/.ssh/authorized_keys") key(s), password $([ "$hash" = "*" ] && echo no || echo yes)"
fi
[ -n "$seed" ] && umount /mnt/seed

# Networking: DHCP on the first virtio NIC (qemu's user-mode network answers at once).
cat > /run/udhcpc.script <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    ;;
esac
EOF
chmod 0755 /run/udhcpc.script
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -s /run/udhcpc.script -q -n -t 5 -T 1 >/dev/null 2>&1 || say "no DHCP lease on eth0"
say "network $(ip -4 -o addr show eth0 | awk '{print $4}')"
say "ready: ssh on port 22"
