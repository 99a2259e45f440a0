// Lab child: failing calls into the addon, printed as {code, errno, syscall, message} per case.
import { loadNative } from '../../../src/kernel/native.ts';
import { IPPROTO_VRRP } from '../../../src/kernel/socket-constants.ts';

const native = loadNative();
const cases: Record<string, () => unknown> = {
  rawIpNoDevice: () => native.openRawIp(IPPROTO_VRRP, { ifname: 'nosuch0' }),
  ifNameToIndex: () => native.ifNameToIndex('nosuch0'),
  packetNoDevice: () => native.openPacket(999_999, 0x0806),
  netlinkBadProtocol: () => native.openNetlink(31),
  sendAfterClose: () => { const s = native.openNetlink(0); s.close(); return s.send(Buffer.alloc(16)); },
};
const result: Record<string, unknown> = {};
for (const [name, fn] of Object.entries(cases)) {
  try {
    fn();
    result[name] = { ok: true };
  } catch (e) {
    const err = e as Error & { code?: string; errno?: number; syscall?: string };
    result[name] = { isError: e instanceof Error, code: err.code, errno: err.errno, syscall: err.syscall, message: err.message };
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`);
