// Reproduction of a firmware defect found by the simulation: refunding ('C') a sale of an earlier Z period
// (made before the reader's last day close, or on an earlier day) makes the next DAY_CLOSE record carry a
// negative count (and total): core.ts dayClose() clamps the per-category counts but not run.zCount /
// run.zCovered, which state.ts decrements on REFUND_COMMIT. The record is refused by the protocol's own
// decoder (STRUCT_SHAPE, "count" must be a positive integer), so the reader's log can no longer be pulled
// past it: the ledger refuses the export, nothing after it is ever acknowledged, the log fills up.
// Run: npx tsx test/sim/simulate/repro/z-negatif.ts — exits 0 since the defect was fixed in firmware/src/app/state.ts: "cancel last sale" ends with the Z period (day close or new day), and core.ts never writes a negative DAY_CLOSE; 1 if it comes back (test/sim/simulate/regressions.test.ts).

import { memberCard, provisionedReader } from '../../fund';
import { decodeLogRecord } from '../../../../protocol/src/structures/log';

const p = provisionedReader('repro-z');
const card = memberCard();
p.sim.keys('1000#1');
p.sim.tap(card);
p.sim.removeCard();
p.sim.advance(60_000);
p.sim.keys('D#'); // day close (Z report)
p.sim.advance(60_000);
p.sim.keys('C'); // cancel the last sale: the one before the close
p.sim.tap(card);
p.sim.removeCard();
p.sim.advance(60_000);
p.sim.keys('D#');
const log = p.sim.reader.core.log;
const last = log.record(log.nextSeq - 1);
const d = last === null ? null : decodeLogRecord(last);
console.log('dernier relevé : ' + (last === null ? '—' : Buffer.from(last).toString('hex')));
console.log(d === null ? 'aucun' : d.ok ? 'lisible' : 'ILLISIBLE : ' + d.code + ' ' + d.message);
process.exitCode = d !== null && d.ok ? 0 : 1;
