// Shared vocabulary every part may use (it imports no part): the user-facing error and exit
// statuses, where output goes, the log shape, addresses as numbers and text, HMAC, rate limits,
// the after-poll timeout.
export { EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, UserError } from './user-error.ts';
export { processIo } from './io.ts';
export type { Io } from './io.ts';
export { createHmac, timingSafeEqual } from './hmac.ts';
export { nodeCrypto } from './node-crypto.ts';
export { formatIpv4, isMulticast, mustParseIpv4, parseIpv4 } from './ipv4.ts';
export type { Ipv4 } from './ipv4.ts';
export { isMac, parseMac } from './mac.ts';
export { formatIpv6, isIpv6Text, parseIpv6, writeIpv6 } from './ipv6.ts';
export type { Level, Log, LogStats } from './log.ts';
export { AfterPollTimer } from './after-poll.ts';
export { RateLimiter } from './rate-limit.ts';
export { contains, formatPrefix, isSpecial, maskOf, overlaps, parsePrefix } from './ipv4-prefix.ts';
export type { Ipv4Prefix } from './ipv4-prefix.ts';
export { macAt } from './mac.ts';
export { TEXT_WIDTH, wrapLongLines, wrapWords, wrappedText } from './wrap-words.ts';
