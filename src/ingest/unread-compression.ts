/**
 * Compressed files natlens does not unpack itself: it reads gzip (gzip-source.ts), the one format tcpdump's `-z`
 * rotation hook and most collectors use; a capture compressed otherwise is recognised by its magic, so that it
 * is named for what it is, with the command that unpacks it, rather than taken for an unknown binary file.
 */
const FORMATS: readonly { name: string; magic: readonly number[]; unpack: string }[] = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], unpack: 'xz -d' },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], unpack: 'zstd -d' },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68], unpack: 'bzip2 -d' },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18], unpack: 'lz4 -d' },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04], unpack: 'unzip' },
  { name: '7z', magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], unpack: '7z x' },
];

/** The compression format `head` (a file's first bytes) starts with, among those natlens does not read; null otherwise. */
export function unreadCompression(head: Uint8Array): { name: string; unpack: string } | null {
  for (const f of FORMATS) if (f.magic.length <= head.length && f.magic.every((b, k) => head[k] === b)) return { name: f.name, unpack: f.unpack };
  return null;
}

/** What to say of such a file: what it is and how to give it instead. */
export function unreadCompressionMessage(c: { name: string; unpack: string }, path: string): string {
  return `${c.name}-compressed: natlens reads captures plain or gzip-compressed; unpack it first (${c.unpack} ${path}), or compress with gzip`;
}
