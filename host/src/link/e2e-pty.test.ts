// End to end through a real pty pair (socat): the firmware simulator owns one end through serialport, the
// real CLI (runCli, in-process, opening the other end with serialport) provisions the reader, 1,000
// simulated sales are made on the reader, the log is pulled and checked: every record stored exactly once,
// chain intact, reader acked. Then the same under seeded faults (bytes dropped, duplicated, corrupted, the
// link cut and socat killed and restarted) during provisioning and pulls, and the refusals.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../cli/main';
import { CommandIo } from '../cli/command';
import { World, dispose, sales, world } from './e2e-world';
import { FaultPlan, NO_FAULTS, seededRandom } from './sim-reader-end';
import { createFund, PULL_DB_FILE, FundFile, FUND_FILE } from './fund-folder';
import { openPullStore } from './pull-store';
import { Ledger } from '../ledger/ledger';
import { encodeFundBundle } from '../ledger/export';
import { nowSeconds } from './reader-client';
import { fromHex } from '../../../protocol/src/bytes';
import { sha256Host } from '../../../protocol/src/node/ed25519';
import {
  LOG_SALE_COMMIT,
  chainGenesis,
  decodeLogRecord,
  verifyLogRun,
} from '../../../protocol/src/structures/log';

const PASS = 'phrase de passe de test 2026';
const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const FAULT_SEED = 61123;
console.log('e2e pty fault seed', FAULT_SEED);

const io: CommandIo = { progress: () => {}, ask: async () => PASS };

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const orig = process.stdout.write.bind(process.stdout);
  let out = '';
  (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => {
    out += s;
    return true;
  };
  try {
    const code = await runCli(args, io);
    return { code, out };
  } finally {
    (process.stdout as unknown as { write: typeof orig }).write = orig;
  }
}

/** Every record of the store: contiguous from 1, each once, chain intact up to the reader's own hash. */
function checkStore(w: World): { count: number; commits: number } {
  const fundId = fromHex(w.fund.fundId);
  const s = openPullStore(join(w.dir, PULL_DB_FILE));
  const recs = s.records(fundId, 101);
  s.close();
  recs.forEach((r, i) => expect(r.seq).toBe(i + 1));
  const run = verifyLogRun(
    chainGenesis(fundId, 101, sha256Host),
    1,
    recs.map((r) => r.bytes),
    sha256Host,
  );
  expect(run.ok).toBe(true);
  const last = recs.length;
  const h = w.sim.reader.core.log.hashAt(last);
  if (h !== null) expect(Buffer.from(h).equals(Buffer.from(run.value.head))).toBe(true);
  let commits = 0;
  for (const r of recs) {
    const d = decodeLogRecord(r.bytes);
    if (d.ok && d.value.kind === LOG_SALE_COMMIT) commits++;
  }
  return { count: recs.length, commits };
}

