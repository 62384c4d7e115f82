// `carnet carte …` (English: `carnet card …`): the card desk (issue 7). Cards go through a USB PC/SC
// reader (nfc-pcsc); the member registry, the write journal and the pending blocklist live in the desk
// folder (`--dossier`, default ./guichet or $CARNET_GUICHET). Secrets are passphrase-encrypted files
// (host/src/keys/keyfile.ts); the passphrase is asked, or taken from CARNET_PASSPHRASE.
// CARNET_NOW (seconds since 1970, UTC) overrides the clock, for tests and demonstrations only.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, CommandIo, CommandOutput, opt, registerCommand } from '../cli/command';
import {
  EXIT_DATAERR,
  EXIT_FINDINGS,
  EXIT_NOINPUT,
  EXIT_NOPERM,
  EXIT_OK,
  EXIT_SOFTWARE,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
} from '../cli/exit-codes';
import { lang, money, t } from '../cli/i18n';
import { DESK_MESSAGES_EN } from '../desk/messages-en';
import { toHex } from '../../../protocol/src/bytes';
import { hostCrypto, hostSigner } from '../../../protocol/src/node/ed25519';
import { verifyDirectory } from '../../../protocol/src/verify';
import { keyId } from '../../../protocol/src/structures/keys';
import { CardIo, DeskError } from '../desk/card-io';
import {
  CardReport,
  DEFAULT_QUARANTINE_WEEKS,
  DeskContext,
  blockPseudonym,
  formatCard,
  inspectCard,
  issueCard,
  pseudonymOnCard,
  renewCard,
  replaceCard,
  restoreBalance,
} from '../desk/desk';
import { FundProfile, loadFundProfile } from '../desk/fund';
import { FileJournal } from '../desk/journal';
import { EMPTY_LEDGER, JsonLedgerView, LedgerDbView, LedgerQuery, LedgerView } from '../desk/ledger-view';
import { monthNameFr } from '../ledger/report';
import { loadPending, savePending, signPending } from '../desk/pending-blocklist';
import { MemberRegistry } from '../desk/registry';
import {
  PURPOSE_CARD_SECRET,
  PURPOSE_ISSUER_KEY,
  PURPOSE_OPERATOR_KEY,
  SealedFileError,
  loadKeyFile,
  saveKeyFile,
} from '../keys/keyfile';
import { DEFAULT_CARD_WAIT_MS, PcscDesk } from '../adapters/pcsc/nfc-pcsc';

type Values = Record<string, string | number | boolean | undefined>;

const PENDING_FILE = 'liste-blocage-en-attente.json';
const REGISTRY_FILE = 'registre.chiffre';

const O = {
  fonds: opt('fonds', 'string', 'profil du fonds (JSON)', 'fund profile (JSON)', 'fund'),
  dossier: opt('dossier', 'string', 'dossier du guichet (registre, journal)', 'desk folder', 'folder'),
  registre: opt(
    'registre',
    'string',
    'registre des membres chiffré',
    'encrypted member registry',
    'registry',
  ),
  lecteur: opt('lecteur', 'string', 'nom (ou partie) du lecteur PC/SC', 'PC/SC reader name (part)', 'reader'),
  attente: opt('attente', 'number', 'secondes d’attente de la carte', 'seconds to wait for the card', 'wait'),
  cle: opt('cle-emetteur', 'string', 'clé d’émission chiffrée', 'encrypted issuer key', 'issuer-key'),
  secret: opt('secret-cartes', 'string', 'secret des cartes chiffré', 'encrypted card secret', 'card-secret'),
  protection: opt(
    'protection',
    'boolean',
    'protéger la carte en écriture',
    'write-protect the card',
    'protect',
  ),
  forcer: opt('forcer', 'boolean', 'écraser une carte émise', 'overwrite an issued card', 'force'),
  nom: opt('nom', 'string', 'nom du membre (reste dans le registre)', 'member name (registry only)', 'name'),
  personnes: opt('personnes', 'number', 'personnes du foyer', 'people in the household', 'people'),
  parts: opt('parts', 'number', 'nombre de parts', 'number of parts'),
  annuaire: opt('annuaire', 'string', 'annuaire signé des lecteurs', 'signed reader directory', 'directory'),
  pseudonyme: opt('pseudonyme', 'string', 'pseudonyme (16 hex)', 'pseudonym (16 hex)', 'pseudonym'),
  operateur: opt(
    'cle-operateur',
    'string',
    'clé d’opérateur chiffrée (signe la liste)',
    'encrypted operator key',
    'operator-key',
  ),
  quarantaine: opt(
    'quarantaine-semaines',
    'number',
    'quarantaine avant de rendre le solde (semaines)',
    'quarantine before the balance comes back (weeks)',
    'quarantine-weeks',
  ),
  livre: opt('grand-livre', 'string', 'export JSON du grand livre', 'ledger JSON export', 'ledger'),
  raison: opt('raison', 'string', 'raison du blocage', 'reason for blocking', 'reason'),
  sortie: opt('sortie', 'string', 'fichier à créer', 'file to create', 'out'),
  usage: opt(
    'usage',
    'string',
    'cle-emetteur | secret-cartes | cle-operateur',
    'what the file holds',
    'purpose',
  ),
};

