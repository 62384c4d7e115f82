// A whole simulated market day (issue 9 §1), on the real code of every part: the fund's keys made and
// sealed by the host (host/src/link/fund-folder.ts), member cards issued by the card desk
// (host/src/desk/desk.ts) with each allocation rule, three readers provisioned over serial links by the
// host link code (host/src/link/reader-client.ts), sales played on the readers' own firmware code
// (test/sim/reader-sim.ts), logs pulled, exported and imported into the treasurer's SQLite ledger, the
// month reconciled (host/src/ledger/reconcile.ts), and the report, the SEPA file and the vendors' CSV
// written. Then the books are checked with witnesses that do not go through the ledger: the spend states
// on the cards, the readers' logs decoded here, and each reader's own Z report.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fromHex, toHex } from '../../../protocol/src/bytes';
import {
  CHIP_NTAG215,
  CHIP_NTAG216,
  FIRST_USER_PAGE,
  layoutForChip,
  regionOf,
} from '../../../protocol/src/card';
import { hostCrypto } from '../../../protocol/src/node/ed25519';
import {
  LOG_DAY_CLOSE,
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  decodeLogRecord,
} from '../../../protocol/src/structures/log';
import { openVoucherInRegion } from '../../../protocol/src/structures/voucher';
import { monthOfTime } from '../../../protocol/src/time';
import { READER_STATE_BLANK } from '../../../protocol/src/messages';
import {
  FundKeys,
  PULL_DB_FILE,
  blocklistOf,
  createFund,
  loadKeys,
} from '../../../host/src/link/fund-folder';
import { ClientError, nowSeconds } from '../../../host/src/link/reader-client';
import { openPullStore } from '../../../host/src/link/pull-store';
import { DeskContext, issueCard } from '../../../host/src/desk/desk';
import { FundProfile, FundRule } from '../../../host/src/desk/fund';
import { MemoryJournal } from '../../../host/src/desk/journal';
import { MemberRegistry } from '../../../host/src/desk/registry';
import { encodeFundBundle } from '../../../host/src/ledger/export';
import { Ledger } from '../../../host/src/ledger/ledger';
import { reconcile, Reconciliation } from '../../../host/src/ledger/reconcile';
import { reportHtml } from '../../../host/src/ledger/report';
import { ibanFromBban, painXml, readPainSummary, SepaTransfer } from '../../../host/src/ledger/sepa';
import { monthCsv, parseVendors, vendorCsv, VendorsFile } from '../../../host/src/ledger/outputs';
import { TEAR_OLD, CardMemory } from '../../sim/card-memory';
import { receiptSvg, PrintedLine } from '../../sim/virtual-printer';
import { MemoryCardIo, blankCard } from './card-io';
import { InstallReport } from '../../../host/src/link/espruino-packet';
import { FirmwarePlan, firmwareInstallStep, firmwarePlan, installReportLines, uploadFiles } from './install';
import {
  LinkKind,
  ReaderLink,
  detectReader,
  probe,
  memoryReader,
  portReader,
  ptyReader,
  boardReader,
  socatAvailable,
} from './links';
import { StandSpec, UTC_OFFSET_MIN, provisionReader, pullReader } from './serial';
import { Stand, TapOutcome } from './stand';
import { Lang, box, money, percent, tr } from './text';

/**
 * The demo passphrase, shown on screen: it seals the fund's keys and the member registry exactly as a real
 * one would (scrypt + AES-256-GCM), so the demo exercises that code; a real fund chooses its own.
 */
export const DEMO_PASSPHRASE = 'marché de démonstration 2026';
/** Written into the output folder: only a folder carrying it is ever emptied by a later run. */
export const OUTPUT_MARKER = '.carnet-marche-demo';
/**
 * Page writes that land before the card leaves the field in the torn-write scene: mid-way through the
 * ~30 pages of a state envelope (SPEC.md §12.2), where neither the old nor the new state is whole.
 */
const TEAR_AFTER_PAGES = 9;
/** Receipts printed in full on screen (all of them go to tickets/ as SVG). */
const RECEIPTS_SHOWN = 4;

export interface DayOptions {
  /** Output folder (created; emptied first only if an earlier run made it). */
  out: string;
  lang: Lang;
  /** A real reader's serial port to use as reader n° 1. */
  port: string | null;
  /** Look for a real reader on the serial ports (≤ 2 s) when no port is given. */
  detect: boolean;
  /** How the simulated readers are linked: socat ptys when available ('auto'), or an in-process pipe. */
  link: 'auto' | 'pty' | 'memoire';
  print: (line: string) => void;
  /**
   * Test seam: runs on the ledger after the imports, before reconciliation (a test plants a fault there to
   * prove the books check catches it). Never set by `npm run marche`.
   */
  beforeReconcile?: (ledger: Ledger) => Promise<void>;
}

export interface VendorSummary {
  vendorId: number;
  readerId: number;
  name: string;
  /** What the reader took from cards, measured on the cards (null for a real reader: not ours to see). */
  takenOnCards: number | null;
  /** The same, from the reader's pulled log, decoded here (committed sales − committed refunds). */
  takenInLog: number;
  /** The reader's own Z report total (null if it printed none). */
  zTotal: number | null;
  /** What the ledger owes the vendor. */
  payable: number;
  /** What members paid themselves (price − covered share) on sales that were not cancelled. */
  memberPaid: number;
  sales: number;
  refunds: number;
  refunded: number;
}

export interface DayResult {
  ok: boolean;
  /** Why the day is not ok (French), empty when it is. */
  problems: string[];
  seconds: number;
  simulatedLink: LinkKind;
  realPort: string | null;
  fundId: string;
  month: number;
  vendors: VendorSummary[];
  payableTotal: number;
  memberPaidTotal: number;
  sepaTotal: number;
  anomalies: { kind: string; readerId: number | null; message: string }[];
  cloneDetected: boolean;
  rollbackDetected: boolean;
  files: string[];
  rec: Reconciliation;
  /** Firmware uploads made through the installer onto the simulated boards (pty links only). */
  installs: InstallReport[];
}

interface Member {
  name: string;
  rule: FundRule;
  householdSize: number | null;
  parts: number | null;
  chip: number;
  card: CardMemory;
  pseudonym: string;
  monthly: number;
  voucher: Uint8Array;
}

interface StandRun {
  spec: StandSpec;
  /** Keypad key of each category id (its place on the category screen). */
  keys: Map<number, number>;
  link: ReaderLink;
  stand: Stand | null;
  takenOnCards: number;
  memberPaid: number;
  sales: number;
  refunds: number;
  refunded: number;
}

const RULE_FLAT: FundRule = { kind: 'forfait', amount: 6500 };
const RULE_HOUSEHOLD: FundRule = { kind: 'foyer', base: 15000, perExtraPerson: 7500 };
const RULE_PARTS: FundRule = { kind: 'parts', unit: 2500 };

