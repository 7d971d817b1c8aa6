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

/** Bytes of a file's (decompressed) beginning that tell a tar archive: its first header's ustar magic ends at 262. */
export const TAR_HEAD_BYTES = 263;

/**
 * A tar archive (`tar czf bundle.tar.gz …`, POSIX ustar or GNU: "ustar" at offset 257 of its first header), given
 * where a capture or snapshot file was expected: the bundle folder packed for the trip, which the CLI does not
 * unpack (the upload service does).
 */
export function isTarArchive(head: Uint8Array): boolean {
  return head.length >= 262 && head[257] === 0x75 && head[258] === 0x73 && head[259] === 0x74 && head[260] === 0x61 && head[261] === 0x72;
}

/** What to say of a tar archive given as an input. */
export function tarArchiveMessage(path: string): string {
  return `a tar archive: natlens reads a bundle folder and the files in it; unpack it first (tar xf ${path}) and give the folder — natlens serve takes the archive as it is`;
}
