#!/bin/busybox sh
# The initramfs's /init (busybox sh). Debian's kernel has the storage drivers and filesystems as
# modules, so this loads them (the list is in /etc/initramfs-modules), finds the root slot that GRUB
# chose (stockade.slot=A|B on the kernel command line -> the GPT partition named root-a|root-b),
# mounts it read-only, moves /proc, /sys and /dev into it and switch_roots to its /sbin/init.
# On failure it says why and reboots after a pause, so GRUB's boot counter moves on to the other
# slot; with stockade.debug on the command line it opens a shell instead.
/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin /proc /sys /dev /newroot
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

slot=
debug=
for word in $(cat /proc/cmdline); do
  case "$word" in
    stockade.slot=*) slot=${word#stockade.slot=} ;;
    stockade.debug) debug=1 ;;
  esac
done

fail() {
  echo "initramfs: $*"
  if [ -n "$debug" ]; then
    echo "initramfs: stockade.debug: starting a shell"
    exec sh
  fi
  echo "initramfs: rebooting in 10 s"
  sleep 10
  reboot -f
}

case "$slot" in
  A) label=root-a ;;
  B) label=root-b ;;
  *) fail "no stockade.slot=A or B on the kernel command line" ;;
esac

for m in $(cat /etc/initramfs-modules); do
  modprobe -q "$m" 2>/dev/null
done

# The partition table is read as the disk driver probes, which may finish a moment later.
# A second Stockade disk (a stick flashed from the same image) has the same names: the first disk
# the kernel lists wins, said on the console; userland then uses the disk / is on for everything
# (src/kernel/boot-disk.ts), so slots, GRUB's environment and /data stay on one disk.
dev=
tries=0
while [ -z "$dev" ]; do
  for uevent in /sys/class/block/*/uevent; do
    if grep -qx "PARTNAME=$label" "$uevent"; then
      found=/dev/$(sed -n 's/^DEVNAME=//p' "$uevent")
      if [ -z "$dev" ]; then
        dev=$found
      else
        echo "initramfs: $found is also named $label: using $dev"
      fi
    fi
  done
  [ -n "$dev" ] && break
  tries=$((tries + 1))
  [ "$tries" -gt 100 ] && fail "no partition named $label (slot $slot) after 10 s"
  sleep 0.1
done

mount -t squashfs -o ro "$dev" /newroot || fail "cannot mount $dev (slot $slot, $label)"
[ -x /newroot/sbin/init ] || fail "slot $slot ($dev) has no /sbin/init"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
