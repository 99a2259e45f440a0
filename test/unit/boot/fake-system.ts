// A scriptable BootSystem for running `stockade boot` in-process: records every call, answers
// from tables the test sets. (Not a test file: uvu only runs *.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootSystem } from '../../../src/boot/system.ts';
import type { MountEntry, MountOutcome, MountSpec } from '../../../src/kernel/mount.ts';
import type { ModuleOutcome } from '../../../src/kernel/modules.ts';
import type { SysctlOutcome } from '../../../src/kernel/sysctl.ts';
import type { RestoreOutcome } from '../../../src/kernel/iptables-restore.ts';
import type { LinkStatus } from '../../../src/kernel/link-state.ts';
import type { PortNamed, PortSpec } from '../../../src/boot/system.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import { applyNetwork, type ApplyResult } from '../../../src/net/apply.ts';
import { desiredFromConfig } from '../../../src/net/desired.ts';
import { FakeKernel } from '../net/fake-kernel.ts';
import { keyFingerprint, type SshPlan } from '../../../src/ssh/index.ts';

/** ssh-keygen -t ed25519; `ssh-keygen -l` prints SHA256:4f7aXouqSgUkXTAeDT24Z5snrWEdpMCT1zveJDer2gQ for it. */
export const HOST_PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtXqLSihHJzSa1sMHJzNh1TiMhIGWeFp8O9fAtCgbT0 admin@laptop';
export { capture } from '../../capture-io.ts';

export interface FakeSystem extends BootSystem {
  calls: string[];
  mountTable: MountEntry[];
  partitions: Record<string, string>;
  mountFailures: Record<string, string>;
  modules: Record<string, ModuleOutcome>;
  /** label -> kernel name it had; labels absent here are missing. */
  nics: Record<string, string>;
  /** The network apply runs for real against this in-memory kernel; named ports appear in it. */
  kernel: FakeKernel;
  /** Sysctl values; a name absent here reads as "0". */
  sysctls: Record<string, string>;
  /** Names that do not exist here (read as missing). */
  sysctlFailures: Record<string, string>;
  hostname: string;
  restoreFailures: Array<{ match: RegExp; reason: string }>;
  restored: Array<{ family: string; table: string; text: string }>;
  links: Record<string, LinkStatus>;
  addressList: Array<{ ifname: string; cidrs: string[] }>;
  files: Record<string, string>;
  /** What the SSH step was given, and host keys present (path -> public key line). */
  sshPlans: SshPlan[];
  hostKeys: Record<string, string>;
  sshFailure?: string;
}

export function fakeSystem(): FakeSystem {
  const sys: FakeSystem = {
    calls: [],
    mountTable: [
      { mountPoint: '/', fstype: 'squashfs', source: '/dev/vda2' },
      { mountPoint: '/proc', fstype: 'proc', source: 'proc' },
      { mountPoint: '/sys', fstype: 'sysfs', source: 'sysfs' },
      { mountPoint: '/dev', fstype: 'devtmpfs', source: 'devtmpfs' },
    ],
    partitions: { data: '/dev/vda4' },
    mountFailures: {},
    modules: {},
    nics: {},
    kernel: new FakeKernel(),
    sysctls: {},
    sysctlFailures: {},
    hostname: '(none)',
    restoreFailures: [],
    restored: [],
    links: {},
    addressList: [],
    files: { '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz root=PARTLABEL=root-a ro console=ttyS0,115200 stockade.slot=A' },
    mounts() {
      return sys.mountTable;
    },
    findPartition(label: string) {
      return sys.partitions[label];
    },
    filesystemKnown(fstype: string) {
      return fstype === 'ext4';
    },
    async mount(spec: MountSpec): Promise<MountOutcome> {
      sys.calls.push(`mount ${spec.fstype} ${spec.source} ${spec.target} ${spec.options}`);
      const failure = sys.mountFailures[spec.target];
      if (failure) return { ok: false, reason: failure };
      sys.mountTable.push({ mountPoint: spec.target, fstype: spec.fstype, source: spec.source });
      return { ok: true };
    },
    async loadModules(names: readonly string[]): Promise<Map<string, ModuleOutcome>> {
      sys.calls.push(`modprobe ${names.join(' ')}`);
      return new Map(names.map((name) => [name, sys.modules[name] ?? { status: 'loaded' }]));
    },
    async namePorts(ports: readonly PortSpec[]): Promise<{ named: PortNamed[]; missing: string[] }> {
      sys.calls.push(`namePorts ${ports.map((p) => p.label).join(',')}`);
      const named: PortNamed[] = [];
      const missing: string[] = [];
      ports.forEach((p, i) => {
        const from = sys.nics[p.label];
        if (from === undefined) {
          missing.push(p.label);
          return;
        }
        named.push({ label: p.label, from, index: 10 + i, changed: from !== p.label });
        if (!sys.kernel.byName(p.label)) sys.kernel.addNic(p.label, { up: false });
      });
      return { named, missing };
    },
    async applyNetwork(config: Config): Promise<ApplyResult> {
      sys.calls.push('network');
      const sysctl = {
        read: (name: string) => (sys.sysctlFailures[name] !== undefined ? undefined : (sys.sysctls[name] ?? '0')),
        write(name: string, value: string) {
          sys.calls.push(`sysctl ${name}=${value}`);
          sys.sysctls[name] = value;
        },
      };
      return applyNetwork(desiredFromConfig(config), { kernel: sys.kernel, sysctl });
    },
    setHostname(name: string): SysctlOutcome {
      sys.calls.push(`hostname ${name}`);
      if (sys.hostname === name) return { status: 'unchanged' };
      sys.hostname = name;
      return { status: 'set' };
    },
    async restoreTable(family, table, text): Promise<RestoreOutcome> {
      sys.calls.push(`restore ${family} ${table}`);
      const failure = sys.restoreFailures.find((f) => f.match.test(`${family} ${text}`));
      if (failure) return { ok: false, reason: failure.reason };
      sys.restored.push({ family, table, text });
      return { ok: true };
    },
    linkStatus(name: string): LinkStatus {
      return sys.links[name] ?? { name, state: 'missing' };
    },
    async addresses() {
      return sys.addressList;
    },
    readText(path: string) {
      return sys.files[path];
    },
    now() {
      return 42;
    },
    sshPlans: [],
    hostKeys: {},
    async prepareSsh(plan: SshPlan) {
      sys.calls.push(`ssh ${plan.enabled ? plan.argv.join(' ') : 'off'}`);
      sys.sshPlans.push(plan);
      if (sys.sshFailure !== undefined) throw new Error(sys.sshFailure);
      if (!plan.enabled) return undefined;
      const made = sys.hostKeys[plan.hostKeyFile] === undefined;
      // A key made by ssh-keygen; its fingerprint, as ssh-keygen -l printed it, is in the tests.
      sys.hostKeys[plan.hostKeyFile] ??= HOST_PUBLIC_KEY;
      const fingerprint = keyFingerprint(sys.hostKeys[plan.hostKeyFile]!);
      return { hostKey: made ? 'made' as const : 'kept' as const, ...(fingerprint !== undefined ? { fingerprint } : {}) };
    },
  };
  return sys;
}

/** A temporary directory for files a test writes; removed by the returned cleanup. */
export function tempDir(): { dir: string; write(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stockade-boot-'));
  return {
    dir,
    write(name: string, text: string) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

