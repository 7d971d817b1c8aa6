/**
 * The reading thread (ingest-thread.ts): started as soon as the captures are known, it waits for the
 * snapshot's host state, works out which gateway interface each capture holds (interface-by-mac.ts), then
 * reads, decodes and merges the captures exactly as `mergeCaptures` does in the correlating thread, hashing
 * each file as it reads it, and streams each packet into the shared ring as a row of numbers.
 */
import { workerData } from 'node:worker_threads';
import type { Snapshot } from '../model/snapshot.js';
import { readCaptures } from './read-captures.js';
import { RingWriter, serializeError, type IngestWorkerData } from './ingest-thread.js';
import { writeRow } from './packet-row.js';

const data = workerData as IngestWorkerData | null;
if (data?.ring) run(data);

function run(data: IngestWorkerData): void {
  const out = new RingWriter(data);
  out.running();
  const setup = out.waitForSetup();
  try {
    // Placing packets and telling interfaces by MAC read the host state only (addresses, MACs, neighbours, routes).
    const snapshot: Snapshot | null = setup.host ? { rules: null, rules6: null, host: setup.host, files: [], disagreements: [], warnings: [] } : null;
    const names = new Map<string, number>();
    let lastName = '';
    let lastIndex = -1;
    const { windows, aliases } = readCaptures(
      data.paths,
      snapshot,
      {
        interfaceNames: setup.interfaceNames,
        onWarning: (warning) => out.control({ type: 'warning', warning }),
        onClockShifts: (shifts) => out.control({ type: 'clock', shifts: [...shifts] }),
        onLook: (look) => out.control({ type: 'look', look }),
        // The bytes pass through this thread anyway: hashing them here spares reading every file twice.
        digestFiles: true,
      },
      {
        packet(rec, d, file, iface) {
          if (iface !== lastName) {
            let i = names.get(iface);
            if (i === undefined) {
              i = names.size;
              names.set(iface, i);
              out.control({ type: 'iface', index: i, name: iface });
            }
            lastName = iface;
            lastIndex = i;
          }
          const at = out.claim();
          writeRow(out.rows, at, rec, d, file, lastIndex);
          out.commit();
        },
        progress(_packets, bytesRead) {
          out.setBytesRead(bytesRead);
        },
      },
    );
    out.control({ type: 'end', windows, aliases: [...aliases] });
  } catch (e) {
    out.control({ type: 'error', error: serializeError(e) });
  } finally {
    out.stopped();
  }
}
