/** Test helper: read a capture completely, copying each record (the reader reuses one object). */
import type { CaptureRecord } from '../../src/model/capture.js';
import type { InputWarning } from '../../src/model/errors.js';
import { memorySource } from '../../src/ingest/byte-source.js';
import { openCapture, type OpenCaptureOptions } from '../../src/ingest/open-capture.js';

export type CopiedRecord = Omit<CaptureRecord, 'data'> & { data: Uint8Array };

export function readAll(
  path: string,
  options: OpenCaptureOptions = {},
): { records: CopiedRecord[]; warnings: InputWarning[]; format: string; interfaces: unknown[] } {
  const warnings: InputWarning[] = [];
  const cap = openCapture(path, { ...options, onWarning: (w) => warnings.push(w) });
  const records: CopiedRecord[] = [];
  // The CaptureRecord fields only (not the reader's buffer behind them), with the bytes copied.
  for (const r of cap.records()) {
    const { file, frame, offset, tsSec, tsNsec, caplen, origLen, linkType, interfaceId, interfaceName } = r;
    records.push({ file, frame, offset, tsSec, tsNsec, caplen, origLen, linkType, interfaceId, interfaceName, data: r.data.slice() });
  }
  return { records, warnings, format: cap.format, interfaces: [...cap.interfaces] };
}

/** Same over in-memory bytes, delivered `chunk` bytes per read to exercise buffer boundaries. */
export function readBytes(bytes: Uint8Array, chunk = Number.MAX_SAFE_INTEGER, options: OpenCaptureOptions = {}) {
  return readAll('mem.pcap', { ...options, source: memorySource('mem.pcap', bytes, chunk) });
}