describe('carnet lecteur over a real pty pair', () => {
  let w: World;
  beforeAll(async () => {
    // The reader's clock is 3 days late: provisioning must set it (with the root key).
    w = await world('e2e', PASS, NO_FAULTS, -3 * 86400);
  });
  afterAll(async () => {
    await dispose(w);
  });

  it('provisions, takes 1,000 sales, pulls every record exactly once, re-pulls harmlessly', async () => {
    const p = await cli([
      'lecteur',
      'preparer',
      '--port',
      w.rig.hostPath,
      '--caisse',
      w.dir,
      '--lecteur',
      '101',
      '--json',
    ]);
    expect(p.code).toBe(0);
    const pj = JSON.parse(p.out);
    expect(pj.state).toBe(2);
    expect(pj.steps.find((s: { name: string }) => s.name === 'heure').done).toBe(true);
    expect(Math.abs(w.sim.clock.now - nowSeconds())).toBeLessThan(5);

    const st = await cli(['lecteur', 'etat', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.out).readerId).toBe(101);

    // First-boot checklist (hardware/README.md): the self-test answers and prints its receipt.
    const printedBefore = w.sim.printed.length;
    const at = await cli(['lecteur', 'autotest', '--port', w.rig.hostPath, '--json']);
    const aj = JSON.parse(at.out);
    expect(aj.entries.find((e: { name: string }) => e.name === 'ed25519').ok).toBe(true);
    expect(at.code).toBe(aj.entries.every((e: { ok: boolean }) => e.ok) ? 0 : 1);
    expect(w.sim.printed.length).toBe(printedBefore + 1);
    expect(w.sim.lastPrintedText()).toContain('AUTOTEST DU LECTEUR');

    expect(sales(w, 1000)).toBe(1000);
    const headBefore = w.sim.reader.core.log.nextSeq - 1;
    const r = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(r.code).toBe(0);
    const rj = JSON.parse(r.out);
    expect(rj.acked).toBe(true);
    expect(rj.storedSeq).toBe(headBefore);
    expect(w.sim.reader.core.run.ackedSeq).toBe(headBefore);
    const c1 = checkStore(w);
    expect(c1.commits).toBe(1000);

    // Again: only the reader's own "log acknowledged" record is new; nothing is stored twice.
    const r2 = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.out).newRecords).toBe(1);
    const c2 = checkStore(w);
    expect(c2.count).toBe(c1.count + 1);
    expect(c2.commits).toBe(1000);

    // Each pull also wrote a log export (SPEC §14.1) for the treasurer: the ledger takes them in, in order.
    const fundNow = JSON.parse(readFileSync(join(w.dir, FUND_FILE), 'utf8')) as FundFile;
    const entry = fundNow.readers.find((x) => x.readerId === 101);
    expect(entry?.certificate).toBeDefined();
    const ledgerPath = join(w.dir, 'registre.sqlite');
    const ledger = await Ledger.open(ledgerPath);
    const loaded = await ledger.loadFund(
      encodeFundBundle({
        fundId: fromHex(fundNow.fundId),
        rootPublicKey: fromHex(fundNow.rootPublicKey),
        utcOffsetMin: 60,
        keyCertificates: [fromHex(fundNow.operatorCertificate), fromHex(fundNow.issuerCertificate)],
        readerCertificates: [fromHex(entry?.certificate as string)],
        vouchers: [],
        blocklists: [],
      }),
    );
    expect(loaded).toMatchObject({ ok: true });
    const fromOf = (f: string): number => Number(f.split('-')[3]);
    const files = readdirSync(join(w.dir, 'exports')).sort((a, b) => fromOf(a) - fromOf(b));
    expect(files.length).toBe(2);
    let imported = 0;
    for (const f of files) {
      const r = await ledger.importLog(new Uint8Array(readFileSync(join(w.dir, 'exports', f))));
      expect(r).toMatchObject({ ok: true, status: 'importe' });
      if (r.ok) imported += r.newRecords;
    }
    expect(imported).toBe(c2.count);
    await ledger.close();

    // With --grand-livre the pull goes straight into the ledger, before the ACK.
    expect(sales(w, 3)).toBe(3);
    const r3 = await cli([
      'lecteur',
      'releve',
      '--port',
      w.rig.hostPath,
      '--caisse',
      w.dir,
      '--grand-livre',
      ledgerPath,
      '--json',
    ]);
    expect(r3.code).toBe(0);
    expect(JSON.parse(r3.out).acked).toBe(true);
    const again = await Ledger.open(ledgerPath);
    const n = await again.query('SELECT COUNT(*) AS n FROM records WHERE reader_id = ?', [101]);
    expect(Number(n[0].n)).toBe(checkStore(w).count);
    await again.close();

    // A ledger that refuses the pull (here: it does not know the fund) means no ACK: the reader keeps all.
    expect(sales(w, 1)).toBe(1);
    const ackedBefore = w.sim.reader.core.run.ackedSeq;
    const r4 = await cli([
      'lecteur',
      'releve',
      '--port',
      w.rig.hostPath,
      '--caisse',
      w.dir,
      '--grand-livre',
      join(w.dir, 'vide.sqlite'),
    ]);
    expect(r4.code).toBe(65);
    expect(w.sim.reader.core.run.ackedSeq).toBe(ackedBefore);
  }, 120000);

  it('lecteur liste says the pty is a carnet reader; the CLI as a child process reads its status', async () => {
    const l = await cli(['lecteur', 'liste', '--port', w.rig.hostPath, '--json']);
    expect(l.code).toBe(0);
    const row = JSON.parse(l.out).find((r: { path: string }) => r.path === w.rig.hostPath);
    expect(row.carnet).toBe(true);
    expect(row.readerId).toBe(101);
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'host', 'bin', 'carnet.mjs'),
        'lecteur',
        'etat',
        '--port',
        w.rig.hostPath,
        '--caisse',
        w.dir,
      ],
      { env: { ...process.env, CARNET_PASSPHRASE: PASS }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
    expect(text).toContain('Lecteur n° 101 — en service');
    expect(text).toContain('configuration 1, annuaire 1, liste de blocage 1');
    expect(code).toBe(0);
  }, 60000);

  it('flags a clock far off, and sets it with --regler-heure', async () => {
    w.sim.clock.now += 3600;
    const r = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('--regler-heure');
    const r2 = await cli([
      'lecteur',
      'releve',
      '--port',
      w.rig.hostPath,
      '--caisse',
      w.dir,
      '--regler-heure',
    ]);
    expect(r2.code).toBe(0);
    expect(Math.abs(w.sim.clock.now - nowSeconds())).toBeLessThan(5);
  }, 30000);

  it('refuses a reader of another fund, an unknown and a revoked reader', async () => {
    const other = mkdtempSync(join(tmpdir(), 'carnet-autre-'));
    createFund(other, PASS, nowSeconds());
    const r = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', other, '--json']);
    expect(r.code).toBe(65);
    expect(r.out).toContain('WRONG_FUND');
    const p = await cli([
      'lecteur',
      'preparer',
      '--port',
      w.rig.hostPath,
      '--caisse',
      other,
      '--lecteur',
      '101',
    ]);
    expect(p.code).toBe(65);
    rmSync(other, { recursive: true, force: true });

    const file = join(w.dir, FUND_FILE);
    const saved = readFileSync(file, 'utf8');
    const f = JSON.parse(saved) as FundFile;
    f.readers[0].revoked = true;
    writeFileSync(file, JSON.stringify(f));
    const rv = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(rv.code).toBe(65);
    expect(rv.out).toContain('REVOKED_READER');
    const pv = await cli([
      'lecteur',
      'preparer',
      '--port',
      w.rig.hostPath,
      '--caisse',
      w.dir,
      '--lecteur',
      '101',
    ]);
    expect(pv.code).toBe(65);
    f.readers = [];
    writeFileSync(file, JSON.stringify(f));
    const un = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(un.code).toBe(65);
    expect(un.out).toContain('UNKNOWN_READER');
    writeFileSync(file, saved);
  }, 30000);

  it('a chain that does not extend what is stored: stops, keeps what verified, acks nothing', async () => {
    sales(w, 3);
    const acked = w.sim.reader.core.run.ackedSeq;
    const db = new Database(join(w.dir, PULL_DB_FILE));
    db.prepare('UPDATE log_head SET head = ?').run(Buffer.alloc(32, 7));
    db.close();
    const r = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.gap.code).toBe('LOG_CHAIN_BROKEN');
    expect(j.acked).toBe(false);
    expect(w.sim.reader.core.run.ackedSeq).toBe(acked);
  }, 30000);

  it('maintenance gives the console back: the reader says so and refuses pulls', async () => {
    const m = await cli(['lecteur', 'maintenance', '--port', w.rig.hostPath, '--caisse', w.dir]);
    expect(m.code).toBe(0);
    expect(w.sim.reader.core.maintenance).toBe(true);
    const st = await cli(['lecteur', 'etat', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(JSON.parse(st.out).state).toBe(3);
    expect(st.code).toBe(1);
    const r = await cli(['lecteur', 'releve', '--port', w.rig.hostPath, '--caisse', w.dir, '--json']);
    expect(r.code).toBe(69);
    expect(r.out).toContain('MAINTENANCE');
  }, 30000);
});

