/**
 * The largest record or block a capture may legitimately hold. libpcap's own ceiling is 256 KiB per
 * packet (MAXIMUM_SNAPLEN, 262144) and pcapng blocks carrying jumbo/TSO frames stay far below this;
 * 256 MiB leaves room for odd writers while a corrupt length field ("4 GiB record") is refused
 * instead of being allocated.
 */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** First read size and the buffer's starting size: big enough that a syscall carries many packets. */
export const READ_CHUNK_BYTES = 1024 * 1024;
