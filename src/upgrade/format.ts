// The bundle's fixed numbers. One file: a fixed header, the manifest (JSON), the Ed25519
// signature over the exact manifest bytes, then the payload (the parts, back to back).
//
//   offset  size  field
//   0       16    magic "STOCKADE BUNDLE\n" (so `head -1` names the file)
//   16      2     format version (big-endian), FORMAT_VERSION
//   18      2     header length, HEADER_LENGTH (a later format may grow it)
//   20      4     manifest length
//   24      4     signature length: 0 (unsigned) or SIGNATURE_LENGTH
//   28      4     reserved, 0
//   32      8     payload length (the sum of the manifest's part sizes)
//   40      8     reserved, 0
//
// The header is not signed; every field is either fixed or checked against the signed manifest,
// so a changed header byte is still refused.

export const MAGIC = new TextEncoder().encode('STOCKADE BUNDLE\n');
export const FORMAT_VERSION = 1;
export const HEADER_LENGTH = 48;

/** The signature block: the signer's key id, then the Ed25519 signature. */
export const KEY_ID_LENGTH = 8;
export const ED25519_SIGNATURE_LENGTH = 64;
export const SIGNATURE_LENGTH = KEY_ID_LENGTH + ED25519_SIGNATURE_LENGTH;

/** Bounds on what is read before anything is verified (RAUC caps its signature at 64 KiB). */
export const MAX_MANIFEST_LENGTH = 1 << 20;
export const MIN_CHUNK_SIZE = 512;
export const MAX_CHUNK_SIZE = 16 << 20;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** Larger than any slot a board has; keeps sizes exact in a double. */
export const MAX_PART_SIZE = 2 ** 40;
export const MAX_SECURITY_EPOCH = 2 ** 31 - 1;

/** The one part this stockade installs: the slot's root squashfs (with its /boot kernel and initramfs). */
export const ROOTFS_PART = 'rootfs';