function now(): number {
  const env = process.env.CARNET_NOW;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : Math.floor(Date.now() / 1000);
}

function str(v: Values, k: string): string | null {
  const x = v[k];
  return typeof x === 'string' && x !== '' ? x : null;
}

function num(v: Values, k: string): number | null {
  const x = v[k];
  return typeof x === 'number' ? x : null;
}

function folder(v: Values): string {
  return str(v, 'dossier') ?? process.env.CARNET_GUICHET ?? 'guichet';
}

const DATA_CODES = /^(CARD_|FUND_PROFILE$|VOUCHER_|BLOCKLIST_|ALREADY_|LEDGER_)/;

/** Turns a desk or key-file error into a CLI error with the right exit code. */
function cliError(e: unknown): unknown {
  if (e instanceof SealedFileError) {
    return new CliError(e.code, e.message, e.code === 'SEALED_WRONG_PASSPHRASE' ? EXIT_NOPERM : EXIT_DATAERR);
  }
  if (!(e instanceof DeskError)) return e;
  let exit = EXIT_DATAERR;
  if (e.code === 'NO_CARD' || e.code === 'PCSC_UNAVAILABLE' || e.code === 'CARD_GONE')
    exit = EXIT_UNAVAILABLE;
  else if (e.code === 'FUND_PROFILE_MISSING' || e.code === 'MEMBER_UNKNOWN') exit = EXIT_NOINPUT;
  else if (e.code === 'CARD_VERIFY') exit = EXIT_SOFTWARE;
  else if (!DATA_CODES.test(e.code)) exit = EXIT_USAGE;
  // English on request: the code's sentence, with the French detail kept for what it names.
  const en = DESK_MESSAGES_EN[e.code];
  const message = lang() === 'en' && en !== undefined ? en + ' (' + e.message + ')' : e.message;
  return new CliError(e.code, message, exit);
}

async function passphrase(io: CommandIo, what: string): Promise<string> {
  return io.ask('Phrase de passe (' + what + ') : ', true);
}

interface Setup {
  ctx: DeskContext;
  registryPath: string;
}

