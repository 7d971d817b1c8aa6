import { ConnField } from './connection-table.js';

/**
 * What ping's own replies say about an echo request the captures show arriving but never leaving. A capture can
 * miss packets (a busy gateway's capture buffer overflows); the far end cannot answer a request it never got. An
 * echo reply of the same sequence number that the gateway relayed back (its copy matched on both interfaces) means
 * the request got through: the gateway forwarded it and the capture missed the copy.
 *
 * Kept per ICMP connection and direction in the connection table's row, in the fields TCP's acknowledgments use
 * (ICMP connections have none): the highest echo reply sequence number relayed (ECHO_MAX) and a bit for each of the
 * 32 numbers up to it (ECHO_BITS, bit k = ECHO_MAX − k), compared modulo 2^16.
 */
const ECHO_MAX = ConnField.ACK_MAX;
const ECHO_BITS = ConnField.SEQ_END_MAX;
const SEEN = ConnField.TCP_SEEN;

/** Record an echo reply with sequence number `seq` relayed back in direction `dir` of connection row `row`. */
export function observeEchoReply(f: Float64Array, row: number, dir: 0 | 1, seq: number): void {
  const seen = f[row + SEEN]!;
  if (!(seen & (1 << dir))) {
    f[row + SEEN] = seen | (1 << dir);
    f[row + ECHO_MAX + dir] = seq;
    f[row + ECHO_BITS + dir] = 1;
    return;
  }
  const max = f[row + ECHO_MAX + dir]!;
  const ahead = (((seq - max) & 0xffff) << 16) >> 16;
  const bits = f[row + ECHO_BITS + dir]!;
  if (ahead > 0) {
    f[row + ECHO_MAX + dir] = seq;
    f[row + ECHO_BITS + dir] = ahead >= 32 ? 1 : ((bits << ahead) | 1) >>> 0;
  } else if (ahead > -32) {
    f[row + ECHO_BITS + dir] = (bits | (1 << -ahead)) >>> 0;
  }
}

/** Whether an echo reply with sequence number `seq` was relayed back in direction `dir` (among the last 32 numbers). */
export function echoAnswered(f: Float64Array, row: number, dir: 0 | 1, seq: number): boolean {
  if (!(f[row + SEEN]! & (1 << dir))) return false;
  const behind = (((f[row + ECHO_MAX + dir]! - seq) & 0xffff) << 16) >> 16;
  return behind >= 0 && behind < 32 && (f[row + ECHO_BITS + dir]! & (1 << behind)) !== 0;
}
