// `carnet tresorerie …` (English: `carnet treasury …`): the treasurer's ledger commands.

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fromHex } from '../../../protocol/src/bytes';
import { parseMonthLabel } from '../../../protocol/src/time';
import { CliError, CommandOutput, CommandSpec, OptionSpec, registerCommand } from '../cli/command';
import {
  EXIT_DATAERR,
  EXIT_FINDINGS,
  EXIT_NOINPUT,
  EXIT_OK,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
} from '../cli/exit-codes';
import { money } from '../cli/i18n';
import { Ledger, Refusal } from '../ledger/ledger';
import { reconcile } from '../ledger/reconcile';
import { reportHtml } from '../ledger/report';
import {
  confirmAnomaly,
  createPaymentBatch,
  markBatchPaid,
  monthCsv,
  nextBlocklist,
  parseVendors,
  vendorCsv,
  VendorsFile,
} from '../ledger/outputs';

/** Default ledger file when neither --base nor CARNET_REGISTRE is given. */
export const DEFAULT_LEDGER = 'carnet-registre.sqlite';

const baseOpt: OptionSpec = {
  name: 'base',
  alias: 'db',
  kind: 'string',
  summary: {
    fr: 'registre : fichier SQLite ou URL postgres://',
    en: 'ledger: SQLite file or postgres:// URL',
  },
};
const monthOpt: OptionSpec = {
  name: 'mois',
  alias: 'month',
  kind: 'string',
  required: true,
  summary: { fr: 'mois AAAA-MM', en: 'month YYYY-MM' },
};
const vendorsOpt: OptionSpec = {
  name: 'commercants',
  alias: 'vendors',
  kind: 'string',
  summary: { fr: 'fichier des commerçants (JSON)', en: 'vendors file (JSON)' },
};
const outOpt: OptionSpec = {
  name: 'sortie',
  alias: 'out',
  kind: 'string',
  summary: { fr: 'fichier ou dossier de sortie', en: 'output file or folder' },
};
const fileOpt: OptionSpec = {
  name: 'fichier',
  alias: 'file',
  kind: 'string',
  required: true,
  summary: { fr: 'fichier à lire', en: 'file to read' },
};

type Args = Record<string, string | number | boolean | undefined>;

async function openLedger(a: Args): Promise<Ledger> {
  const where = String(a.base ?? process.env.CARNET_REGISTRE ?? DEFAULT_LEDGER);
  try {
    return await Ledger.open(where);
  } catch (e) {
    throw new CliError(
      'REGISTRE_INDISPONIBLE',
      'registre inaccessible (' + where + ') : ' + (e as Error).message,
      EXIT_UNAVAILABLE,
    );
  }
}

function readInput(p: string): Buffer {
  try {
    return readFileSync(p);
  } catch {
    throw new CliError('FICHIER_ABSENT', 'fichier introuvable : ' + p, EXIT_NOINPUT);
  }
}

function month(a: Args): number {
  const m = parseMonthLabel(String(a.mois));
  if (m === null)
    throw new CliError('MOIS_INVALIDE', 'mois attendu sous la forme AAAA-MM : ' + String(a.mois), EXIT_USAGE);
  return m;
}

function refused(r: Refusal): never {
  throw new CliError(r.code, r.message, EXIT_DATAERR);
}

function vendorsFrom(a: Args, required: boolean): VendorsFile | null {
  if (a.commercants === undefined) {
    if (required)
      throw new CliError(
        'VENDEURS_MANQUANT',
        'indiquez le fichier des commerçants (--commercants)',
        EXIT_USAGE,
      );
    return null;
  }
  const v = parseVendors(readInput(String(a.commercants)).toString('utf8'));
  if (!v.ok) refused(v);
  return v.value;
}

/** Current time; CARNET_NOW (seconds) fixes it for tests and for re-running a past month's steps. */
function now(): number {
  const fixed = process.env.CARNET_NOW;
  return fixed !== undefined && /^[0-9]+$/.test(fixed) ? Number(fixed) : Math.floor(Date.now() / 1000);
}

async function withLedger(a: Args, fn: (l: Ledger) => Promise<CommandOutput>): Promise<CommandOutput> {
  const l = await openLedger(a);
  try {
    return await fn(l);
  } finally {
    await l.close();
  }
}