async function setup(
  v: Values,
  io: CommandIo,
  needs: { issuer: boolean; registry: boolean },
): Promise<Setup> {
  const fundPath = str(v, 'fonds') ?? process.env.CARNET_FONDS ?? null;
  if (fundPath === null)
    throw new DeskError('FUND_PROFILE_OPTION', 'donnez le profil du fonds : --fonds FICHIER');
  const profile: FundProfile = loadFundProfile(fundPath);
  const dir = folder(v);
  const keyPath = str(v, 'cle-emetteur');
  if (needs.issuer && keyPath === null) {
    throw new DeskError('ISSUER_KEY_MISSING', 'il faut la clé d’émission du fonds (--cle-emetteur FICHIER)');
  }
  const issuer =
    keyPath !== null
      ? hostSigner(loadKeyFile(keyPath, await passphrase(io, 'clé d’émission'), PURPOSE_ISSUER_KEY))
      : null;
  const secretPath = str(v, 'secret-cartes');
  const cardSecret =
    secretPath !== null
      ? loadKeyFile(secretPath, await passphrase(io, 'secret des cartes'), PURPOSE_CARD_SECRET)
      : null;
  const registryPath = str(v, 'registre') ?? join(dir, REGISTRY_FILE);
  let registry: MemberRegistry | null = null;
  if (needs.registry || existsSync(registryPath)) {
    registry = MemberRegistry.open(registryPath, await passphrase(io, 'registre des membres'));
  }
  let directory = null;
  const dirPath = str(v, 'annuaire');
  if (dirPath !== null) {
    if (profile.rootPublicKey === null) {
      throw new DeskError(
        'FUND_PROFILE',
        'profil du fonds sans rootPublicKey : impossible de vérifier l’annuaire',
      );
    }
    const d = verifyDirectory(
      new Uint8Array(readFileSync(dirPath)),
      profile.rootPublicKey,
      profile.fundId,
      hostCrypto,
    );
    if (!d.ok) throw new DeskError('CARD_DIRECTORY', 'annuaire des lecteurs refusé : ' + d.message);
    directory = d.value;
  }
  return {
    ctx: {
      profile,
      journal: new FileJournal(join(dir, 'journal')),
      crypto: hostCrypto,
      issuer,
      cardSecret,
      registry,
      directory,
    },
    registryPath,
  };
}

async function withCard<T>(v: Values, fn: (io: CardIo) => Promise<T>): Promise<T> {
  const desk = PcscDesk.start(str(v, 'lecteur'));
  try {
    const wait = num(v, 'attente');
    const card = await desk.waitCard(wait !== null ? wait * 1000 : DEFAULT_CARD_WAIT_MS);
    return await fn(card);
  } finally {
    await desk.close();
  }
}

function run(fn: (v: Values, io: CommandIo) => Promise<CommandOutput>) {
  return async (v: Values, io: CommandIo): Promise<CommandOutput> => {
    try {
      return await fn(v, io);
    } catch (e) {
      throw cliError(e);
    }
  };
}

