// Where a network interface sits on its bus, from sysfs: /sys/class/net/<if>/device is a link
// into /sys/devices. Boards name a port by that bus address (PCI "0000:00:03.0"); for a
// virtio NIC the device is "virtio0" and the PCI address is its parent, so the whole chain of
// device names, nearest first, is returned and the caller matches against any of them.
// Reads the sysfs mounted at `root` (ip netns exec mounts one per namespace).
import { readlinkSync, realpathSync } from 'node:fs';
import { basename, join, sep } from 'node:path';

/**
 * Device names from the interface's device up to the bus root ("virtio0", "0000:00:03.0",
 * "pci0000:00"), or undefined for an interface without a device (veth, bridge, bond, lo).
 */
export function netDeviceChain(ifname: string, root = '/sys'): string[] | undefined {
  if (ifname.includes('/') || ifname === '.' || ifname === '..') return undefined;
  const link = join(root, 'class', 'net', ifname, 'device');
  let target: string;
  try {
    readlinkSync(link);
    target = realpathSync(link);
  } catch {
    return undefined;
  }
  const devices = join(realpathSync(root), 'devices') + sep;
  if (!target.startsWith(devices)) return [basename(target)];
  return target.slice(devices.length).split(sep).filter((p) => p !== '').reverse();
}