/** The three stands: each vendor's categories, with the share of the price the fund covers. */
function standSpecs(): StandSpec[] {
  const caps = { perTapMax: 5000, perCardDayMax: 10000, readerDayMax: 200000 };
  return [
    {
      readerId: 1,
      vendorId: 1,
      vendorName: 'Ferme des Trois Chênes',
      categories: [
        { id: 1, label: 'Légumes', rateBp: 10000 },
        { id: 2, label: 'Fruits', rateBp: 8000 },
        { id: 3, label: 'Conserves', rateBp: 5000 },
      ],
      ...caps,
    },
    {
      readerId: 2,
      vendorId: 2,
      vendorName: 'Boulangerie du Marché',
      categories: [
        { id: 4, label: 'Pain', rateBp: 10000 },
        { id: 5, label: 'Viennoiseries', rateBp: 5000 },
      ],
      ...caps,
    },
    {
      readerId: 3,
      vendorId: 3,
      vendorName: 'Fromagerie Lou Pastre',
      categories: [
        { id: 6, label: 'Fromages', rateBp: 7000 },
        { id: 7, label: 'Yaourts et lait', rateBp: 10000 },
      ],
      ...caps,
    },
  ];
}

/** French RIB key (clé RIB): 97 − ((89 × bank + 15 × branch + 3 × account) mod 97), digits only. */
function ribKey(bank: string, branch: string, account: string): string {
  const r = (89 * Number(bank) + 15 * Number(branch) + 3 * Number(account)) % 97;
  return String(97 - r).padStart(2, '0');
}

/** A demo IBAN with valid check digits (ISO 13616 mod 97) over a French BBAN with a valid RIB key. */
function demoIban(bank: string, branch: string, account: string): string {
  return ibanFromBban('FR', bank + branch + account + ribKey(bank, branch, account));
}

function vendorsFileText(specs: StandSpec[]): string {
  const categories: Record<string, string> = {};
  for (const s of specs) for (const c of s.categories) categories[String(c.id)] = c.label;
  return (
    JSON.stringify(
      {
        caisse: {
          nom: 'Caisse commune de démonstration',
          iban: demoIban('30004', '00001', '00000000001'),
          bic: 'DEMOFRPPXXX',
        },
        categories,
        vendeurs: specs.map((s, i) => ({
          vendor_id: s.vendorId,
          nom: s.vendorName,
          iban: demoIban('30004', '0000' + (i + 2), '0000000010' + (i + 2)),
          bic: 'DEMOFRPPXXX',
        })),
      },
      null,
      2,
    ) + '\n'
  );
}

