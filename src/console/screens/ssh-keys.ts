// "SSH keys": the public keys that may log in over SSH (management.ssh_authorized_keys), listed
// by number with type, short fingerprint and comment; a key pasted as one line is added, -N
// removes key N; checked by the config loader and the key's own blob, then one transaction. The
// first key starts SSH on the management interfaces at once (src/ssh/live-keys.ts).
import { keyFingerprint } from '../../ssh/index.ts';
import { sshKeysOf, setSshKeys } from '../edits.ts';
import { proposeChange, type ConfigTransaction, type Proposal } from '../transaction.ts';
import { fit } from '../text.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { savedConfigDoc, title, type ScreenContext } from './context.ts';

const NAME = 'SSH keys';
const LISTED = 10;
/** Longest line taken: an RSA 4096 key with a comment is about 750 characters. */
const KEY_LINE_MAX = 2048;

/** "ssh-ed25519  SHA256:abcdefghijkl  admin@laptop": a key as a person recognises it. */
export function keyRow(line: string): string {
  const [type = '', , ...comment] = line.trim().split(/\s+/);
  const fp = keyFingerprint(line);
  return `${type.padEnd(20)} ${fp === undefined ? '(unreadable)'.padEnd(19) : `${fp.slice(0, 19)}`}  ${comment.join(' ')}`;
}

export async function sshKeysScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = await savedConfigDoc(ctx, NAME);
  if (saved === undefined) return;
  const keys = sshKeysOf(saved.doc);
  const m = saved.doc['management'];
  const ifaces = typeof m === 'object' && m !== null && Array.isArray((m as Record<string, unknown>)['interfaces']) ? ((m as Record<string, unknown>)['interfaces'] as unknown[]).map(String) : [];
  const state = keys.length === 0
    ? ['No key: SSH is off. The first key starts it at once on the management', `interfaces (${ifaces.join(', ') || 'none: set management.interfaces first'}).`]
    : [`SSH lets these keys in as root on ${ifaces.join(', ') || '(no management interface)'}:`];
  const head = [
    title(ctx, NAME), '', ...state,
    ...keys.slice(0, LISTED).map((k, i) => fit(`  ${String(i + 1).padStart(2)}  ${keyRow(k)}`)),
    ...(keys.length > LISTED ? [`  (and ${keys.length - LISTED} more)`] : []),
    '', 'Paste a public key line (the .pub file: type, base64, comment) to add it,', 'or type -N to remove key N.', '',
  ];
  const proposal = await askField<Proposal | null>(ctx, head, 'Key (Enter: back to the menu): ', (t): Checked<Proposal | null> => {
    if (t === '') return { ok: true, value: null };
    let next: string[];
    const remove = /^-\s*([0-9]{1,3})$/.exec(t);
    if (remove) {
      const n = Number(remove[1]);
      if (n < 1 || n > keys.length) return { ok: false, errors: [keys.length === 0 ? 'There is no key to remove.' : `No key ${n}: 1 to ${keys.length}.`] };
      next = keys.filter((_, i) => i !== n - 1);
    } else {
      const line = t.replace(/\s+/g, ' ');
      if (keys.includes(line)) return { ok: false, errors: ['That key is already in the list.'] };
      next = [...keys, line];
      const p = proposeChange(saved.text, setSshKeys(next));
      if (!p.ok) return p;
      // The loader checks the line's form; the blob must also hold a key of the type named.
      if (keyFingerprint(line) === undefined) return { ok: false, errors: [`Not an OpenSSH public key: its base64 does not hold a ${line.split(' ')[0]} key.`] };
      return { ok: true, value: p };
    }
    const p = proposeChange(saved.text, setSshKeys(next));
    return p.ok ? { ok: true, value: p } : p;
  }, KEY_LINE_MAX, { long: true });
  if (proposal === null) return;
  await applyScreen(ctx, tx, NAME, proposal);
}
