import type { CaptureSummary } from '../model/capture.js';
import type { InputWarning } from '../model/errors.js';
import { isoNs } from '../model/time.js';
import { openCapture, type OpenCaptureOptions } from './open-capture.js';

/**
 * Read a capture through and describe it: format, size, packet count, interfaces, first and last
 * packet time (the earliest and latest, since merged captures need not be in order).
 */
export function summarizeCapture(path: string, options: OpenCaptureOptions = {}): { summary: CaptureSummary; warnings: InputWarning[] } {
  const warnings: InputWarning[] = [];
  const onWarning = (w: InputWarning): void => {
    warnings.push(w);
    options.onWarning?.(w);
  };
  const cap = openCapture(path, { ...options, onWarning });
  let packets = 0;
  let firstSec = Infinity;
  let firstNsec = 0;
  let lastSec = -Infinity;
  let lastNsec = 0;
  for (const r of cap.records()) {
    packets++;
    if (r.tsSec < firstSec || (r.tsSec === firstSec && r.tsNsec < firstNsec)) {
      firstSec = r.tsSec;
      firstNsec = r.tsNsec;
    }
    if (r.tsSec > lastSec || (r.tsSec === lastSec && r.tsNsec > lastNsec)) {
      lastSec = r.tsSec;
      lastNsec = r.tsNsec;
    }
  }
  const bytes = cap.bytesRead();
  return {
    summary: {
      path,
      format: cap.format,
      bytes,
      packets,
      interfaces: [...cap.interfaces],
      first: packets > 0 ? isoNs(firstSec, firstNsec) : null,
      last: packets > 0 ? isoNs(lastSec, lastNsec) : null,
    },
    warnings,
  };
}
