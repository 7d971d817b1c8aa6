/**
 * Oracle: tshark must agree with our reader on every capture (field and generated, classic µs/ns,
 * pcapng, -i any): frame number, epoch time to the nanosecond, interface id and name, lengths.
 * Decoded fields (addresses, ports, …) are compared by the `natlens packets` tests.
 */
import { describe, expect, it } from 'vitest';
import { HAVE_TSHARK, parseEpoch, tsharkFields } from '../support/tshark.js';
import { capturesUnderTest } from './captures-under-test.js';
import { readAll } from './read-all.js';

const FIELDS = ['frame.number', 'frame.time_epoch', 'frame.interface_id', 'frame.interface_name', 'frame.len', 'frame.cap_len'];

describe.skipIf(!HAVE_TSHARK)('reader agrees with tshark', () => {
  for (const c of capturesUnderTest()) {
    it(c.path.replace(/^.*\/(field|natlens-generated-[^/]+)\//, ''), () => {
      const { records, interfaces } = readAll(c.path);
      const rows = tsharkFields(c.path, FIELDS);
      // tshark lists custom blocks as frames of their own (no length-bearing packet); we number them
      // the same way but yield no record.
      const packetRows = rows.filter((row) => records.some((r) => r.frame === Number(row[0])));
      expect(rows.length - packetRows.length).toBe(c.path.endsWith('multi-section.pcapng') ? 1 : 0);
      expect(records.length).toBe(packetRows.length);
      // Wireshark 4.0 maps a later section's interface ids onto the first section's interface list
      // (it does not offset them per section), so its interface columns are compared for the first
      // section only; pcapng-reader.test.ts pins the later section's interfaces explicitly.
      const firstSectionInterfaces = c.path.endsWith('multi-section.pcapng') ? 3 : Infinity;
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        const row = packetRows[i]!;
        const [sec, nsec] = parseEpoch(row[1]!);
        expect([r.frame, r.tsSec, r.tsNsec, r.origLen, r.caplen]).toEqual([Number(row[0]), sec, nsec, Number(row[4]), Number(row[5])]);
        if (c.format === 'pcapng' && r.interfaceId < firstSectionInterfaces) {
          expect([r.interfaceId, r.interfaceName]).toEqual([Number(row[2]), row[3]]);
        }
      }
      if (c.format !== 'pcapng') expect(interfaces.length).toBe(1);
    });
  }
});
