// `carnet cles creer` (keys create) and `carnet lecteur …` (reader …): fund keys, and readers over USB
// serial — list, provision, pull logs, status, maintenance (issue 6). The fund folder is `--caisse`
// (default ./caisse or $CARNET_CAISSE, host/src/link/fund-folder.ts); the passphrase is asked, or taken
// from CARNET_PASSPHRASE.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SerialPort } from 'serialport';
import { CliError, CommandIo, CommandOutput, opt, registerCommand } from '../cli/command';
import {
  EXIT_DATAERR,
  EXIT_FINDINGS,
  EXIT_NOINPUT,
  EXIT_NOPERM,
  EXIT_OK,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
} from '../cli/exit-codes';
import { fromHex, toHex } from '../../../protocol/src/bytes';
import {
  InfoMessage,
  MSG_SELF_TEST,
  MSG_SELF_TEST_REPORT,
  READER_STATE_PROVISIONED,
} from '../../../protocol/src/messages';
import { SealedFileError } from '../keys/keyfile';
import { LinkError, LinkTransport } from '../link/transport';
import {
  ClientError,
  KnownReader,
  MAX_CLOCK_DRIFT_S,
  ReaderClient,
  checkReader,
  enterMaintenance,
  nowSeconds,
  provision,
  setClock,
} from '../link/reader-client';
import { openPullStore } from '../link/pull-store';
import { exportBeforeAck, fundProvisionPlan } from '../link/fund-ops';
import { Ledger } from '../ledger/ledger';
import { REPL_TIMEOUT_MS, UploadError, UploadFile } from '../link/espruino-upload';
import {
  BOARD_PACKET_TIMEOUT_MS,
  InstallReport,
  installFirmware,
  timeoutsFor,
} from '../link/espruino-packet';
import {
  FundFile,
  FundKeys,
  PAPER_FILE,
  PUBLIC_FILE,
  PULL_DB_FILE,
  createFund,
  fundDir,
  loadFund,
  loadKeys,
} from '../link/fund-folder';

type Values = Record<string, string | number | boolean | undefined>;

/** Serial speed: ignored by USB CDC (the Pico's native USB) but required by serialport. */
export const SERIAL_BAUD = 115200;
/** Probing a port in `lecteur liste`: 250 ms per attempt, 1 retry (a carnet reader answers in ms; other
 * devices must not hold the list for seconds). */
export const PROBE_ACK_TIMEOUT_MS = 250;
/** After an install, the reboot: the firmware sets up its NFC reader (~1 s) before taking the port. */
export const FIRMWARE_BOOT_WAIT_MS = 10000;

/** The board's packet timeout: 1000 ms; CARNET_ESPRUINO_TIMEOUT_MS changes it (slow links, tests), and
 * every wait of the install scales with it. */
function boardTimeoutMs(): number {
  return Number(process.env.CARNET_ESPRUINO_TIMEOUT_MS) || BOARD_PACKET_TIMEOUT_MS;
}

/** Whether the carnet firmware answers HELLO on the port (a quick probe, as `lecteur liste` does). */
async function carnetAnswers(port: SerialPort): Promise<boolean> {
  const link = new LinkTransport(port, {
    ackTimeoutMs: PROBE_ACK_TIMEOUT_MS,
    maxRetries: 1,
    responseTimeoutMs: 500,
  });
  try {
    await new ReaderClient(link).hello();
    return true;
  } catch {
    return false;
  } finally {
    link.close();
  }
}