describe('carnet lecteur over a pty pair with seeded faults', () => {
  it('every committed record ends in the store exactly once despite faults and pulled cables', async () => {
    const plan: FaultPlan = { seed: FAULT_SEED, drop: 0.0005, duplicate: 0.0005, corrupt: 0.0005 };
    const w = await world('faults', PASS, plan, 0);
    const rnd = seededRandom(FAULT_SEED);
    let chaos = true;
    let cuts = 0;
    let busy: Promise<void> = Promise.resolve();
    // Chaos: every 0.3-1.4 s (seeded), cut the link for 2.5 s (longer than the 1.8 s retry span) or kill
    // socat and restart it 0.2 s later.
    const loop = (async () => {
      while (chaos) {
        await new Promise((r) => setTimeout(r, 100 + rnd() * 400));
        if (!chaos) break;
        cuts++;
        if (rnd() < 0.5) {
          const end = w.rig.end!;
          end.unplugged = true;
          await new Promise((r) => setTimeout(r, 2500));
          end.unplugged = false;
        } else {
          busy = w.rig.unplug(200);
          await busy;
        }
        await new Promise((r) => setTimeout(r, 200 + rnd() * 600));
      }
    })();
    async function until(args: string[], max: number): Promise<{ tries: number; out: string }> {
      for (let i = 1; i <= max; i++) {
        await busy;
        const r = await cli(args);
        if (r.code === 0) return { tries: i, out: r.out };
        if (r.code !== 69) console.log('unexpected exit', r.code, r.out);
        expect(r.code).toBe(69);
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('no success after ' + max + ' tries');
    }
    try {
      const base = ['--port', w.rig.hostPath, '--caisse', w.dir, '--json'];
      const p = await until(['lecteur', 'preparer', '--lecteur', '101'].concat(base), 40);
      console.log('provisioned after', p.tries, 'tries');
      let committed = 0;
      for (let round = 0; round < 5; round++) {
        committed += sales(w, 60);
        const r = await until(['lecteur', 'releve'].concat(base), 40);
        console.log('pull round', round, 'after', r.tries, 'tries');
      }
      chaos = false;
      await loop;
      await busy;
      const last = await cli(['lecteur', 'releve'].concat(base));
      expect(last.code).toBe(0);
      const c = checkStore(w);
      console.log(
        'faults',
        JSON.stringify({
          cuts,
          restarts: w.rig.restarts,
          up: w.rig.end!.up.counts,
          down: w.rig.end!.down.counts,
        }),
      );
      expect(committed).toBe(300);
      expect(c.commits).toBe(300);
      expect(cuts).toBeGreaterThan(0);
      expect(w.sim.reader.core.run.ackedSeq).toBe(c.count);
      expect(w.rig.restarts).toBeGreaterThan(0);
    } finally {
      chaos = false;
      await loop;
      await dispose(w);
    }
  }, 150000);
});