const commands: CommandSpec[] = [
  {
    path: ['tresorerie', 'caisse'],
    alias: ['treasury', 'fund'],
    summary: {
      fr: 'importer le dossier de la caisse (clés, lecteurs, bons, listes de blocage)',
      en: 'import the fund bundle',
    },
    options: [baseOpt, fileOpt],
    run: (a) =>
      withLedger(a, async (l) => {
        const r = await l.loadFund(readInput(String(a.fichier)));
        if (!r.ok) refused(r);
        return {
          lines: [`Dossier de la caisse importé : ${r.added} éléments nouveaux.`],
          json: r,
          exitCode: EXIT_OK,
        };
      }),
  },
  {
    path: ['tresorerie', 'importer'],
    alias: ['treasury', 'import'],
    summary: {
      fr: 'importer des exports de journal (fichier ou dossier)',
      en: 'import log exports (file or folder)',
    },
    options: [baseOpt, fileOpt],
    run: (a, io) =>
      withLedger(a, async (l) => {
        const p = String(a.fichier);
        let files = [p];
        try {
          if (statSync(p).isDirectory())
            files = readdirSync(p)
              .filter((f) => f.endsWith('.cbor'))
              .sort()
              .map((f) => path.join(p, f));
        } catch {
          throw new CliError('FICHIER_ABSENT', 'fichier introuvable : ' + p, EXIT_NOINPUT);
        }
        const lines: string[] = [];
        const results = [];
        let refusedCount = 0;
        for (let i = 0; i < files.length; i++) {
          io.progress('import', i, files.length);
          const r = await l.importLog(readInput(files[i]), 'fichier:' + path.basename(files[i]));
          results.push(Object.assign({ file: files[i] }, r));
          if (!r.ok) {
            refusedCount++;
            lines.push(`${files[i]} : REFUSÉ — ${r.message}`);
          } else {
            lines.push(
              `${files[i]} : lecteur n° ${r.readerId}, relevés ${r.fromSeq} à ${r.toSeq}, ${r.newRecords} nouveaux` +
                (r.status === 'deja' ? ' (déjà importé)' : '') +
                (r.uncovered > 0 ? `, ${r.uncovered} non signés laissés pour le prochain export` : '') +
                (r.anomalies.length > 0 ? `, anomalies : ${r.anomalies.join(', ')}` : ''),
            );
          }
        }
        io.progress('import', files.length, files.length);
        return { lines, json: results, exitCode: refusedCount > 0 ? EXIT_DATAERR : EXIT_OK };
      }),
  },
  {
    path: ['tresorerie', 'rapport'],
    alias: ['treasury', 'report'],
    summary: { fr: 'rapport HTML du mois (graphiques, anomalies, conservation)', en: 'monthly HTML report' },
    options: [
      baseOpt,
      monthOpt,
      vendorsOpt,
      outOpt,
      {
        name: 'provisoire',
        alias: 'provisional',
        kind: 'boolean',
        summary: { fr: 'accepter un mois non clos', en: 'accept a month not closed' },
      },
    ],
    run: (a) =>
      withLedger(a, async (l) => {
        const m = month(a);
        const rec = await reconcile(l, m, now());
        if (!rec.closed && !a.provisoire) {
          throw new CliError(
            'MOIS_NON_CLOS',
            `le mois ${rec.label} n’est pas clos` +
              (rec.openReaders.length > 0
                ? ` : journaux incomplets pour les lecteurs n° ${rec.openReaders.join(', ')}`
                : '') +
              ' (--provisoire pour un rapport provisoire)',
            EXIT_DATAERR,
          );
        }
        const v = vendorsFrom(a, false);
        const out = String(a.sortie ?? `rapport-${rec.label}.html`);
        writeFileSync(out, reportHtml(rec, v ? v.categories : new Map(), now()));
        return {
          lines: [
            `Rapport écrit : ${out}`,
            `À payer : ${money(rec.payable)} ; retenu : ${money(rec.held)} ; anomalies : ${rec.anomalies.length}`,
            `Conservation : ${rec.balanced ? 'équilibrée' : 'NON équilibrée'}`,
          ],
          json: Object.assign({ file: out }, rec),
          exitCode: rec.anomalies.length > 0 || !rec.balanced ? EXIT_FINDINGS : EXIT_OK,
        };
      }),
  },
  {
    path: ['tresorerie', 'csv'],
    alias: ['treasury', 'csv'],
    summary: { fr: 'CSV comptables du mois et relevés par commerçant', en: 'accounting CSV files' },
    options: [baseOpt, monthOpt, vendorsOpt, outOpt],
    run: (a) =>
      withLedger(a, async (l) => {
        const rec = await reconcile(l, month(a), now());
        const v = vendorsFrom(a, false);
        const dir = String(a.sortie ?? '.');
        mkdirSync(dir, { recursive: true });
        const files = [path.join(dir, `mois-${rec.label}.csv`)];
        writeFileSync(files[0], monthCsv(rec, v));
        for (const line of rec.vendors) {
          const f = path.join(dir, `commercant-${line.vendorId}-${rec.label}.csv`);
          writeFileSync(f, await vendorCsv(l, rec, line.vendorId, v));
          files.push(f);
        }
        return { lines: files.map((f) => 'écrit : ' + f), json: { files }, exitCode: EXIT_OK };
      }),
  },
  {
    path: ['tresorerie', 'virement'],
    alias: ['treasury', 'transfer'],
    summary: {
      fr: 'fichier de virements SEPA (pain.001.001.03) pour payer les commerçants',
      en: 'SEPA credit transfer file',
    },
    options: [
      baseOpt,
      monthOpt,
      Object.assign({}, vendorsOpt, { required: true }),
      outOpt,
      {
        name: 'date',
        alias: 'date',
        kind: 'string',
        summary: { fr: 'date d’exécution AAAA-MM-JJ', en: 'execution date' },
      },
    ],
    run: (a) =>
      withLedger(a, async (l) => {
        const t = now();
        const date = String(a.date ?? new Date((t + 86400) * 1000).toISOString().slice(0, 10));
        const r = await createPaymentBatch(l, month(a), vendorsFrom(a, true) as VendorsFile, t, date);
        if (!r.ok) refused(r);
        const out = String(a.sortie ?? r.batchId + '.xml');
        writeFileSync(out, r.xml);
        return {
          lines: [`Lot ${r.batchId} : ${r.count} virements, ${money(r.total)} — écrit : ${out}`],
          json: Object.assign({ file: out }, r, { xml: undefined }),
          exitCode: EXIT_OK,
        };
      }),
  },
  {
    path: ['tresorerie', 'paye'],
    alias: ['treasury', 'paid'],
    summary: { fr: 'marquer payé le lot d’un fichier SEPA exécuté', en: 'mark a SEPA batch paid' },
    options: [baseOpt, fileOpt],
    run: (a) =>
      withLedger(a, async (l) => {
        const r = await markBatchPaid(l, readInput(String(a.fichier)).toString('utf8'), now());
        if (!r.ok) refused(r);
        return {
          lines: [`Lot ${r.batchId} ${r.already ? 'déjà marqué payé' : 'marqué payé'} (${money(r.total)}).`],
          json: r,
          exitCode: EXIT_OK,
        };
      }),
  },
  {
    path: ['tresorerie', 'anomalies'],
    alias: ['treasury', 'anomalies'],
    summary: { fr: 'lister les anomalies du mois', en: 'list the month’s anomalies' },
    options: [baseOpt, monthOpt],
    run: (a) =>
      withLedger(a, async (l) => {
        const rec = await reconcile(l, month(a), now());
        const lines = rec.anomalies.map((x) => `${x.confirmed ? '[confirmée] ' : ''}${x.id} — ${x.message}`);
        if (lines.length === 0) lines.push('Aucune anomalie.');
        return { lines, json: rec.anomalies, exitCode: rec.anomalies.length > 0 ? EXIT_FINDINGS : EXIT_OK };
      }),
  },
  {
    path: ['tresorerie', 'confirmer'],
    alias: ['treasury', 'confirm'],
    summary: {
      fr: 'confirmer une anomalie (sa carte ou son lecteur ira sur la liste de blocage)',
      en: 'confirm an anomaly',
    },
    options: [
      baseOpt,
      monthOpt,
      {
        name: 'anomalie',
        alias: 'anomaly',
        kind: 'string',
        required: true,
        summary: { fr: 'référence de l’anomalie', en: 'anomaly id' },
      },
    ],
    run: (a) =>
      withLedger(a, async (l) => {
        const r = await confirmAnomaly(l, month(a), String(a.anomalie), now());
        if (!r.ok) refused(r);
        return { lines: ['Anomalie confirmée : ' + r.anomaly.message], json: r.anomaly, exitCode: EXIT_OK };
      }),
  },
  {
    path: ['tresorerie', 'blocage'],
    alias: ['treasury', 'blocklist'],
    summary: {
      fr: 'signer la prochaine liste de blocage (anomalies confirmées)',
      en: 'sign the next blocklist',
    },
    options: [
      baseOpt,
      outOpt,
      {
        name: 'cle',
        alias: 'key',
        kind: 'string',
        required: true,
        summary: {
          fr: 'fichier de la graine de la clé d’opérateur (hex)',
          en: 'operator key seed file (hex)',
        },
      },
    ],
    run: (a) =>
      withLedger(a, async (l) => {
        const seed = fromHex(readInput(String(a.cle)).toString('utf8').trim());
        if (seed.length !== 32)
          throw new CliError(
            'CLE_INVALIDE',
            'graine de clé de 32 octets (64 chiffres hexadécimaux) attendue',
            EXIT_DATAERR,
          );
        const r = await nextBlocklist(l, seed, now());
        if (!r.ok) refused(r);
        const out = String(a.sortie ?? `liste-blocage-${r.blocklist.version}.cbor`);
        writeFileSync(out, r.bytes);
        return {
          lines: [
            `Liste de blocage version ${r.blocklist.version} : ${r.blocklist.pseudonyms.length} cartes, ${r.blocklist.readerIds.length} lecteurs — écrite : ${out}`,
          ],
          json: {
            file: out,
            version: r.blocklist.version,
            cards: r.blocklist.pseudonyms.length,
            readers: r.blocklist.readerIds,
          },
          exitCode: EXIT_OK,
        };
      }),
  },
];

export function registerTresorerie(): void {
  for (const c of commands) registerCommand(c);
}