/** After load(): HELLO until the carnet firmware answers, or null. */
async function helloAfterBoot(port: SerialPort): Promise<InfoMessage | null> {
  let info: InfoMessage | null = null;
  const link = new LinkTransport(port);
  try {
    const until = Date.now() + (FIRMWARE_BOOT_WAIT_MS * boardTimeoutMs()) / BOARD_PACKET_TIMEOUT_MS;
    while (info === null && Date.now() < until) {
      try {
        info = await new ReaderClient(link).hello();
      } catch {
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  } finally {
    link.close();
  }
  return info;
}

const CAISSE = opt('caisse', 'string', 'dossier de la caisse (défaut ./caisse)', 'fund folder', 'fund');
const PORT = opt('port', 'string', 'port série du lecteur (ex. /dev/ttyACM0)', 'reader serial port');

function out(lines: string[], json: unknown, exitCode = EXIT_OK): CommandOutput {
  return { lines, json, exitCode };
}

function needFund(v: Values): { dir: string; fund: FundFile } {
  const dir = fundDir(v.caisse as string | undefined);
  const fund = loadFund(dir);
  if (fund === null)
    throw new CliError(
      'CAISSE_ABSENTE',
      'aucune caisse dans « ' + dir + ' » : créez ses clés avec « carnet cles creer »',
      EXIT_NOINPUT,
    );
  return { dir, fund };
}

async function keys(dir: string, io: CommandIo): Promise<FundKeys> {
  const pass = await io.ask('Phrase de passe de la caisse : ', true);
  try {
    return loadKeys(dir, pass);
  } catch (e) {
    if (e instanceof SealedFileError) throw new CliError(e.code, e.message, EXIT_NOPERM);
    throw e;
  }
}

function needPort(v: Values): string {
  const p = v.port as string | undefined;
  if (p === undefined || p === '')
    throw new CliError('PORT_MANQUANT', 'indiquez le port du lecteur : --port /dev/ttyACM0', EXIT_USAGE);
  return p;
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: SERIAL_BAUD, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((e) =>
      e
        ? reject(new CliError('PORT_INACCESSIBLE', 'port ' + path + ' : ' + e.message, EXIT_UNAVAILABLE))
        : resolve(),
    ),
  );
  return port;
}

async function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

/** Runs `f` with a link on the port; maps link and client errors to exit codes. */
async function withReader<T>(path: string, f: (c: ReaderClient) => Promise<T>): Promise<T> {
  const port = await openPort(path);
  const link = new LinkTransport(port);
  try {
    return await f(new ReaderClient(link));
  } catch (e) {
    if (e instanceof LinkError) throw new CliError(e.code, e.message, EXIT_UNAVAILABLE);
    if (e instanceof ClientError) {
      const code = e.code === 'NOT_PROVISIONED' || e.code === 'MAINTENANCE' ? EXIT_UNAVAILABLE : EXIT_DATAERR;
      throw new CliError(e.code, e.message, code);
    }
    throw e;
  } finally {
    link.close();
    await closePort(port);
  }
}

function known(fund: FundFile, info: InfoMessage): KnownReader | null {
  const r = fund.readers.find((x) => x.readerId === info.readerId);
  return r === undefined
    ? null
    : { readerId: r.readerId, publicKey: fromHex(r.publicKey), revoked: r.revoked };
}

function date(t: number | null): string {
  return t === null ? '—' : new Date(t * 1000).toISOString().replace('T', ' ').substring(0, 16) + ' UTC';
}

function driftText(d: number): string {
  const a = Math.abs(d);
  const s = a < 120 ? a + ' s' : a < 7200 ? Math.round(a / 60) + ' min' : Math.round(a / 3600) + ' h';
  return d === 0 ? 'à l’heure' : (d > 0 ? 'en avance de ' : 'en retard de ') + s;
}

/** Categories as `id:label:percent,…` (percent of the price the fund covers). */
function parseCategories(s: string): { id: number; label: string; rateBp: number }[] {
  return s.split(',').map((part) => {
    const [id, label, pct] = part.split(':');
    const n = Number(id);
    const p = Number(pct);
    if (!Number.isInteger(n) || label === undefined || !Number.isFinite(p))
      throw new CliError(
        'CATEGORIES',
        'catégorie mal écrite : « ' + part + ' » (attendu id:libellé:pourcentage)',
        EXIT_USAGE,
      );
    return { id: n, label: label, rateBp: Math.round(p * 100) };
  });
}

export function registerLecteur(): void {
  registerCommand({
    path: ['cles', 'creer'],
    alias: ['keys', 'create'],
    summary: {
      fr: 'Crée les clés de la caisse (racine, opérateur, émettrice), chiffrées, et leur sauvegarde papier',
      en: 'Create the fund keys (root, operator, issuer), encrypted, with a paper backup',
    },
    options: [CAISSE],
    async run(v, io) {
      const dir = fundDir(v.caisse as string | undefined);
      if (loadFund(dir) !== null)
        throw new CliError(
          'CAISSE_EXISTE',
          'une caisse existe déjà dans « ' + dir + ' » : rien n’a été modifié',
          EXIT_USAGE,
        );
      const pass = await io.ask('Nouvelle phrase de passe de la caisse : ', true);
      if (pass.length < 12)
        throw new CliError(
          'PHRASE_COURTE',
          'phrase de passe trop courte (12 caractères au moins)',
          EXIT_USAGE,
        );
      const again = await io.ask('La même, encore une fois : ', true);
      if (again !== pass) throw new CliError('PHRASES_DIFFERENTES', 'les deux phrases diffèrent', EXIT_USAGE);
      io.progress('Chiffrement des clés', 0, 1);
      const f = createFund(dir, pass, nowSeconds());
      io.progress('Chiffrement des clés', 1, 1);
      return out(
        [
          'Caisse ' + f.fundId + ' créée dans ' + dir,
          '  clé racine     ' + f.rootPublicKey.substring(0, 16) + '…',
          '  clé opérateur  ' + f.operatorPublicKey.substring(0, 16) + '…',
          '  clé émettrice  ' + f.issuerPublicKey.substring(0, 16) + '…',
          'Imprimez ' +
            join(dir, PAPER_FILE) +
            ' puis effacez-le ; clés publiques : ' +
            join(dir, PUBLIC_FILE),
        ],
        { fundId: f.fundId, root: f.rootPublicKey, operator: f.operatorPublicKey, issuer: f.issuerPublicKey },
      );
    },
  });

  registerCommand({
    path: ['lecteur', 'liste'],
    alias: ['reader', 'list'],
    summary: {
      fr: 'Liste les ports série et dit lesquels sont des lecteurs carnet',
      en: 'List serial ports and carnet readers',
    },
    options: [opt('port', 'string', 'interroger aussi ce port (ex. un pty)', 'also probe this port')],
    async run(v) {
      const ports = (await SerialPort.list()).map((p) => ({ path: p.path, maker: p.manufacturer ?? null }));
      if (typeof v.port === 'string' && !ports.some((p) => p.path === v.port))
        ports.push({ path: v.port, maker: null });
      const rows: unknown[] = [];
      const lines: string[] = [];
      for (const p of ports) {
        let info: InfoMessage | null;
        try {
          const port = await openPort(p.path);
          const link = new LinkTransport(port, {
            ackTimeoutMs: PROBE_ACK_TIMEOUT_MS,
            maxRetries: 1,
            responseTimeoutMs: 500,
          });
          try {
            info = await new ReaderClient(link).hello();
          } catch {
            info = null;
          } finally {
            link.close();
            await closePort(port);
          }
        } catch {
          info = null;
        }
        rows.push({
          path: p.path,
          manufacturer: p.maker,
          carnet: info !== null,
          firmware: info?.firmwareVersion ?? null,
          readerId: info?.readerId ?? null,
          fundId: info?.fundId ? toHex(info.fundId) : null,
        });
        lines.push(
          p.path.padEnd(24) +
            '  ' +
            (info === null
              ? 'pas un lecteur carnet'
              : 'lecteur carnet ' +
                (info.readerId === null ? '(vierge)' : 'n° ' + info.readerId) +
                ', micrologiciel ' +
                info.firmwareVersion),
        );
      }
      if (lines.length === 0) lines.push('Aucun port série.');
      return out(lines, rows);
    },
  });

  registerCommand({
    path: ['lecteur', 'preparer'],
    alias: ['reader', 'provision'],
    summary: {
      fr: 'Met un lecteur en service : clé créée sur le lecteur, certificat, heure, configuration, annuaire, liste de blocage',
      en: 'Provision a reader: key made on the reader, certificate, clock, configuration, directory, blocklist',
    },
    options: [
      CAISSE,
      PORT,
      {
        ...opt('lecteur', 'number', 'numéro du lecteur dans la caisse', 'reader number', 'reader'),
        required: true,
      },
      opt('vendeur', 'string', 'nom du producteur (32 caractères au plus)', 'vendor name', 'vendor'),
      opt('fournisseur', 'number', 'numéro du producteur (défaut 1)', 'vendor number', 'vendor-id'),
      opt(
        'categories',
        'string',
        'catégories id:libellé:pourcentage,… (défaut 1:Alimentation:100)',
        'categories',
      ),
      opt(
        'plafond-passage',
        'number',
        'plafond par passage en centimes (défaut 5000)',
        'per-tap cap (cents)',
        'tap-max',
      ),
      opt(
        'plafond-jour',
        'number',
        'plafond par carte et par jour en centimes (défaut 10000)',
        'per-card daily cap',
        'day-max',
      ),
    ],
    async run(v, io) {
      const { dir, fund } = needFund(v);
      const path = needPort(v);
      const k = await keys(dir, io);
      const readerId = v.lecteur as number;
      if (fund.readers.some((x) => x.readerId === readerId && x.revoked))
        throw new CliError(
          'REVOKED_READER',
          'le lecteur n° ' + readerId + ' est révoqué : choisissez un autre numéro',
          EXIT_DATAERR,
        );
      const now = nowSeconds();
      const perTapMax = (v['plafond-passage'] as number | undefined) ?? 5000;
      const perCardDayMax = (v['plafond-jour'] as number | undefined) ?? 10000;
      const readerDayMax = 200000;
      const vendorId = (v.fournisseur as number | undefined) ?? 1;
      const categories = parseCategories((v.categories as string | undefined) ?? '1:Alimentation:100');
      const vendorName = (v.vendeur as string | undefined) ?? 'Producteur ' + readerId;
      const names: { [k: string]: string } = {
        keygen: 'clé du lecteur (créée sur le lecteur)',
        heure: 'heure',
        certificat: 'certificat du lecteur',
        cles: 'certificats des clés opérateur et émettrice',
        configuration: 'configuration (producteur, catégories, plafonds)',
        annuaire: 'annuaire des lecteurs',
        blocage: 'liste de blocage',
        fin: 'vérification',
      };
      const forceConfig = ['vendeur', 'categories', 'plafond-passage', 'plafond-jour', 'fournisseur'].some(
        (o) => v[o] !== undefined,
      );
      const settings = { readerId, vendorId, vendorName, categories, perTapMax, perCardDayMax, readerDayMax };
      const r = await withReader(path, (c) =>
        provision(c, fundProvisionPlan(dir, fund, k, settings, now, forceConfig), (_name, i, total) =>
          io.progress('Mise en service', i - 1, total),
        ),
      );
      io.progress('Mise en service', 8, 8);
      const lines = [
        'Lecteur n° ' + readerId + ' prêt (clé publique ' + toHex(r.publicKey).substring(0, 16) + '…)',
      ];
      for (const s of r.steps)
        lines.push('  ' + (s.done ? '✓ ' : '= ') + names[s.name] + (s.done ? '' : ' (déjà à jour)'));
      lines.push('  certificat valable jusqu’au ' + date(r.info.certificateNotAfter));
      return out(lines, {
        readerId,
        publicKey: toHex(r.publicKey),
        steps: r.steps,
        state: r.info.state,
        configVersion: r.info.configVersion,
        directoryVersion: r.info.directoryVersion,
        blocklistVersion: r.info.blocklistVersion,
      });
    },
  });

  registerCommand({
    path: ['lecteur', 'releve'],
    alias: ['reader', 'pull'],
    summary: {
      fr: 'Relève le journal du lecteur (vérifié, conservé, puis acquitté) ; sans risque à relancer',
      en: 'Pull the reader log (verified, stored, then acknowledged); safe to re-run',
    },
    options: [
      CAISSE,
      PORT,
      opt(
        'regler-heure',
        'boolean',
        'remettre le lecteur à l’heure s’il dérive',
        'set the reader clock if off',
        'set-clock',
      ),
      opt(
        'grand-livre',
        'string',
        'registre de la trésorerie (SQLite) où importer le relevé avant l’acquittement',
        'treasurer’s ledger (SQLite) to import the pull into before the ack',
        'ledger',
      ),
    ],
    async run(v, io) {
      const { dir, fund } = needFund(v);
      const path = needPort(v);
      const k = await keys(dir, io);
      const fundId = fromHex(fund.fundId);
      const store = openPullStore(join(dir, PULL_DB_FILE));
      const ledgerPath = typeof v['grand-livre'] === 'string' ? (v['grand-livre'] as string) : null;
      const written: string[] = [];
      // Before the ACK: the pulled run becomes a log export file (SPEC §14.1) the volunteer carries to the
      // treasurer, written durably; with --grand-livre it is also imported into the ledger. Any failure
      // here stops the pull without an ACK: the reader keeps everything.
      const beforeAck = exportBeforeAck(
        dir,
        fund,
        ledgerPath === null
          ? null
          : async (bytes) => {
              const ledger = await Ledger.open(ledgerPath);
              try {
                const r = await ledger.importLog(bytes, 'tirage');
                if (!r.ok)
                  throw new ClientError('LEDGER_REFUSED', 'le grand livre refuse le relevé : ' + r.message);
              } finally {
                await ledger.close();
              }
            },
        written,
      );
      try {
        const res = await withReader(path, async (c) => {
          const info = await c.hello();
          const kr = known(fund, info);
          checkReader(info, fundId, kr);
          const opCert = fromHex(fund.operatorCertificate);
          const r = await c.pull(
            info,
            fundId,
            kr as KnownReader,
            store,
            k.operator,
            opCert,
            (d, t) => io.progress('Relevé du journal', d, t),
            beforeAck,
          );
          let clockSet = false;
          if (Math.abs(r.clockDrift) > MAX_CLOCK_DRIFT_S && v['regler-heure'] === true) {
            await setClock(c, fundId, kr!.readerId, k.operator, opCert, k.root);
            clockSet = true;
          }
          return { info, r, clockSet };
        });
        const { info, r, clockSet } = res;
        const lines = [
          'Lecteur n° ' +
            info.readerId +
            ' : ' +
            r.newRecords +
            (r.newRecords > 1 ? ' nouveaux relevés' : ' nouveau relevé') +
            ' (n° ' +
            r.fromSeq +
            ' à ' +
            r.storedSeq +
            '), ' +
            store.count(fundId, info.readerId as number) +
            ' conservés en tout',
        ];
        if (r.checkpointSeq !== null)
          lines.push('  chaîne et point de contrôle signé vérifiés jusqu’au n° ' + r.checkpointSeq);
        lines.push(
          r.acked
            ? '  acquitté : le lecteur peut libérer sa mémoire'
            : '  NON acquitté : le lecteur garde tout',
        );
        let exit = EXIT_OK;
        if (r.gap !== null) {
          lines.push('  ANOMALIE ' + r.gap.code + ' après le n° ' + r.gap.afterSeq + ' : ' + r.gap.message);
          lines.push('  ce qui a été vérifié est conservé ; rien n’est acquitté. Signalez-le au trésorier.');
          exit = EXIT_FINDINGS;
        }
        if (Math.abs(r.clockDrift) > MAX_CLOCK_DRIFT_S) {
          lines.push(
            '  horloge du lecteur ' +
              driftText(r.clockDrift) +
              (clockSet ? ' : remise à l’heure' : ' : relancez avec --regler-heure'),
          );
          if (!clockSet) exit = EXIT_FINDINGS;
        }
        return out(
          lines,
          { readerId: info.readerId, ...r, clockSet, stored: store.count(fundId, info.readerId as number) },
          exit,
        );
      } finally {
        store.close();
      }
    },
  });

  registerCommand({
    path: ['lecteur', 'autotest'],
    alias: ['reader', 'self-test'],
    summary: {
      fr: 'Auto-test du lecteur (NFC, imprimante, mémoire, horloge, cryptographie) et ticket d’autotest imprimé',
      en: 'Reader self-test (NFC, printer, storage, clock, crypto) and printed self-test receipt',
    },
    options: [PORT],
    async run(v) {
      const m = await withReader(needPort(v), (c) => c.link.request(MSG_SELF_TEST, []));
      if (m.type !== MSG_SELF_TEST_REPORT)
        throw new CliError('UNEXPECTED', 'réponse inattendue du lecteur', EXIT_DATAERR);
      const lines = ['Auto-test du lecteur :'];
      for (const e of m.entries)
        lines.push('  ' + (e.ok ? 'ok    ' : 'ÉCHEC ') + e.name.padEnd(10) + e.detail);
      const failed = m.entries.filter((e) => !e.ok).length;
      lines.push(
        failed === 0
          ? 'Tout est en ordre ; vérifiez sur le ticket imprimé que « é è à ç € » sortent correctement.'
          : failed + ' point(s) en échec : voir le tableau de dépannage (hardware/README.md).',
      );
      return { lines, json: { entries: m.entries }, exitCode: failed === 0 ? EXIT_OK : EXIT_FINDINGS };
    },
  });

  registerCommand({
    path: ['lecteur', 'etat'],
    alias: ['reader', 'status'],
    summary: {
      fr: 'État du lecteur : version, horloge, journal, certificat, dernier relevé',
      en: 'Reader status',
    },
    options: [CAISSE, PORT],
    async run(v) {
      const dir = fundDir(v.caisse as string | undefined);
      const fund = loadFund(dir);
      const info = await withReader(needPort(v), (c) => c.hello());
      const now = nowSeconds();
      const drift = info.readerTime - now;
      const held = info.logNextSeq - info.logFirstSeq;
      let lastPull: { seq: number; time: number } | null = null;
      const foreign = fund !== null && info.fundId !== null && toHex(info.fundId) !== fund.fundId;
      if (fund !== null && info.readerId !== null && existsSync(join(dir, PULL_DB_FILE))) {
        const s = openPullStore(join(dir, PULL_DB_FILE));
        lastPull = s.lastAck(fromHex(fund.fundId), info.readerId);
        s.close();
      }
      const states = ['vierge', 'clé créée, sans certificat', 'en service', 'maintenance'];
      const certDays =
        info.certificateNotAfter === null ? null : Math.floor((info.certificateNotAfter - now) / 86400);
      const lines = [
        'Lecteur ' +
          (info.readerId === null ? '(sans numéro)' : 'n° ' + info.readerId) +
          ' — ' +
          states[info.state],
        '  micrologiciel      ' +
          info.firmwareVersion +
          ' (' +
          info.board +
          '), protocole ' +
          info.protocolVersion,
        '  caisse             ' +
          (info.fundId === null ? '—' : toHex(info.fundId) + (foreign ? ' (AUTRE CAISSE)' : '')),
        '  horloge            ' + date(info.readerTime) + ', ' + driftText(drift),
        '  journal            ' +
          held +
          ' relevés en mémoire sur ~' +
          info.logCapacity +
          ' (' +
          Math.round((100 * held) / Math.max(1, info.logCapacity)) +
          ' %), prochain n° ' +
          info.logNextSeq +
          ', acquitté jusqu’au n° ' +
          info.logAckedSeq,
        '  certificat         ' +
          (certDays === null
            ? 'aucun'
            : 'jusqu’au ' + date(info.certificateNotAfter) + ' (' + certDays + ' jours)'),
        '  dernier relevé     ' +
          date(info.lastSyncTime) +
          (lastPull ? ' (ici : n° ' + lastPull.seq + ' le ' + date(lastPull.time) + ')' : ''),
        '  versions           configuration ' +
          info.configVersion +
          ', annuaire ' +
          info.directoryVersion +
          ', liste de blocage ' +
          info.blocklistVersion,
      ];
      const findings =
        foreign ||
        Math.abs(drift) > MAX_CLOCK_DRIFT_S ||
        (certDays !== null && certDays < 14) ||
        info.state !== READER_STATE_PROVISIONED;
      return out(
        lines,
        {
          ...info,
          fundId: info.fundId === null ? null : toHex(info.fundId),
          readerPublicKey: info.readerPublicKey === null ? null : toHex(info.readerPublicKey),
          clockDrift: drift,
          logHeld: held,
          certificateDaysLeft: certDays,
          lastPull,
          foreignFund: foreign,
        },
        findings ? EXIT_FINDINGS : EXIT_OK,
      );
    },
  });

  registerCommand({
    path: ['lecteur', 'installer'],
    alias: ['reader', 'install'],
    summary: {
      fr: 'Installe le micrologiciel (lecteur en maintenance) : paquets Espruino, reprise, empreinte SHA-256 vérifiée, redémarrage',
      en: 'Install the firmware (reader in maintenance): Espruino packets, resumable, SHA-256 checked, reboot',
    },
    options: [
      PORT,
      opt(
        'manifeste',
        'string',
        'manifeste du micrologiciel (défaut firmware/build/manifest.json)',
        'firmware manifest',
        'manifest',
      ),
    ],
    async run(v, io) {
      const path = needPort(v);
      const manifestPath = (v.manifeste as string | undefined) ?? join('firmware', 'build', 'manifest.json');
      if (!existsSync(manifestPath))
        throw new CliError(
          'MANIFESTE_ABSENT',
          'manifeste introuvable : ' + manifestPath + ' (npm run build:firmware)',
          EXIT_NOINPUT,
        );
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        files: { file: string; storageName: string | null; sha256: string }[];
        nativeBlob: { storageName: string; file: string | null };
      };
      const base = join(dirname(manifestPath), '..');
      const files: UploadFile[] = [];
      for (const f of m.files) {
        if (f.storageName === null) continue;
        const bytes = new Uint8Array(readFileSync(join(base, f.file)));
        if (createHash('sha256').update(bytes).digest('hex') !== f.sha256)
          throw new CliError('FICHIER_MODIFIE', f.file + ' ne correspond pas au manifeste', EXIT_DATAERR);
        files.push({ name: f.storageName, bytes });
      }
      if (m.nativeBlob.file !== null && existsSync(join(base, m.nativeBlob.file)))
        files.push({
          name: m.nativeBlob.storageName,
          bytes: new Uint8Array(readFileSync(join(base, m.nativeBlob.file))),
        });
      // The loader last: a cut upload never leaves a .bootcde pointing at half a bundle (and the loader
      // itself checks the bundle's length and CRC-32 before running it).
      files.sort((a, b) => (a.name === '.bootcde' ? 1 : 0) - (b.name === '.bootcde' ? 1 : 0));
      const boardMs = boardTimeoutMs();
      const port = await openPort(path);
      port.on('error', () => {}); // a pulled cable: reported by the link as LINK_CLOSED
      let r: InstallReport;
      try {
        r = await installFirmware(port, files, (d, t) => io.progress('Installation', d, t), {
          timeouts: timeoutsFor(boardMs),
          replTimeoutMs: (REPL_TIMEOUT_MS * boardMs) / BOARD_PACKET_TIMEOUT_MS,
          reboot: true,
        });
      } catch (e) {
        if (e instanceof UploadError && e.code === 'REPL_SILENT' && (await carnetAnswers(port))) {
          await closePort(port);
          throw new CliError(
            'PAS_EN_MAINTENANCE',
            'le lecteur fait tourner le micrologiciel carnet : passez-le d’abord en maintenance ' +
              '(« carnet lecteur maintenance »), puis relancez « carnet lecteur installer »',
            EXIT_UNAVAILABLE,
          );
        }
        await closePort(port);
        if (e instanceof UploadError)
          throw new CliError(
            e.code,
            e.message + ' — relancez la même commande : ce qui est déjà en place ne sera pas renvoyé',
            e.code === 'UPLOAD_VERIFY' || e.code === 'BAD_NAME' || e.code === 'EVAL_ERROR'
              ? EXIT_DATAERR
              : EXIT_UNAVAILABLE,
          );
        throw e;
      }
      // After load(): the carnet firmware takes the port and must answer HELLO (INFO).
      let info: InfoMessage | null;
      try {
        info = await helloAfterBoot(port);
      } finally {
        await closePort(port);
      }
      const hashName = r.hash === 'sha256' ? 'SHA-256' : 'CRC-32';
      const lines = [
        'Espruino ' +
          r.version +
          ' (' +
          r.board +
          '), ' +
          (r.protocol === 'packet' ? 'protocole par paquets' : 'console REPL (Espruino antérieur à 2v25)') +
          ', empreinte ' +
          hashName +
          (r.hash === 'crc32' ? ' (pas de SHA-256 natif sur cette carte)' : ''),
      ];
      const acts = { present: 'déjà en place', resumed: 'transfert repris', written: 'écrit' };
      for (const x of r.files)
        lines.push(
          '  ' +
            x.name.padEnd(14) +
            String(x.bytes).padStart(7) +
            ' octets  ' +
            acts[x.action] +
            (x.bytesSent > 0 ? ' (' + x.bytesSent + ' octets envoyés)' : '') +
            ', ' +
            hashName +
            ' vérifié' +
            (x.rewrites > 0 ? ' après ' + x.rewrites + ' réécriture(s)' : ''),
        );
      lines.push('  ' + r.wireBytes + ' octets sur le câble en ' + r.seconds.toFixed(1) + ' s');
      if (info === null)
        throw new CliError(
          'MICROLOGICIEL_MUET',
          'fichiers installés et vérifiés, mais le micrologiciel carnet ne répond pas après le redémarrage ' +
            '(bouton tenu ? débranchez et rebranchez le lecteur, puis « carnet lecteur etat »)',
          EXIT_UNAVAILABLE,
        );
      lines.push(
        'Micrologiciel carnet démarré : ' +
          info.firmwareVersion +
          ', ' +
          (info.readerId === null ? 'lecteur vierge (à préparer)' : 'lecteur n° ' + info.readerId),
      );
      return out(lines, {
        ...r,
        firmware: info.firmwareVersion,
        readerId: info.readerId,
        state: info.state,
      });
    },
  });

  registerCommand({
    path: ['lecteur', 'maintenance'],
    alias: ['reader', 'maintenance'],
    summary: {
      fr: 'Rend la console USB à l’Espruino (pour reflasher) ; --retour relance le micrologiciel carnet',
      en: 'Give the USB console back to Espruino (to re-flash); --back restarts the carnet firmware',
    },
    options: [
      CAISSE,
      PORT,
      opt('retour', 'boolean', 'revenir de la maintenance', 'leave maintenance', 'back'),
    ],
    async run(v, io) {
      const path = needPort(v);
      if (v.retour === true) {
        // In maintenance the port is Espruino's REPL: Ctrl-C clears the line, \x10 (Ctrl-P) runs the
        // line without echo, load() restarts from Storage's .bootcde, which moves the console off USB.
        const port = await openPort(path);
        port.on('error', () => {});
        await new Promise<void>((res) =>
          port.write(Buffer.from('\x03\x10load()\n'), () => port.drain(() => res())),
        );
        // The carnet service must answer again (HELLO → INFO) once .bootcde has run.
        let info: InfoMessage | null;
        try {
          info = await helloAfterBoot(port);
        } finally {
          await closePort(port);
        }
        if (info === null)
          throw new CliError(
            'MICROLOGICIEL_MUET',
            'load() envoyé, mais le micrologiciel carnet ne répond pas (réinstallez-le : « carnet lecteur installer »)',
            EXIT_UNAVAILABLE,
          );
        return out(
          [
            'Micrologiciel carnet relancé sur ' +
              path +
              ' : ' +
              info.firmwareVersion +
              (info.readerId === null ? '' : ', lecteur n° ' + info.readerId),
          ],
          { path, back: true, firmware: info.firmwareVersion, readerId: info.readerId },
        );
      }
      const { dir, fund } = needFund(v);
      const k = await keys(dir, io);
      const fundId = fromHex(fund.fundId);
      await withReader(path, async (c) => {
        const info = await c.hello();
        checkReader(info, fundId, known(fund, info));
        await enterMaintenance(
          c,
          fundId,
          info.readerId as number,
          k.operator,
          fromHex(fund.operatorCertificate),
        );
      });
      return out(['Lecteur en maintenance : la console Espruino est sur ' + path], {
        path,
        maintenance: true,
      });
    },
  });
}
