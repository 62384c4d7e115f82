// Flash figures of the reader's log (issue 4 report): bytes per sale, records per 48 KB, flash for 1,000
// records. Measured on the simulator's real sales, not estimated. Run: npx tsx test/sim/log-figures.ts
import { memberCard, provisionedReader } from './fund';
import { LOG_SALE_COMMIT, LOG_SALE_PENDING, encodeLogRecord } from '../../protocol/src/structures/log';
import {
  LOG_RECORD_OVERHEAD,
  LOG_SEGMENT_BYTES,
  LOG_SEGMENT_HEADER_BYTES,
  LOG_SEGMENTS,
} from '../../firmware/src/app/flashlog';
import { logRecords } from './helpers';

const p = provisionedReader('figures');
const sim = p.sim;
const card = memberCard();
const b0 = sim.flash.bytesWritten;
for (let i = 0; i < 5; i++) {
  sim.keys('1234#1');
  sim.tap(card);
  sim.removeCard();
  sim.advance(5000);
}
const perSaleFlash = (sim.flash.bytesWritten - b0) / 5;
const recs = logRecords(sim);
const pending = recs.filter((r) => r.kind === LOG_SALE_PENDING).map((r) => encodeLogRecord(r).length);
const commit = recs.filter((r) => r.kind === LOG_SALE_COMMIT).map((r) => encodeLogRecord(r).length);
const avgRecord = (pending[0] + commit[0]) / 2 + LOG_RECORD_OVERHEAD;
const perSeg = LOG_SEGMENT_BYTES - LOG_SEGMENT_HEADER_BYTES;
function recordsIn(bytes: number): number {
  const segs = Math.floor(bytes / LOG_SEGMENT_BYTES);
  // Records of one sale come in pairs; count whole records per segment.
  let n = 0;
  for (let s = 0; s < segs; s++) {
    let room = perSeg;
    let k = 0;
    for (;;) {
      const size = (k % 2 === 0 ? pending[0] : commit[0]) + LOG_RECORD_OVERHEAD;
      if (size > room) break;
      room -= size;
      k++;
    }
    n += k;
  }
  return n;
}
console.log(
  'SALE_PENDING record: ' +
    pending[0] +
    ' B; SALE_COMMIT: ' +
    commit[0] +
    ' B; framing ' +
    LOG_RECORD_OVERHEAD +
    ' B each',
);
console.log('flash written per sale (log records + marks, measured): ' + perSaleFlash + ' B');
console.log(
  'segment: ' +
    LOG_SEGMENT_BYTES +
    ' B, header ' +
    LOG_SEGMENT_HEADER_BYTES +
    ' B; default log ' +
    LOG_SEGMENTS +
    ' segments = ' +
    (LOG_SEGMENTS * LOG_SEGMENT_BYTES) / 1024 +
    ' KB',
);
const r48 = recordsIn(48 * 1024);
console.log(
  'records per 48 KB of segments (sale records only): ' + r48 + ' (' + Math.floor(r48 / 2) + ' sales)',
);
const rDef = recordsIn(LOG_SEGMENTS * LOG_SEGMENT_BYTES);
console.log(
  'records in the default log: ' +
    rDef +
    ' (' +
    Math.floor(rDef / 2) +
    ' sales between two acknowledged syncs)',
);
console.log(
  'flash for 1,000 sale records (500 sales): ' +
    Math.ceil((1000 * avgRecord) / perSeg) * LOG_SEGMENT_BYTES +
    ' B in whole segments (' +
    Math.round(1000 * avgRecord) +
    ' B of records)',
);
