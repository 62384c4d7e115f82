// `npm run bench:ledger`: import + verify + chain-check of about 1,000,000 reader log records into a
// fresh SQLite ledger, then the month's reconciliation. Prints records/s, peak RSS and reconciliation
// time (issue 5 targets: ≥ 15,000 records/s on 2 cores, ≤ 512 MB, ≤ 30 s).
//
// The data is generated first (test/ledger/generate.ts: honest market, records hashed into the chain,
// one signed checkpoint per export file) and written to a temporary folder; the import then runs in a
// child process so its peak RSS is the ledger's own, not the generator's.
//
//   npm run bench:ledger                 # 1,000,000 records
//   npm run bench:ledger -- --records 200000
//   npm run bench:ledger -- --tas 0        # no V8 heap cap on the import process

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ledger } from '../src/ledger/ledger';
import { reconcile } from '../src/ledger/reconcile';
import { generateMarket } from '../../test/ledger/generate';

const READERS = 50;
const DAYS = 28;
const EXPORTS_PER_READER = 4;
/** V8 old-space cap of the import process, MB (see the spawn below); `--tas 0` removes it. */
const IMPORT_HEAP_MB = Number(arg('tas') ?? 256);
/** Log records per tap slot on average (sale + commit, voids, refunds, balance inquiries). */
const RECORDS_PER_TAP = 1.64;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function importChild(dir: string): Promise<void> {
  const dbFile = path.join(dir, 'registre.sqlite');
  const ledger = await Ledger.open(dbFile);
  const fund = await ledger.loadFund(readFileSync(path.join(dir, 'fonds.cbor')));
  if (!fund.ok) throw new Error(fund.message);
  const stage = (what: string): void => {
    if (process.env.BENCH_DEBUG) console.error(what, Math.round(process.resourceUsage().maxRSS / 1024), 'Mo');
  };
  stage('fonds');
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('journal-'))
    .sort();
  const t0 = performance.now();
  let records = 0;
  for (const f of files) {
    const r = await ledger.importLog(readFileSync(path.join(dir, f)));
    if (!r.ok) throw new Error(f + ': ' + r.message);
    records += r.newRecords;
  }
  const importS = (performance.now() - t0) / 1000;
  stage('import');
  const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {
    month: number;
    after: number;
  };
  const t1 = performance.now();
  const rec = await reconcile(ledger, meta.month, meta.after);
  const recS = (performance.now() - t1) / 1000;
  stage('réconciliation');
  await ledger.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({
      records,
      files: files.length,
      importSeconds: importS,
      recordsPerSecond: Math.round(records / importS),
      reconcileSeconds: recS,
      peakRssMb: Math.round(rssMb),
      anomalies: rec.anomalies.length,
      balanced: rec.balanced,
      payable: rec.payable,
      operations: rec.vendors.reduce((s, v) => s + v.operations, 0),
    }) + '\n',
  );
}

async function main(): Promise<void> {
  const child = arg('import');
  if (child) return importChild(child);
  const target = Number(arg('records') ?? 1_000_000);
  const taps = Math.max(1, Math.round(target / (READERS * DAYS * RECORDS_PER_TAP)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'carnet-bench-ledger-'));
  try {
    const g0 = performance.now();
    const m = generateMarket({
      seed: 2026,
      readers: READERS,
      cards: Math.max(50, Math.round(target / 30)),
      days: DAYS,
      taps,
      exportsPerReader: EXPORTS_PER_READER,
      dayCheckpoints: false,
      maxAmount: 800,
    });
    writeFileSync(path.join(dir, 'fonds.cbor'), m.fundBytes);
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ month: m.month, after: m.after }));
    m.exports.forEach((files, r) =>
      files.forEach((f, i) =>
        writeFileSync(path.join(dir, `journal-${String(r).padStart(3, '0')}-${i}.cbor`), f),
      ),
    );
    console.log(
      `données générées : ${m.records} relevés, ${READERS} lecteurs, en ${((performance.now() - g0) / 1000).toFixed(1)} s`,
    );
    const self = fileURLToPath(import.meta.url);
    // The import is a long batch: its V8 old space is capped (live data stays under 100 MB; without a cap
    // V8 lets garbage of earlier files pile up before collecting it, and RSS shows that garbage).
    const heapFlag = IMPORT_HEAP_MB > 0 ? [`--max-old-space-size=${IMPORT_HEAP_MB}`] : [];
    const out = spawnSync(process.execPath, [...heapFlag, '--import', 'tsx', self, '--import', dir], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (out.status !== 0) throw new Error('import: ' + out.stderr);
    const r = JSON.parse(out.stdout.trim().split('\n').pop() as string) as Record<string, number | boolean>;
    console.log(
      `import + vérification + chaîne : ${r.records} relevés en ${(r.importSeconds as number).toFixed(1)} s = ${r.recordsPerSecond} relevés/s (objectif ≥ 15 000)`,
    );
    console.log(
      `réconciliation du mois : ${(r.reconcileSeconds as number).toFixed(1)} s (objectif ≤ 30 s), ${r.operations} opérations, équilibrée : ${r.balanced}, anomalies : ${r.anomalies}`,
    );
    console.log(
      `mémoire (pic RSS du processus d'import, ${IMPORT_HEAP_MB > 0 ? `tas V8 plafonné à ${IMPORT_HEAP_MB} Mo` : 'tas V8 sans plafond'}) : ${r.peakRssMb} Mo (objectif ≤ 512 Mo)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