function dateOf(tm: number): string {
  return new Date(tm * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/** "2026-11" → "novembre 2026" in sentences people read (JSON keeps the label). */
function frMonths(line: string): string {
  return line.replace(/\b(\d{4})-(\d{2})\b(?![-\d])/g, (m, y: string, mo: string) => {
    const i = Number(mo) - 1;
    return i >= 0 && i < 12 ? monthNameFr((Number(y) - 1970) * 12 + i) : m;
  });
}

/** The card report in plain French, for the person at the desk. */
export function reportLines(r: CardReport): string[] {
  const lines = ['Carte ' + r.chip + ' ' + r.uid + ' : ' + r.message + '.'];
  if (r.voucher !== null) {
    lines.push(
      'Bon n° ' +
        r.voucher.serial +
        ', de ' +
        r.voucher.startMonth +
        ' à ' +
        r.voucher.endMonth +
        ', ' +
        money(r.voucher.monthlyAllocation) +
        ' par mois' +
        (r.voucher.carryCap > 0 ? ', report plafonné à ' + money(r.voucher.carryCap) : ', sans report') +
        '.',
    );
  }
  if (r.balance !== null) {
    lines.push(
      'Solde de ' +
        r.balance.month +
        ' : ' +
        money(r.balance.available) +
        ' (allocation ' +
        money(r.balance.allocation) +
        ', reporté ' +
        money(r.balance.carried) +
        ', dépensé ' +
        money(r.balance.spent) +
        ').',
    );
  }
  if (r.spends.length > 0) {
    lines.push('Dernières opérations :');
    for (const s of r.spends) {
      const what = s.amount >= 0 ? 'achat de ' + money(s.amount) : 'remboursement de ' + money(-s.amount);
      lines.push(
        '  ' +
          dateOf(s.time) +
          ' UTC, ' +
          what +
          ', lecteur ' +
          s.readerId +
          (s.verified ? ' (signature vérifiée)' : ' (non vérifiée)'),
      );
    }
  } else if (r.voucher !== null) lines.push('Aucune dépense enregistrée sur la carte.');
  for (const rc of r.receipts.slice(0, 5)) {
    lines.push(
      '  reçu : ' +
        dateOf(rc.time) +
        ' UTC, ' +
        money(rc.amount) +
        ', lecteur ' +
        rc.readerId +
        ' (non signé)',
    );
  }
  if (r.writeProtected) lines.push('Carte protégée en écriture (mot de passe du fonds).');
  for (const n of r.notes) lines.push('Remarque : ' + n + '.');
  return lines.map(frMonths);
}

/** `--grand-livre`: a JSON export (*.json), or the ledger database that host/src/ledger opens. */
async function ledgerFor(path: string | null): Promise<LedgerView> {
  if (path === null) return EMPTY_LEDGER;
  if (path.endsWith('.json')) return JsonLedgerView.load(path);
  if (!existsSync(path) && !path.includes('://'))
    throw new DeskError('LEDGER_UNREADABLE', 'grand livre introuvable : ' + path);
  const mod = (await import('../ledger/ledger')) as { Ledger: { open(where: string): Promise<LedgerQuery> } };
  return new LedgerDbView(await mod.Ledger.open(path));
}

function ok(lines: string[], json: unknown): CommandOutput {
  return { lines, json, exitCode: EXIT_OK };
}

const common = [O.fonds, O.dossier, O.registre, O.lecteur, O.attente];

export function registerCarte(): void {
  registerCommand({
    path: ['carte', 'lire'],
    alias: ['card', 'read'],
    summary: {
      fr: 'lire une carte : solde du mois, dernières dépenses, validité',
      en: 'read a card: balance, last spends, validity',
    },
    options: [...common, O.annuaire],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: false, registry: false });
      const r = await withCard(v, (c) => inspectCard(c, s.ctx, now()));
      const good = r.status === 'valide';
      return { lines: reportLines(r), json: r, exitCode: good ? EXIT_OK : EXIT_FINDINGS };
    }),
  });

  registerCommand({
    path: ['carte', 'formater'],
    alias: ['card', 'format'],
    summary: { fr: 'mettre une carte vierge au format carnet', en: 'format a blank card for carnet' },
    options: [...common, O.secret, O.protection, O.forcer],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: false, registry: false });
      const r = await withCard(v, (c) =>
        formatCard(c, s.ctx, { now: now(), protect: v.protection === true, force: v.forcer === true }),
      );
      return ok(
        [
          'Carte ' +
            r.chip +
            ' ' +
            r.uid +
            ' formatée' +
            (r.writeProtected ? ' et protégée en écriture' : '') +
            '.',
        ],
        r,
      );
    }),
  });

  registerCommand({
    path: ['carte', 'emettre'],
    alias: ['card', 'issue'],
    summary: { fr: 'émettre une carte de membre', en: 'issue a member card' },
    options: [
      ...common,
      O.cle,
      O.secret,
      O.protection,
      O.forcer,
      { ...O.nom, required: true },
      O.personnes,
      O.parts,
    ],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: true, registry: true });
      const member = { name: String(v.nom), householdSize: num(v, 'personnes'), parts: num(v, 'parts') };
      const r = await withCard(v, (c) =>
        issueCard(c, s.ctx, member, { now: now(), protect: v.protection === true, force: v.forcer === true }),
      );
      const lines = [
        (r.resumed ? 'Émission interrompue terminée' : 'Carte émise') +
          ' : ' +
          r.chip +
          ' ' +
          r.uid +
          ', pseudonyme ' +
          r.pseudonym +
          '.',
        money(r.monthlyAllocation) +
          ' par mois de ' +
          r.startMonth +
          ' à ' +
          r.endMonth +
          '. Le nom reste dans le registre chiffré.',
      ];
      return ok(lines, r);
    }),
  });

  registerCommand({
    path: ['carte', 'renouveler'],
    alias: ['card', 'renew'],
    summary: { fr: 'renouveler le bon d’une carte (nouvelle période)', en: 'renew a card voucher' },
    options: [...common, O.cle, O.secret, O.personnes, O.parts],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: true, registry: false });
      const member = { householdSize: num(v, 'personnes'), parts: num(v, 'parts') };
      const r = await withCard(v, (c) =>
        renewCard(c, s.ctx, { now: now(), protect: false, force: false, member }),
      );
      return ok(
        [
          'Bon renouvelé : n° ' +
            r.serial +
            ', ' +
            money(r.monthlyAllocation) +
            ' par mois de ' +
            r.startMonth +
            ' à ' +
            r.endMonth +
            '.',
        ],
        r,
      );
    }),
  });

  registerCommand({
    path: ['carte', 'bloquer'],
    alias: ['card', 'block'],
    summary: {
      fr: 'bloquer une carte (prochaine liste de blocage signée)',
      en: 'block a card (next signed blocklist)',
    },
    options: [...common, O.pseudonyme, O.nom, O.operateur, O.raison],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: false, registry: str(v, 'nom') !== null });
      let pseudo = str(v, 'pseudonyme');
      const name = str(v, 'nom');
      if (pseudo === null && name !== null) {
        const m = s.ctx.registry?.byName(name) ?? null;
        if (m === null) throw new DeskError('MEMBER_UNKNOWN', 'aucun membre de ce nom dans le registre');
        pseudo = m.pseudonym;
      }
      if (pseudo === null) pseudo = await withCard(v, (c) => pseudonymOnCard(c, s.ctx, now()));
      const dir = folder(v);
      const pendingPath = join(dir, PENDING_FILE);
      const pending = loadPending(pendingPath, s.ctx.profile.fundId);
      const added = blockPseudonym(
        s.ctx,
        pending,
        pseudo.toLowerCase(),
        now(),
        str(v, 'raison') ?? 'bloquee',
      );
      const lines = [
        added
          ? 'Pseudonyme ' + pseudo + ' ajouté à la liste de blocage en attente.'
          : 'Pseudonyme ' + pseudo + ' déjà bloqué.',
      ];
      let signed: { version: number; file: string } | null = null;
      const opPath = str(v, 'cle-operateur');
      if (opPath !== null) {
        const op = hostSigner(
          loadKeyFile(opPath, await passphrase(io, 'clé d’opérateur'), PURPOSE_OPERATOR_KEY),
        );
        const b = signPending(pending, op, now());
        const file = join(dir, 'liste-blocage-v' + b.version + '.cbor');
        writeFileSync(file, b.envelope);
        signed = { version: b.version, file };
        lines.push(
          'Liste de blocage v' + b.version + ' signée : ' + file + ' (à installer sur les lecteurs).',
        );
      } else lines.push('À signer par la trésorerie (--cle-operateur) puis installer sur les lecteurs.');
      savePending(pendingPath, pending);
      return ok(lines, { pseudonym: pseudo, added, pending: pending.pending.length, signed });
    }),
  });

  registerCommand({
    path: ['carte', 'remplacer'],
    alias: ['card', 'replace'],
    summary: { fr: 'remplacer une carte perdue (bloque l’ancienne, quarantaine)', en: 'replace a lost card' },
    options: [
      ...common,
      O.cle,
      O.secret,
      O.protection,
      O.nom,
      O.pseudonyme,
      O.operateur,
      O.quarantaine,
      O.livre,
    ],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: true, registry: true });
      const reg = s.ctx.registry as MemberRegistry;
      let pseudo = str(v, 'pseudonyme');
      const name = str(v, 'nom');
      if (pseudo === null && name !== null) {
        const m = reg.byName(name);
        if (m === null) throw new DeskError('MEMBER_UNKNOWN', 'aucun membre de ce nom dans le registre');
        pseudo = m.pseudonym;
      }
      if (pseudo === null)
        throw new DeskError('REPLACE_WHO', 'qui ? donnez --nom ou --pseudonyme de la carte perdue');
      const ledgerPath = str(v, 'grand-livre');
      const ledger = await ledgerFor(ledgerPath);
      const dir = folder(v);
      const pendingPath = join(dir, PENDING_FILE);
      const pending = loadPending(pendingPath, s.ctx.profile.fundId);
      const weeks = num(v, 'quarantaine-semaines') ?? DEFAULT_QUARANTINE_WEEKS;
      const r = await withCard(v, (c) =>
        replaceCard(c, s.ctx, pending, ledger, pseudo.toLowerCase(), {
          now: now(),
          protect: v.protection === true,
          force: false,
          quarantineWeeks: weeks,
        }),
      );
      const opPath = str(v, 'cle-operateur');
      let signedVersion: number | null = null;
      if (opPath !== null) {
        const op = hostSigner(
          loadKeyFile(opPath, await passphrase(io, 'clé d’opérateur'), PURPOSE_OPERATOR_KEY),
        );
        const b = signPending(pending, op, now());
        writeFileSync(join(dir, 'liste-blocage-v' + b.version + '.cbor'), b.envelope);
        signedVersion = b.version;
      }
      savePending(pendingPath, pending);
      const lines = [
        'Ancienne carte ' +
          r.oldPseudonym +
          ' bloquée' +
          (signedVersion !== null
            ? ' (liste v' + signedVersion + ' signée)'
            : ' (liste en attente de signature)') +
          '.',
        'Nouvelle carte ' +
          r.uid +
          ', pseudonyme ' +
          r.pseudonym +
          ' : ' +
          money(r.monthlyAllocation) +
          ' par mois de ' +
          r.startMonth +
          ' à ' +
          r.endMonth +
          '.',
        'Solde de l’ancienne carte ce mois-ci : ' +
          money(r.oldBalanceNow) +
          (r.ledgerState
            ? ' (d’après le grand livre)'
            : ' (grand livre sans état pour elle : calculé sur le bon seul)') +
          '.',
        'Quarantaine de ' +
          weeks +
          ' semaines jusqu’au ' +
          dateOf(r.quarantineEnds).slice(0, 10) +
          ' : ensuite, « carnet carte restituer » remet ce solde sur la nouvelle carte, recalculé sur le grand livre.',
      ];
      return ok(lines, { ...r, signedVersion });
    }),
  });

  registerCommand({
    path: ['carte', 'restituer'],
    alias: ['card', 'restore'],
    summary: {
      fr: 'rendre le solde d’une carte perdue sur sa remplaçante, après la quarantaine',
      en: 'give a lost card’s balance back on its replacement, after the quarantine',
    },
    options: [...common, O.cle, O.secret, O.livre],
    run: run(async (v, io) => {
      const s = await setup(v, io, { issuer: true, registry: true });
      const ledger = await ledgerFor(str(v, 'grand-livre'));
      const r = await withCard(v, (c) =>
        restoreBalance(c, s.ctx, ledger, { now: now(), protect: false, force: false }),
      );
      const lines =
        r.restored === 0
          ? ['La carte perdue ' + r.from + ' n’avait plus rien ce mois-là : rien à restituer.']
          : [
              money(r.restored) +
                ' de la carte perdue ' +
                r.from +
                ' ajoutés ce mois-ci sur la carte ' +
                r.uid +
                ' (bon n° ' +
                r.serial +
                ').',
            ];
      return ok(lines, r);
    }),
  });

  registerCommand({
    path: ['carte', 'cle-creer'],
    alias: ['card', 'key-create'],
    summary: {
      fr: 'créer un fichier de clé chiffré (émission, opérateur, secret des cartes)',
      en: 'create an encrypted key file',
    },
    options: [{ ...O.sortie, required: true }, O.usage],
    run: run(async (v, io) => {
      const purpose = str(v, 'usage') ?? PURPOSE_ISSUER_KEY;
      if (![PURPOSE_ISSUER_KEY, PURPOSE_CARD_SECRET, PURPOSE_OPERATOR_KEY].includes(purpose)) {
        throw new DeskError(
          'KEY_PURPOSE',
          t({ fr: 'usage inconnu : {p}', en: 'unknown purpose: {p}' }, { p: purpose }),
        );
      }
      const out = String(v.sortie);
      if (existsSync(out)) throw new DeskError('KEY_EXISTS', 'le fichier existe déjà : ' + out);
      const seed = new Uint8Array(randomBytes(32));
      saveKeyFile(out, seed, await passphrase(io, 'nouveau fichier'), purpose);
      const pub = purpose === PURPOSE_CARD_SECRET ? null : hostSigner(seed).publicKey;
      const lines = ['Fichier ' + out + ' créé (' + purpose + ', chiffré).'];
      if (pub !== null)
        lines.push('Clé publique : ' + toHex(pub) + ' (id ' + toHex(keyId(pub, hostCrypto.sha256)) + ').');
      return ok(lines, { file: out, purpose, publicKey: pub === null ? null : toHex(pub) });
    }),
  });
}
