// `npm run bench:pull`: 10,000 log records pulled over a real pty pair (socat) by the real CLI code
// (runCli in-process, serialport on one end, the firmware simulator on the other). Prints the pull time
// (issue 6 target ≤ 10 s) and the payload efficiency: record bytes / bytes on the wire, both directions
// (target ≥ 85 %; SPEC.md §11.2 table). Options: --records N (default 10000).

import { runCli } from '../src/cli/main';
import { CommandIo } from '../src/cli/command';
import { dispose, sales, world } from '../src/link/e2e-world';
import { NO_FAULTS } from '../src/link/sim-reader-end';
import { openPullStore } from '../src/link/pull-store';
import { PULL_DB_FILE } from '../src/link/fund-folder';
import { fromHex } from '../../protocol/src/bytes';
import { join } from 'node:path';

const PASS = 'phrase de passe du banc 2026';
const i = process.argv.indexOf('--records');
const RECORDS = i > 0 ? Number(process.argv[i + 1]) : 10000;
const io: CommandIo = { progress: () => {}, ask: async () => PASS };

async function quiet(args: string[]): Promise<number> {
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as unknown as { write: () => boolean }).write = () => true;
  try {
    return await runCli(args, io);
  } finally {
    (process.stdout as unknown as { write: typeof orig }).write = orig;
  }
}

async function main(): Promise<void> {
  const w = await world('bench', PASS, NO_FAULTS, 0);
  try {
    const base = ['--port', w.rig.hostPath, '--caisse', w.dir];
    if ((await quiet(['lecteur', 'preparer', '--lecteur', '101'].concat(base))) !== 0)
      throw new Error('preparer');
    const log = w.sim.reader.core.log;
    const t0 = Date.now();
    while (log.nextSeq - 1 < RECORDS) sales(w, Math.max(1, Math.ceil((RECORDS - (log.nextSeq - 1)) / 2)));
    const made = log.nextSeq - 1;
    console.log(
      `${made} records on the reader (${((Date.now() - t0) / 1000).toFixed(1)} s of simulated sales)`,
    );
    const end = w.rig.end!;
    const up0 = end.bytesToHost;
    const down0 = end.bytesFromHost;
    const t1 = process.hrtime.bigint();
    const code = await quiet(['lecteur', 'releve'].concat(base));
    const secs = Number(process.hrtime.bigint() - t1) / 1e9;
    if (code !== 0) throw new Error('releve exit ' + code);
    const store = openPullStore(join(w.dir, PULL_DB_FILE));
    const recs = store.records(fromHex(w.fund.fundId), 101);
    store.close();
    const recordBytes = recs.reduce((n, r) => n + r.bytes.length, 0);
    const up = end.bytesToHost - up0;
    const down = end.bytesFromHost - down0;
    console.log(
      `pulled ${recs.length} records (${recordBytes} record bytes) in ${secs.toFixed(2)} s — ${Math.round(recs.length / secs)} records/s (target ≤ 10 s)`,
    );
    console.log(`wire: ${up} bytes reader→host, ${down} bytes host→reader`);
    console.log(
      `payload efficiency: ${((100 * recordBytes) / (up + down)).toFixed(1)} % of all wire bytes, ${((100 * recordBytes) / up).toFixed(1)} % of reader→host bytes (target ≥ 85 %)`,
    );
  } finally {
    await dispose(w);
  }
}

await main();