/** Empties the output folder if an earlier run made it (marker file), refuses any other non-empty folder. */
function prepareOutput(out: string, lang: Lang): void {
  if (existsSync(out)) {
    const entries = readdirSync(out);
    // The other demos (`npm run demo:protocole`, test/demo/marche-reader.ts) write these into the same folder.
    const known = (e: string): boolean => /^(carte-.*\.hex|plan-.*\.md|ticket-.*\.svg)$/.test(e);
    if (entries.length > 0 && !entries.includes(OUTPUT_MARKER) && !entries.every(known))
      throw new Error(
        tr(
          lang,
          'le dossier « ' +
            out +
            ' » existe et n’a pas été créé par cette démonstration : rien n’a été effacé',
          'folder "' + out + '" exists and was not made by this demo: nothing was erased',
        ),
      );
    for (const e of entries) rmSync(join(out, e), { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, OUTPUT_MARKER),
    'Dossier de sortie de « npm run marche » : effacé à chaque lancement.\n',
  );
}

/** The printed text, without the blank feed lines printed before the cut. */
function receiptText(lines: PrintedLine[]): string[] {
  const t = lines.map((l) => l.text);
  while (t.length > 0 && t[t.length - 1].trim() === '') t.pop();
  return t;
}

/** The screens of one operation, the typing of the amount shown once (its last screen). */
function screensOf(screens: string[][]): string[][] {
  return screens.filter(
    (s, i) => !(s[0] === 'Montant :' && i + 1 < screens.length && screens[i + 1][0] === 'Montant :'),
  );
}

/** The reader's log as pulled, decoded here (not through the ledger): committed sales − refunds, and Z. */
function logWitness(records: { bytes: Uint8Array }[]): { taken: number; zTotal: number | null } {
  const pending = new Map<number, { kind: number; cents: number }>();
  let taken = 0;
  let zTotal: number | null = null;
  for (const r of records) {
    const d = decodeLogRecord(r.bytes);
    if (!d.ok) continue;
    const x = d.value;
    if (x.kind === LOG_SALE_PENDING) pending.set(x.seq, { kind: x.kind, cents: x.data[2] as number });
    if (x.kind === LOG_REFUND_PENDING) pending.set(x.seq, { kind: x.kind, cents: x.data[1] as number });
    if (x.kind === LOG_SALE_COMMIT || x.kind === LOG_REFUND_COMMIT) {
      const p = pending.get(x.data[0] as number);
      if (p !== undefined) taken += p.kind === LOG_SALE_PENDING ? p.cents : -p.cents;
    }
    if (x.kind === LOG_DAY_CLOSE) zTotal = x.data[2] as number;
  }
  return { taken, zTotal };
}

/** True when `needle` (UTF-8) appears anywhere in `hay`. */
function containsBytes(hay: Uint8Array, needle: string): boolean {
  return Buffer.from(hay).includes(Buffer.from(needle, 'utf8'));
}

export async function runMarketDay(o: DayOptions): Promise<DayResult> {
  const t0 = performance.now();
  const L = (fr: string, en: string): string => tr(o.lang, fr, en);
  const say = (line: string): void => o.print(line.trimEnd());
  const eur = (c: number): string => money(c, o.lang);
  const problems: string[] = [];
  const files: string[] = [];
  // Paths as the user typed them: relative under the current folder, absolute elsewhere.
  const rel = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r === '' || r.startsWith('..') ? p : r;
  };
  const wrote = (p: string): void => {
    files.push(p);
  };

  // A mistyped port, or a reader that cannot take a new fund, is said before anything is created or erased.
  if (o.port !== null) {
    if (!existsSync(o.port))
      throw new Error(L('port série introuvable : ' + o.port, 'serial port not found: ' + o.port));
    const info = await probe(o.port);
    if (info === null)
      throw new Error(
        L(
          'aucun lecteur carnet ne répond sur ' +
            o.port +
            ' (micrologiciel installé ? lecteur en maintenance ?)',
          'no carnet reader answers on ' + o.port + ' (firmware installed? reader in maintenance?)',
        ),
      );
    if (info.state !== READER_STATE_BLANK)
      throw new Error(
        L(
          'le lecteur sur ' +
            o.port +
            ' est déjà en service (caisse ' +
            (info.fundId === null ? '?' : toHex(info.fundId)) +
            ') ; chaque démonstration crée une nouvelle caisse : il faut un lecteur vierge (Storage effacée)',
          'the reader on ' +
            o.port +
            ' is already provisioned (fund ' +
            (info.fundId === null ? '?' : toHex(info.fundId)) +
            '); each demo run makes a new fund: it needs a blank reader (Storage erased)',
        ),
      );
  }
  prepareOutput(o.out, o.lang);
  const caisseDir = join(o.out, 'caisse');
  const ticketsDir = join(o.out, 'tickets');
  mkdirSync(ticketsDir, { recursive: true });

  // ------------------------------------------------------------------ 1. the fund and its keys
  say(L('1. La caisse et ses clés', '1. The fund and its keys'));
  const start = nowSeconds();
  const fund = createFund(caisseDir, DEMO_PASSPHRASE, start);
  const keys: FundKeys = loadKeys(caisseDir, DEMO_PASSPHRASE);
  const fundId = fromHex(fund.fundId);
  const month = monthOfTime(start, UTC_OFFSET_MIN);
  say(
    L(
      '   Caisse ' + fund.fundId + ' créée dans ' + rel(caisseDir),
      '   Fund ' + fund.fundId + ' created in ' + rel(caisseDir),
    ),
  );
  say(
    L(
      '   clés racine, opérateur et émettrice chiffrées (scrypt + AES-256-GCM) sous la phrase de passe',
      '   root, operator and issuer keys sealed (scrypt + AES-256-GCM) under the passphrase',
    ),
  );
  say(
    L(
      '   de démonstration « ' + DEMO_PASSPHRASE + ' » ; sauvegarde papier et clés publiques à côté',
      '   "' + DEMO_PASSPHRASE + '" (demo only); paper backup and public keys alongside',
    ),
  );
  say('');

  // ------------------------------------------------------------------ 2. member cards at the desk
  say(L('2. Cartes des membres, émises au guichet', '2. Member cards, issued at the desk'));
  const registry = MemberRegistry.open(join(o.out, 'guichet', 'registre.chiffre'), DEMO_PASSPHRASE);
  const journal = new MemoryJournal();
  const people: {
    name: string;
    rule: FundRule;
    householdSize: number | null;
    parts: number | null;
    chip: number;
  }[] = [
    { name: 'Awa Diallo', rule: RULE_FLAT, householdSize: null, parts: null, chip: CHIP_NTAG215 },
    { name: 'Bruno Lefèvre', rule: RULE_FLAT, householdSize: null, parts: null, chip: CHIP_NTAG215 },
    { name: 'Chantal Moreau', rule: RULE_HOUSEHOLD, householdSize: 4, parts: null, chip: CHIP_NTAG216 },
    { name: 'Djamel Haddad', rule: RULE_HOUSEHOLD, householdSize: 2, parts: null, chip: CHIP_NTAG215 },
    { name: 'Élise Roux', rule: RULE_PARTS, householdSize: null, parts: 3, chip: CHIP_NTAG215 },
    { name: 'Fatou Ndiaye', rule: RULE_PARTS, householdSize: null, parts: 6, chip: CHIP_NTAG216 },
  ];
  const ruleText = (r: FundRule): string =>
    r.kind === 'forfait'
      ? L('forfait ' + eur(r.amount), 'flat ' + eur(r.amount))
      : r.kind === 'foyer'
        ? L(
            'foyer : ' + eur(r.base) + ' + ' + eur(r.perExtraPerson) + ' par personne en plus',
            'household: ' + eur(r.base) + ' + ' + eur(r.perExtraPerson) + ' per extra person',
          )
        : L('parts de ' + eur(r.unit), 'shares of ' + eur(r.unit));
  const members: Member[] = [];
  for (const p of people) {
    // The desk's fund profile has one allocation rule; a fund picks one. The demo shows the three side by
    // side (each card's voucher carries its own rule, signed by the same issuer key), hence one profile each.
    const profile: FundProfile = {
      fundId,
      utcOffsetMin: UTC_OFFSET_MIN,
      rule: p.rule,
      validityMonths: 12,
      carryCap: 0,
      issuerPublicKeys: [keys.issuer.publicKey],
      rootPublicKey: keys.root.publicKey,
    };
    const ctx: DeskContext = {
      profile,
      journal,
      crypto: hostCrypto,
      issuer: keys.issuer,
      cardSecret: null,
      registry,
      directory: null,
    };
    const uid = new Uint8Array(randomBytes(7));
    uid[0] = 0x04; // NXP's manufacturer code, as on every NTAG
    const card = blankCard(uid, p.chip);
    const r = await issueCard(
      new MemoryCardIo(card),
      ctx,
      { name: p.name, householdSize: p.householdSize, parts: p.parts },
      { now: nowSeconds(), protect: false, force: false },
    );
    const layout = layoutForChip(p.chip);
    const v =
      layout === null
        ? null
        : openVoucherInRegion(regionOf(card.pages.subarray(FIRST_USER_PAGE * 4), layout.voucher));
    if (v === null || !v.ok) throw new Error('carte émise sans bon lisible : ' + r.uid);
    members.push({
      name: p.name,
      rule: p.rule,
      householdSize: p.householdSize,
      parts: p.parts,
      chip: p.chip,
      card,
      pseudonym: r.pseudonym,
      monthly: r.monthlyAllocation,
      voucher: v.value.opened.bytes,
    });
    const who =
      p.householdSize !== null
        ? L(' (' + p.householdSize + ' personnes)', ' (' + p.householdSize + ' people)')
        : p.parts !== null
          ? L(' (' + p.parts + ' parts)', ' (' + p.parts + ' shares)')
          : '';
    say(
      '   ' +
        r.chip +
        '  ' +
        L('pseudonyme ', 'pseudonym ') +
        r.pseudonym +
        '  ' +
        eur(r.monthlyAllocation).padStart(9) +
        L(' par mois  ', ' a month  ') +
        ruleText(p.rule) +
        who,
    );
    // Issue 7: the name is in the desk's encrypted registry only, never on the card.
    if (containsBytes(card.pages, p.name))
      problems.push(L('le nom d’un membre est écrit sur sa carte', 'a member’s name is written on the card'));
  }
  say(
    L(
      '   Les noms restent dans le registre chiffré du guichet (' +
        rel(join(o.out, 'guichet', 'registre.chiffre')) +
        ') ; aucune carte n’en porte.',
      '   Names stay in the desk’s encrypted registry (' +
        rel(join(o.out, 'guichet', 'registre.chiffre')) +
        '); no card carries one.',
    ),
  );
  say('');

  // ------------------------------------------------------------------ 3. readers: install, provision
  say(L('3. Trois lecteurs pour trois commerçants', '3. Three readers for three vendors'));
  const specs = standSpecs();
  let realPort = o.port;
  if (realPort === null && o.detect) {
    const d0 = performance.now();
    const found = await detectReader();
    const ms = Math.round(performance.now() - d0);
    if (found !== null && found.info.state !== READER_STATE_BLANK) {
      // Each run makes a new fund: a reader already provisioned (by an earlier run, or for a real fund)
      // would refuse it, and must not be taken over without being asked: only --port does that.
      say(
        L(
          '   Lecteur carnet trouvé sur ' +
            found.path +
            ' mais déjà en service (caisse ' +
            (found.info.fundId === null ? '?' : toHex(found.info.fundId)) +
            ') : il n’est pas utilisé ; les trois lecteurs sont simulés.',
          '   carnet reader found on ' +
            found.path +
            ' but already provisioned (fund ' +
            (found.info.fundId === null ? '?' : toHex(found.info.fundId)) +
            '): not used; all three readers are simulated.',
        ),
      );
    } else if (found !== null) {
      realPort = found.path;
      say(
        L(
          '   Lecteur carnet trouvé sur ' + found.path + ' (' + ms + ' ms) : il sera le lecteur n° 1.',
          '   carnet reader found on ' + found.path + ' (' + ms + ' ms): it will be reader #1.',
        ),
      );
    } else
      say(
        L(
          '   Aucun lecteur carnet branché (recherche : ' + ms + ' ms) : les trois lecteurs sont simulés.',
          '   No carnet reader plugged in (search: ' + ms + ' ms): all three readers are simulated.',
        ),
      );
  }
  const usePty = o.link === 'pty' || (o.link === 'auto' && socatAvailable());
  const simulatedLink: LinkKind = usePty ? 'pty' : 'memoire';
  say(
    usePty
      ? L(
          '   Liaisons simulées : une paire de pseudo-terminaux socat par lecteur (comme /dev/ttyACM0).',
          '   Simulated links: one socat pseudo-terminal pair per reader (like /dev/ttyACM0).',
        )
      : L(
          '   Liaisons simulées : tuyau d’octets dans le processus (socat absent).',
          '   Simulated links: in-process byte pipe (socat not available).',
        ),
  );
  say(
    L(
      '   Chaque lecteur simulé exécute le code du micrologiciel (firmware/src) sur des périphériques virtuels.',
      '   Each simulated reader runs the firmware code (firmware/src) on virtual devices.',
    ),
  );
  // A placeholder step: a firmware that cannot be built or read is said, and the day goes on (the
  // simulated readers run the firmware's source, not the bundle).
  let plan: FirmwarePlan;
  try {
    plan = await firmwarePlan(join(o.out, 'micrologiciel'));
  } catch (e) {
    say(
      L('   micrologiciel illisible : ', '   firmware unreadable: ') +
        (e instanceof Error ? e.message : String(e)),
    );
    plan = { manifestPath: '', built: false, files: [], storageLeft: null };
  }
  if (plan.built) say(L('   micrologiciel construit : ', '   firmware built: ') + rel(plan.manifestPath));
  // Over ptys, each simulated reader is first a blank Espruino board that receives the firmware files
  // through the real installer; only files that match their manifest are uploaded (else: no install).
  const boardFiles = plan.files.length > 0 && plan.files.every((f) => f.matches) ? uploadFiles(plan) : [];
  // The steps of provision() (host/src/link/reader-client.ts), in words.
  const stepName = (n: string): string =>
    ({
      keygen: L('clé créée sur le lecteur', 'key made on the reader'),
      heure: L('heure', 'clock'),
      certificat: L('certificat', 'certificate'),
      cles: L('certificats des clés', 'key certificates'),
      configuration: L('configuration', 'configuration'),
      annuaire: L('annuaire', 'directory'),
      blocage: L('liste de blocage', 'blocklist'),
    })[n] ?? n;
  const runs: StandRun[] = [];
  const readerKeys = (): Uint8Array[] => fund.readers.map((r) => fromHex(r.publicKey));
  try {
    for (const spec of specs) {
      const real = spec.readerId === 1 && realPort !== null;
      const label = 'marche-lecteur-' + spec.readerId;
      const link = real
        ? portReader(realPort as string)
        : usePty
          ? boardFiles.length > 0
            ? await boardReader(label, nowSeconds(), boardFiles)
            : await ptyReader(label, nowSeconds())
          : memoryReader(label, nowSeconds());
      const keysOf = new Map<number, number>();
      spec.categories.forEach((c, i) => keysOf.set(c.id, i + 1));
      runs.push({
        spec,
        keys: keysOf,
        link,
        stand: link.sim === null ? null : new Stand(link.sim, link.end, readerKeys),
        takenOnCards: 0,
        memberPaid: 0,
        sales: 0,
        refunds: 0,
        refunded: 0,
      });
    }
    for (const run of runs) {
      const s = run.spec;
      say('');
      const installed = run.link.installed;
      for (const l of installed !== null
        ? installReportLines(s.readerId, installed, o.lang)
        : firmwareInstallStep(plan, s.readerId, run.link.kind === 'port' ? run.link.path : null, o.lang))
        say('   ' + l);
      say(
        L(
          '   Mise en service du lecteur n° ' +
            s.readerId +
            ' — ' +
            s.vendorName +
            ' (commerçant n° ' +
            s.vendorId +
            ')',
          '   Provisioning reader #' + s.readerId + ' — ' + s.vendorName + ' (vendor #' + s.vendorId + ')',
        ) +
          (run.link.kind === 'port'
            ? L(' sur le VRAI port ' + run.link.path, ' on the REAL port ' + run.link.path)
            : run.link.kind === 'pty'
              ? L(' sur ' + run.link.path, ' on ' + run.link.path)
              : ''),
      );
      const session = await run.link.open();
      try {
        const r = await provisionReader(session.client, caisseDir, fund, keys, s);
        const done = r.steps.filter((x) => x.done).map((x) => stepName(x.name));
        say(
          L('     ✓ ', '     ✓ ') +
            done.join(', ') +
            L(' ; clé publique ', '; public key ') +
            toHex(r.publicKey).substring(0, 16) +
            '…',
        );
        say(
          '     ' +
            s.categories.map((c) => c.label + ' ' + percent(c.rateBp, o.lang)).join(', ') +
            L(' ; plafonds ', '; caps ') +
            eur(s.perTapMax) +
            L(' par passage, ', ' per tap, ') +
            eur(s.perCardDayMax) +
            L(' par carte et par jour', ' per card per day'),
        );
      } catch (e) {
        if (e instanceof ClientError && run.link.kind === 'port')
          throw new Error(
            L(
              'le lecteur sur ' +
                run.link.path +
                ' refuse la mise en service : ' +
                e.message +
                (e.code === 'WRONG_FUND' || e.code === 'WRONG_READER'
                  ? ' — chaque démonstration crée une nouvelle caisse : il faut un lecteur vierge (Storage effacée)'
                  : ''),
              'the reader on ' +
                run.link.path +
                ' refuses provisioning: ' +
                e.message +
                (e.code === 'WRONG_FUND' || e.code === 'WRONG_READER'
                  ? ' — each demo run makes a new fund: it needs a blank reader (Storage erased)'
                  : ''),
            ),
            { cause: e },
          );
        throw e;
      } finally {
        await session.close();
      }
    }
    // Readers provisioned first got a directory without the later ones: a card last written by reader 3
    // must be trusted at reader 1 too, so the earlier readers get the latest directory (same call, it only
    // sends what is newer than what INFO reports).
    for (const run of runs) {
      const session = await run.link.open();
      try {
        const info = await session.client.hello();
        if (info.directoryVersion < fund.directoryVersion) {
          await provisionReader(session.client, caisseDir, fund, keys, run.spec);
          say(
            L(
              '   Lecteur n° ' +
                run.spec.readerId +
                ' : annuaire mis à jour (version ' +
                fund.directoryVersion +
                ', 3 lecteurs)',
              '   Reader #' +
                run.spec.readerId +
                ': directory updated (version ' +
                fund.directoryVersion +
                ', 3 readers)',
            ),
          );
        }
      } finally {
        await session.close();
      }
    }
    say('');

    // The treasurer's ledger learns the fund: trust anchors, reader certificates, the members' vouchers.
    const ledgerPath = join(o.out, 'grand-livre.sqlite');
    const ledger = await Ledger.open(ledgerPath);
    try {
      const bundle = encodeFundBundle({
        fundId,
        rootPublicKey: keys.root.publicKey,
        utcOffsetMin: UTC_OFFSET_MIN,
        keyCertificates: [fromHex(fund.issuerCertificate), fromHex(fund.operatorCertificate)],
        readerCertificates: fund.readers
          .filter((r) => r.certificate !== undefined)
          .map((r) => fromHex(r.certificate as string)),
        vouchers: members.map((m) => m.voucher),
        blocklists: [blocklistOf(fund, keys.operator, nowSeconds())],
      });
      const bundlePath = join(o.out, 'dossier-caisse.cbor');
      writeFileSync(bundlePath, bundle);
      wrote(bundlePath);
      const lf = await ledger.loadFund(bundle);
      if (!lf.ok) throw new Error('le grand livre refuse le dossier de la caisse : ' + lf.message);

      // ---------------------------------------------------------------- 4. the market day
      const tickets: { name: string; lines: PrintedLine[] }[] = [];
      let shown = 0;
      const keep = (name: string, docs: PrintedLine[][], show: boolean): void => {
        docs.forEach((d, i) => {
          const n = name + (docs.length > 1 ? '-' + (i + 1) : '');
          tickets.push({ name: n, lines: d });
          if (show && shown < RECEIPTS_SHOWN) {
            shown++;
            say(L('     ticket imprimé :', '     printed receipt:'));
            for (const l of box(receiptText(d), 32, '       ')) say(l);
          }
        });
      };
      say(L('4. Jour de marché', '4. Market day'));
      const at = (n: number): StandRun => runs[n - 1];
      const m = (i: number): Member => members[i - 1];
      const firstName = (mm: Member): string => mm.name.split(' ')[0];
      /** One sale at a stand, told in one line; the card-side measure feeds the vendor's totals. */
      const sale = (
        standNo: number,
        mm: Member,
        cents: number,
        categoryId: number,
        opts: { card?: CardMemory; screens?: boolean; receipt?: boolean; note?: string } = {},
      ): TapOutcome | null => {
        const run = at(standNo);
        if (run.stand === null) return null;
        const cat = run.spec.categories.find((c) => c.id === categoryId);
        const out = run.stand.sale(opts.card ?? mm.card, cents, run.keys.get(categoryId) as number);
        const ok = out.result[0] === 'Paiement accepté';
        if (ok) {
          run.takenOnCards += out.taken;
          run.memberPaid += cents - out.taken;
          run.sales++;
        } else
          problems.push(
            L('vente refusée au lecteur n° ', 'sale refused at reader #') +
              run.spec.readerId +
              ' : ' +
              out.result.filter((x) => x !== '').join(' / '),
          );
        say(
          '   ' +
            ('[' + run.spec.vendorName + ']').padEnd(25) +
            (firstName(mm) + (opts.note ?? '')).padEnd(18) +
            eur(cents).padStart(9) +
            ' ' +
            (cat?.label ?? '').padEnd(16) +
            (ok
              ? L('caisse ', 'fund ') +
                eur(out.taken).padStart(8) +
                L(', membre ', ', member ') +
                eur(cents - out.taken).padStart(8)
              : '→ ' + out.result.filter((x) => x !== '').join(' / ')),
        );
        if (opts.screens === true)
          for (const s of screensOf(out.screens))
            say('        ' + L('écran', 'screen') + ' │ ' + s.filter((x) => x !== '').join(' │ '));
        keep(
          'lecteur' +
            run.spec.readerId +
            '-vente-' +
            String(
              tickets.filter((t) => t.name.startsWith('lecteur' + run.spec.readerId + '-vente')).length + 1,
            ).padStart(2, '0'),
          out.printed,
          opts.receipt === true,
        );
        return out;
      };
      const realSkipped = runs.some((r) => r.stand === null);
      if (realSkipped)
        say(
          L(
            '   (lecteur n° 1 réel : ses ventes simulées sont sautées — ses touches et sa carte ne sont pas à nous ;',
            '   (reader #1 is real: its simulated sales are skipped — its keypad and field are not ours;',
          ) + L(' son journal est relevé comme les autres)', ' its log is pulled like the others)'),
        );

      say(L('   — ouverture du marché —', '   — the market opens —'));
      sale(1, m(1), 1240, 1, { screens: true, receipt: true });
      sale(2, m(2), 420, 4);
      sale(3, m(3), 2380, 6);
      sale(1, m(3), 1850, 2);
      sale(2, m(4), 960, 5, { receipt: true });
      sale(3, m(1), 650, 7);
      // The clone (issue 9): Fatou's card is copied to a second chip with the same UID (a "magic" tag)
      // after her first purchase; both copies carry the same spend state.
      sale(1, m(6), 2200, 1);
      const clone = m(6).card.clone();
      // The rollback attempt: an image of Élise's card is kept before she spends at the bakery.
      sale(1, m(5), 780, 3);
      const oldImage = m(5).card.clone();

      say(L('   — dans la matinée —', '   — later in the morning —'));
      sale(2, m(5), 540, 4);
      sale(2, m(5), 380, 5);
      if (at(2).stand !== null) {
        const st = at(2).stand as Stand;
        const before = st.spent(m(5).card);
        const r = st.sale(oldImage, 300, at(2).keys.get(4) as number);
        say(
          L(
            '   [Boulangerie du Marché]  image ANCIENNE de la carte d’Élise (copiée avant ses achats, plus de solde) :',
            '   [Boulangerie du Marché]  OLD image of Élise’s card (copied before her purchases, more balance):',
          ),
        );
        say(
          '        ' +
            L('écran', 'screen') +
            ' │ ' +
            r.result.filter((x) => x !== '').join(' │ ') +
            L('  → refusée, alerte au journal', '  → refused, alert logged'),
        );
        if (r.result[0] !== 'Carte plus ancienne' || r.taken !== 0 || st.spent(m(5).card) !== before)
          problems.push(L('l’image ancienne n’a pas été refusée', 'the old image was not refused'));
      }

      // A refund: the baker typed the wrong category; the last sale is cancelled (key C, same card).
      const wrong = sale(2, m(2), 780, 5, { note: L(' (erreur)', ' (mistake)') });
      if (at(2).stand !== null && wrong !== null) {
        const st = at(2).stand as Stand;
        const c = st.cancelLast(m(2).card);
        const ok = c.result[0] === 'Vente annulée';
        say(
          '   ' +
            '[Boulangerie du Marché]'.padEnd(25) +
            L('touche C + carte de Bruno : ', 'key C + Bruno’s card: ') +
            c.result.filter((x) => x !== '').join(' / ') +
            L(' — rendu sur la carte ', ' — back on the card ') +
            eur(-c.taken),
        );
        if (ok) {
          const run = at(2);
          run.takenOnCards += c.taken;
          run.refunds++;
          run.refunded += -c.taken;
          run.sales--; // the cancelled sale does not count as a sale of the day
          run.memberPaid -= 780 - wrong.taken; // the baker gives the member's own part back in cash
        } else problems.push(L('l’annulation de la vente a échoué', 'cancelling the sale failed'));
        keep('lecteur2-annulation', c.printed, true);
      }
      sale(2, m(2), 780, 4, { note: L(' (correct)', ' (right)') });

      // The torn write: Djamel takes his card away while the cheese stand writes it.
      if (at(3).stand !== null) {
        const st = at(3).stand as Stand;
        const cents = 1460;
        const before = st.spent(m(4).card);
        const t = st.tornSale(m(4).card, cents, at(3).keys.get(6) as number, TEAR_AFTER_PAGES, TEAR_OLD);
        const after = st.spent(m(4).card);
        say(
          L(
            '   [Fromagerie Lou Pastre]  Djamel retire sa carte pendant l’écriture (page ' +
              (TEAR_AFTER_PAGES + 1) +
              ' de l’état signé) : ',
            '   [Fromagerie Lou Pastre]  Djamel pulls his card away mid-write (page ' +
              (TEAR_AFTER_PAGES + 1) +
              ' of the signed state): ',
          ) + t.torn.result.filter((x) => x !== '').join(' / '),
        );
        say(
          L('        carte reposée : ', '        card laid again: ') +
            t.retap.result.filter((x) => x !== '').join(' / ') +
            L(' — débitée une seule fois : ', ' — debited once only: ') +
            eur(after - before),
        );
        if (t.torn.result[0] !== 'Reposez la carte')
          problems.push(
            L('la carte arrachée n’a pas été redemandée', 'the torn card was not asked for again'),
          );
        if (t.retap.result[0] === 'Paiement accepté') {
          at(3).takenOnCards += after - before;
          at(3).memberPaid += cents - (after - before);
          at(3).sales++;
        } else problems.push(L('la vente interrompue n’a pas abouti', 'the torn sale did not complete'));
        keep('lecteur3-arrachee', t.retap.printed, false);
      }

      say(L('   — avant midi —', '   — before noon —'));
      // The clone at work: the original at the bakery, the copy at the cheese stand, from the same state.
      sale(2, m(6), 640, 4);
      const cloneSale = sale(3, m(6), 1200, 6, { card: clone, note: L(' (copie)', ' (copy)') });
      // The original is used again afterwards (a later second on the reader's clock): reconciliation tells
      // a clone (both branches go on) from a card put back to an old state (the old branch stops).
      if (at(2).stand !== null && at(3).stand !== null && cloneSale !== null) {
        const t = at(3).link.sim?.clock.now ?? 0;
        const deadline = Date.now() + 3000;
        while ((at(2).link.sim?.clock.now ?? 0) <= t && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
      }
      sale(2, m(6), 350, 5);
      sale(1, m(2), 990, 2);
      sale(1, m(4), 1575, 3);
      sale(3, m(2), 720, 7);
      sale(3, m(5), 1880, 6);
      sale(2, m(1), 460, 4);
      sale(2, m(3), 1120, 5);
      sale(1, m(1), 2600, 2, { note: '' });
      sale(3, m(1), 990, 6);

      // Balance checks: the screen shows what the card holds; checked against the voucher and the card.
      for (const [standNo, mm] of [
        [1, m(1)],
        [3, m(3)],
      ] as [number, Member][]) {
        const run = at(standNo);
        if (run.stand === null) continue;
        const b = run.stand.balance(mm.card);
        const expected = mm.monthly - run.stand.spent(mm.card);
        const shownText = b.result.filter((x) => x !== '').join(' : ');
        say(
          '   ' +
            ('[' + run.spec.vendorName + ']').padEnd(25) +
            L('touche A + carte de ', 'key A + card of ') +
            firstName(mm) +
            ' → ' +
            shownText +
            L(' (attendu ', ' (expected ') +
            money(expected) +
            ')',
        );
        if (b.result[1] !== money(expected) || b.taken !== 0)
          problems.push(L('solde affiché faux pour ', 'wrong balance shown for ') + firstName(mm));
      }

      say(L('   — clôture des stands —', '   — the stands close —'));
      for (const run of runs) {
        if (run.stand === null) continue;
        const z = run.stand.dayClose();
        say(
          '   ' +
            ('[' + run.spec.vendorName + ']').padEnd(25) +
            L('touche D puis # : ', 'key D then #: ') +
            z.result.filter((x) => x !== '').join(' / '),
        );
        keep('lecteur' + run.spec.readerId + '-rapport-z', z.printed, run.spec.readerId === 2);
      }
      tickets.forEach((t) => {
        const p = join(ticketsDir, t.name + '.svg');
        writeFileSync(p, receiptSvg(t.lines));
        wrote(p);
      });
      say(
        L(
          '   ' + tickets.length + ' tickets en aperçu SVG dans ' + rel(ticketsDir),
          '   ' + tickets.length + ' receipts previewed as SVG in ' + rel(ticketsDir),
        ),
      );
      say('');

      // ---------------------------------------------------------------- 5. pulls, ledger, outputs
      say(L('5. Relevé des journaux et trésorerie', '5. Log pulls and treasury'));
      const store = openPullStore(join(caisseDir, PULL_DB_FILE));
      const witness = new Map<number, { taken: number; zTotal: number | null }>();
      try {
        for (const run of runs) {
          const session = await run.link.open();
          try {
            const p = await pullReader(session.client, caisseDir, fund, keys, store, ledger);
            const r = p.result;
            say(
              L('   Lecteur n° ', '   Reader #') +
                run.spec.readerId +
                L(' : ', ': ') +
                r.newRecords +
                L(' relevés (n° ', ' records (#') +
                r.fromSeq +
                L(' à ', ' to ') +
                r.storedSeq +
                L(
                  '), chaîne et point de contrôle signé vérifiés, ',
                  '), chain and signed checkpoint verified, ',
                ) +
                (r.acked ? L('acquitté', 'acknowledged') : L('NON acquitté', 'NOT acknowledged')),
            );
            for (const f of p.files) {
              wrote(f);
              say(
                L('     export ', '     export ') +
                  rel(f) +
                  L(' → importé au grand livre', ' → imported into the ledger'),
              );
            }
            if (r.gap !== null) problems.push('lecteur ' + run.spec.readerId + ' : ' + r.gap.message);
            if (!r.acked)
              problems.push(
                L('relevé non acquitté : lecteur ', 'pull not acknowledged: reader ') + run.spec.readerId,
              );
          } finally {
            await session.close();
          }
          witness.set(run.spec.readerId, logWitness(store.records(fundId, run.spec.readerId)));
        }
      } finally {
        store.close();
      }
      wrote(join(caisseDir, PULL_DB_FILE));

      if (o.beforeReconcile !== undefined) await o.beforeReconcile(ledger);
      const now = nowSeconds();
      const rec = await reconcile(ledger, month, now);
      const vendors = parseVendors(vendorsFileText(specs));
      if (!vendors.ok) throw new Error(vendors.message);
      const vf: VendorsFile = vendors.value;
      const vendorsPath = join(o.out, 'commercants.json');
      writeFileSync(vendorsPath, vendorsFileText(specs));
      wrote(vendorsPath);
      const reportPath = join(o.out, 'rapport.html');
      writeFileSync(reportPath, reportHtml(rec, vf.categories, now));
      wrote(reportPath);
      const monthPath = join(o.out, 'mois-' + rec.label + '.csv');
      writeFileSync(monthPath, monthCsv(rec, vf));
      wrote(monthPath);
      for (const v of rec.vendors) {
        const p = join(o.out, 'releve-commercant-' + v.vendorId + '.csv');
        writeFileSync(p, await vendorCsv(ledger, rec, v.vendorId, vf));
        wrote(p);
      }
      // The month is not over, so `carnet tresorerie virement` (createPaymentBatch) would wait for its close;
      // the demo writes the day's batch with the same pain.001 writer, from the same reconciliation.
      const msgId = 'CARNET-' + rec.label + '-DEMO-' + String(now).slice(-6);
      const transfers: SepaTransfer[] = [];
      for (const v of rec.vendors) {
        const info = vf.vendors.get(v.vendorId);
        if (info === undefined || v.payable <= 0) continue;
        transfers.push({
          name: info.name,
          iban: info.iban,
          bic: info.bic,
          amount: v.payable,
          endToEndId: msgId + '-' + v.vendorId,
          remittance: 'Caisse commune ' + rec.label + ' commercant ' + v.vendorId,
        });
      }
      const execution = new Date((now + 86400) * 1000).toISOString().slice(0, 10);
      const sepaPath = join(o.out, 'virements-sepa.xml');
      writeFileSync(
        sepaPath,
        painXml({ msgId, createdAt: now, executionDate: execution, debtor: vf.fund, transfers }),
      );
      wrote(sepaPath);
      const sepa = readPainSummary(readFileSync(sepaPath, 'utf8'));
      const sepaTotal = sepa.ok ? sepa.value.total : -1;
      say(
        L(
          '   Rapprochement du mois ' +
            rec.label +
            ' : ' +
            (rec.balanced ? 'équilibré' : 'NON ÉQUILIBRÉ') +
            ', ' +
            rec.anomalies.length +
            ' anomalie(s)',
          '   Reconciliation of ' +
            rec.label +
            ': ' +
            (rec.balanced ? 'balanced' : 'NOT BALANCED') +
            ', ' +
            rec.anomalies.length +
            ' anomaly(ies)',
        ),
      );
      say(
        L(
          '   Virements SEPA (pain.001) préparés pour le ' +
            execution +
            ' : ' +
            transfers.length +
            ' commerçants, ' +
            eur(sepaTotal),
          '   SEPA transfers (pain.001) prepared for ' +
            execution +
            ': ' +
            transfers.length +
            ' vendors, ' +
            eur(sepaTotal),
        ),
      );
      say('');

      // ---------------------------------------------------------------- 6. the books
      const summaries: VendorSummary[] = runs.map((run) => {
        const w = witness.get(run.spec.readerId) ?? { taken: 0, zTotal: null };
        const line = rec.vendors.find((v) => v.vendorId === run.spec.vendorId);
        return {
          vendorId: run.spec.vendorId,
          readerId: run.spec.readerId,
          name: run.spec.vendorName,
          takenOnCards: run.stand === null ? null : run.takenOnCards,
          takenInLog: w.taken,
          zTotal: w.zTotal,
          payable: line === undefined ? 0 : line.payable,
          memberPaid: run.memberPaid,
          sales: run.sales,
          refunds: run.refunds,
          refunded: run.refunded,
        };
      });
      for (const s of summaries) {
        const tag = L('commerçant n° ', 'vendor #') + s.vendorId + ' : ';
        if (s.takenOnCards !== null && s.takenOnCards !== s.takenInLog)
          problems.push(
            tag +
              L('cartes ', 'cards ') +
              eur(s.takenOnCards) +
              L(' ≠ journal ', ' ≠ log ') +
              eur(s.takenInLog),
          );
        if (s.takenOnCards !== null && s.zTotal !== s.takenOnCards)
          problems.push(
            tag +
              L('cartes ', 'cards ') +
              eur(s.takenOnCards) +
              L(' ≠ rapport Z ', ' ≠ Z report ') +
              eur(s.zTotal ?? 0),
          );
        if (s.takenInLog !== s.payable)
          problems.push(
            tag +
              L('lecteur ', 'reader ') +
              eur(s.takenInLog) +
              L(' ≠ dû par le grand livre ', ' ≠ owed by the ledger ') +
              eur(s.payable),
          );
      }
      const takenTotal = summaries.reduce((a, s) => a + s.takenInLog, 0);
      const memberPaidTotal = summaries.reduce((a, s) => a + s.memberPaid, 0);
      if (!rec.balanced) problems.push(L('le grand livre ne s’équilibre pas', 'the ledger does not balance'));
      if (rec.held !== 0) problems.push(L('des sommes sont retenues : ', 'sums are held: ') + eur(rec.held));
      if (takenTotal !== rec.payable)
        problems.push(
          L('total des lecteurs ', 'readers’ total ') + eur(takenTotal) + ' ≠ ' + eur(rec.payable),
        );
      if (sepaTotal !== rec.payable)
        problems.push(L('total SEPA ', 'SEPA total ') + eur(sepaTotal) + ' ≠ ' + eur(rec.payable));
      const clonePs = m(6).pseudonym;
      const cloneDetected = rec.anomalies.some((a) => a.kind === 'COPIE_DE_CARTE' && a.pseudonym === clonePs);
      const rollbackDetected = rec.anomalies.some((a) => a.kind === 'ALERTE_LECTEUR' && a.readerId === 2);
      const bothPlayed = at(2).stand !== null && at(3).stand !== null;
      if (bothPlayed && !cloneDetected)
        problems.push(L('la carte copiée n’a pas été détectée', 'the cloned card was not detected'));
      if (at(2).stand !== null && !rollbackDetected)
        problems.push(L('le retour en arrière n’a pas été signalé', 'the rollback attempt was not reported'));
      const expectedKinds = new Set(['COPIE_DE_CARTE', 'ALERTE_LECTEUR']);
      for (const a of rec.anomalies)
        if (!expectedKinds.has(a.kind))
          problems.push(L('anomalie inattendue : ', 'unexpected anomaly: ') + a.kind + ' — ' + a.message);
      // No member's name in anything the ledger side wrote (only the encrypted registry holds names).
      for (const f of [reportPath, monthPath, sepaPath, ...files.filter((x) => x.endsWith('.csv'))]) {
        const text = readFileSync(f, 'utf8');
        for (const mm of members)
          if (text.includes(mm.name)) problems.push(L('nom de membre dans ', 'member name in ') + rel(f));
      }

      say(L('6. Bilan de la journée', '6. Summary of the day'));
      const header =
        '   ' +
        L('Commerçant', 'Vendor').padEnd(26) +
        L('ventes', 'sales').padStart(7) +
        L('  payé par la caisse', '  paid by the fund') +
        L('  payé par les membres', '  paid by members') +
        L('  annulations', '  refunds');
      say(header);
      for (const s of summaries)
        say(
          '   ' +
            (s.name + (s.takenOnCards === null ? L(' (réel)', ' (real)') : '')).padEnd(26) +
            String(s.sales).padStart(7) +
            eur(s.payable).padStart(20) +
            (s.takenOnCards === null ? '—' : eur(s.memberPaid)).padStart(22) +
            (s.refunds === 0 ? '' : s.refunds + ' (' + eur(s.refunded) + ')').padStart(13),
        );
      say(
        '   ' +
          L('Total', 'Total').padEnd(26) +
          String(summaries.reduce((a, s) => a + s.sales, 0)).padStart(7) +
          eur(rec.payable).padStart(20) +
          eur(memberPaidTotal).padStart(22) +
          (rec.refunds === 0
            ? ''
            : summaries.reduce((a, s) => a + s.refunds, 0) + ' (' + eur(rec.refunds) + ')'
          ).padStart(13),
      );
      say(
        L(
          '   Comptes : pris sur les cartes (mesuré sur les cartes, relu dans les journaux, rapports Z) = dû aux commerçants par le grand livre',
          '   Books: taken from cards (measured on the cards, re-read in the logs, Z reports) = owed to vendors by the ledger',
        ),
      );
      say(
        '   ' +
          eur(takenTotal) +
          ' = ' +
          eur(rec.payable) +
          (takenTotal === rec.payable && rec.balanced ? L('  ✔ au centime près', '  ✔ to the cent') : '  ✘'),
      );
      say(
        L(
          '   Allocations du mois ' +
            eur(rec.available) +
            ' = dépensé ' +
            eur(rec.debited) +
            ' + non dépensé ' +
            eur(rec.unspent) +
            ' − dépassement ' +
            eur(rec.overspend),
          '   Month’s allocations ' +
            eur(rec.available) +
            ' = spent ' +
            eur(rec.debited) +
            ' + unspent ' +
            eur(rec.unspent) +
            ' − overspend ' +
            eur(rec.overspend),
        ),
      );
      say(L('   Anomalies trouvées :', '   Anomalies found:'));
      if (rec.anomalies.length === 0) say(L('     aucune', '     none'));
      // The ledger's messages are French only (host/src/ledger); the kind is named in the reader's language.
      const kindName: Record<string, string> = {
        COPIE_DE_CARTE: L('Carte copiée', 'Cloned card'),
        RETOUR_ARRIERE: L('Retour en arrière', 'Card rolled back'),
        ALERTE_LECTEUR: L('Alerte d’un lecteur', 'Reader alert'),
      };
      for (const a of rec.anomalies) say('     • ' + (kindName[a.kind] ?? a.kind) + ' — ' + a.message);
      say(
        '     ' +
          (cloneDetected ? '✔ ' : '✘ ') +
          L('carte copiée détectée au rapprochement', 'cloned card detected at reconciliation') +
          '   ' +
          (rollbackDetected ? '✔ ' : '✘ ') +
          L('retour en arrière signalé par le lecteur', 'rollback reported by the reader'),
      );
      const seconds = (performance.now() - t0) / 1000;
      say(L('   Fichiers écrits dans ', '   Files written in ') + rel(o.out) + L(' :', ':'));
      const shownFiles = [
        join(o.out, 'rapport.html'),
        sepaPath,
        vendorsPath,
        monthPath,
        ...files.filter((f) => f.includes('releve-commercant-')),
        ledgerPath,
        bundlePath,
        join(caisseDir, 'caisse.json'),
        join(caisseDir, 'exports'),
        ticketsDir,
      ];
      for (const f of shownFiles) say('     ' + rel(f));
      say(
        L(
          '   Ouvrez ' + rel(reportPath) + ' dans un navigateur pour le rapport du mois.',
          '   Open ' + rel(reportPath) + ' in a browser for the month’s report.',
        ),
      );
      wrote(ledgerPath);
      const ok = problems.length === 0;
      say(
        ok
          ? L(
              '   Journée terminée en ' +
                seconds.toFixed(1).replace('.', ',') +
                ' s : comptes justes, anomalies attendues trouvées.',
              '   Day done in ' + seconds.toFixed(1) + ' s: books balance, expected anomalies found.',
            )
          : L('   ÉCHEC de la vérification :', '   CHECK FAILED:'),
      );
      for (const p of problems) say('     ✘ ' + p);
      return {
        ok,
        problems,
        seconds,
        simulatedLink,
        realPort,
        fundId: fund.fundId,
        month,
        vendors: summaries,
        payableTotal: rec.payable,
        memberPaidTotal,
        sepaTotal,
        anomalies: rec.anomalies.map((a) => ({ kind: a.kind, readerId: a.readerId, message: a.message })),
        cloneDetected,
        rollbackDetected,
        files,
        rec,
        installs: runs.flatMap((r) => (r.link.installed === null ? [] : [r.link.installed])),
      };
    } finally {
      await ledger.close();
    }
  } finally {
    for (const r of runs) await r.link.stop();
  }
}
