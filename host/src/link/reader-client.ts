// What the host asks of a reader over the link (SPEC.md §10-§11): hello/info, challenge + signed
// commands, staging of big objects, provisioning, log pull with chain and checkpoint verification, and
// the refusals of issue 6 (another fund, unknown or revoked reader, clock far off, broken chain).

import { randomBytes } from 'node:crypto';
import { CborValue } from '../../../protocol/src/cbor';
import { Ed25519Signer } from '../../../protocol/src/crypto/types';
import { hostCrypto, sha256Host } from '../../../protocol/src/node/ed25519';
import { bytesEqual, toHex } from '../../../protocol/src/bytes';
import {
  InfoMessage,
  MAX_LOG_BATCH_RECORDS,
  MAX_STAGE_CHUNK_BYTES,
  MSG_CHALLENGE,
  MSG_COMMAND,
  MSG_GET_CHECKPOINT,
  MSG_HELLO,
  MSG_PULL_LOG,
  MSG_STAGE,
  Message,
  READER_STATE_BLANK,
  READER_STATE_MAINTENANCE,
} from '../../../protocol/src/messages';
import {
  CMD_ACK_LOG,
  CMD_INSTALL_CERTIFICATE,
  CMD_KEYGEN,
  CMD_MAINTENANCE,
  CMD_PUT_BLOCKLIST,
  CMD_PUT_CONFIG,
  CMD_PUT_DIRECTORY,
  CMD_PUT_KEY_CERTIFICATE,
  CMD_SET_TIME,
  MAX_INLINE_OBJECT_BYTES,
  signCommand,
} from '../../../protocol/src/structures/command';
import { chainGenesis, verifyLogRun } from '../../../protocol/src/structures/log';
import { keyId } from '../../../protocol/src/structures/keys';
import { verifyCheckpoint } from '../../../protocol/src/verify';
import {
  STATUS_ALREADY_PROVISIONED,
  STATUS_BAD_NONCE,
  STATUS_CLOCK_REFUSED,
  STATUS_OK,
  STATUS_STALE_VERSION,
  statusText,
} from '../../../protocol/src/status';
import { NONCE_BYTES } from '../../../protocol/src/limits';
import { LinkTransport } from './transport';
import { PullStore, StoredHead } from './pull-store';

/**
 * A reader clock further than this from the laptop's is "far off": the host sets it when provisioning and
 * flags it when pulling. 2 minutes: the desk's laptop and the reader's RTC both drift by seconds a day,
 * and receipts and day closes are read to the minute.
 */
export const MAX_CLOCK_DRIFT_S = 120;
/** Pull rounds (pull to the head, then a live checkpoint) before giving up on a reader that keeps
 * writing: a reader at the desk is idle, so 2 rounds are enough; 4 leaves room for a late BOOT record. */
export const MAX_PULL_ROUNDS = 4;
/** A held batch that the reader does not confirm (next prevHash or checkpoint differs) is fetched again
 * this many times in one pull: once covers a transient corruption; a second mismatch is a real break. */
export const MAX_UNCONFIRMED_REFETCHES = 1;

export type ClientErrorCode =
  | 'WRONG_FUND'
  | 'WRONG_READER'
  | 'UNKNOWN_READER'
  | 'REVOKED_READER'
  | 'NOT_PROVISIONED'
  | 'MAINTENANCE'
  | 'COMMAND_REFUSED'
  | 'STAGE_FAILED'
  | 'LOG_RANGE'
  | 'BAD_CHECKPOINT'
  | 'LEDGER_REFUSED'
  | 'UNEXPECTED';

/** A refusal, with a French sentence for people. */
export class ClientError extends Error {
  constructor(
    public readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CommandResultValue {
  status: number;
  detail: string | null;
  data: Uint8Array | null;
}

/** The reader as the fund knows it (host registry). */
export interface KnownReader {
  readerId: number;
  publicKey: Uint8Array;
  revoked: boolean;
}

export interface PullProgress {
  (done: number, total: number): void;
}

/** What a pull brought, handed over before the ACK (to write an export file and import it into the ledger). */
export interface PulledRun {
  readerId: number;
  fromSeq: number;
  /** Chain value before fromSeq (SPEC §9.2). */
  prevHead: Uint8Array;
  records: Uint8Array[];
  /** The live checkpoint that signs the last record. */
  checkpoint: Uint8Array;
}

/** Runs before ACK_LOG; throwing stops the pull without an ACK (the reader keeps everything). */
export interface BeforeAck {
  (run: PulledRun): Promise<void>;
}

export interface PullResult {
  fromSeq: number;
  /** Last stored seq after this pull (0: none). */
  storedSeq: number;
  newRecords: number;
  acked: boolean;
  checkpointSeq: number | null;
  /** Set when the chain broke: what was kept, and why it stopped. */
  gap: { afterSeq: number; code: string; message: string } | null;
  clockDrift: number;
}

function expect<T extends Message['type']>(m: Message, type: T): Extract<Message, { type: T }> {
  if (m.type === 0x7f)
    throw new ClientError('COMMAND_REFUSED', 'le lecteur refuse : ' + statusText(m.code, 'fr'));
  if (m.type !== type)
    throw new ClientError('UNEXPECTED', 'réponse inattendue du lecteur (type ' + m.type + ')');
  return m as Extract<Message, { type: T }>;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class ReaderClient {
  constructor(public readonly link: LinkTransport) {}

  async hello(): Promise<InfoMessage> {
    return expect(await this.link.request(MSG_HELLO, [nowSeconds()]), 0x81);
  }

  async challenge(): Promise<Uint8Array> {
    return expect(await this.link.request(MSG_CHALLENGE, []), 0x82).nonce;
  }

  /** CHALLENGE then the signed COMMAND bound to its nonce (§10); a lost nonce is asked for again once. */
  async command(
    fundId: Uint8Array,
    readerId: number,
    kind: number,
    args: CborValue[],
    signer: Ed25519Signer,
    signerCert: Uint8Array | null,
  ): Promise<CommandResultValue> {
    for (let attempt = 0; ; attempt++) {
      const nonce = await this.challenge();
      const env = signCommand(
        {
          fundId: fundId,
          readerId: readerId,
          nonce: nonce,
          issuedAt: nowSeconds(),
          kind: kind,
          args: args,
          signerKeyId: keyId(signer.publicKey, sha256Host),
        },
        signer,
        signerCert,
      );
      const r = expect(await this.link.request(MSG_COMMAND, [env]), 0x83);
      if (r.status === STATUS_BAD_NONCE && attempt === 0) continue;
      return { status: r.status, detail: r.detail, data: r.data };
    }
  }

  /** Sends an object too big for one command in STAGE chunks; returns its SHA-256 as the reader has it. */
  async stage(obj: Uint8Array, progress?: PullProgress): Promise<Uint8Array> {
    let offset = 0;
    while (offset < obj.length) {
      const chunk = obj.subarray(offset, Math.min(obj.length, offset + MAX_STAGE_CHUNK_BYTES));
      const m = expect(await this.link.request(MSG_STAGE, [offset, obj.length, chunk]), 0x87);
      if (m.received !== offset + chunk.length)
        throw new ClientError('STAGE_FAILED', 'transfert interrompu à ' + m.received + ' octets');
      offset = m.received;
      if (progress) progress(offset, obj.length);
      if (offset === obj.length) {
        const want = sha256Host(obj);
        if (m.digest === null || !bytesEqual(m.digest, want))
          throw new ClientError('STAGE_FAILED', 'empreinte SHA-256 différente après transfert');
        return want;
      }
    }
    throw new ClientError('STAGE_FAILED', 'objet vide');
  }

  /** The args of an INSTALL/PUT command: the object inline, or staged and named by its SHA-256. */
  async objectArgs(obj: Uint8Array): Promise<CborValue[]> {
    if (obj.length <= MAX_INLINE_OBJECT_BYTES) return [obj, null];
    return [null, await this.stage(obj)];
  }

  /**
   * Pulls the log from the last stored seq: each batch is verified against the stored chain head and
   * stored (committed) before the next is asked; then a live checkpoint (fresh nonce) must sign the same
   * head; only then is ACK_LOG sent. A broken chain stops the pull, keeps the verified prefix, acks nothing.
   */
  async pull(
    info: InfoMessage,
    fundId: Uint8Array,
    reader: KnownReader,
    store: PullStore,
    ackSigner: Ed25519Signer,
    ackCert: Uint8Array | null,
    progress?: PullProgress,
    beforeAck?: BeforeAck,
  ): Promise<PullResult> {
    const readerId = reader.readerId;
    const clockDrift = info.readerTime - nowSeconds();
    let stored = store.head(fundId, readerId);
    const runPrev = stored === null ? chainGenesis(fundId, readerId, sha256Host) : stored.head;
    const runRecords: Uint8Array[] = [];
    const startSeq = stored === null ? 1 : stored.seq + 1;
    const result: PullResult = {
      fromSeq: startSeq,
      storedSeq: stored === null ? 0 : stored.seq,
      newRecords: 0,
      acked: false,
      checkpointSeq: null,
      gap: null,
      clockDrift: clockDrift,
    };
    if (startSeq < info.logFirstSeq) {
      // Records we never stored were freed: another laptop acked them, or the reader lost them.
      result.gap = {
        afterSeq: startSeq - 1,
        code: 'LOG_FREED',
        message:
          'les relevés ' +
          startSeq +
          ' à ' +
          (info.logFirstSeq - 1) +
          ' ne sont plus sur le lecteur et manquent ici',
      };
      return result;
    }
    let headSeq = info.logNextSeq - 1;
    const total = Math.max(0, headSeq - startSeq + 1);
    // Records are held, not stored, until the reader confirms their last hash: by the prevHash of the
    // next batch (the chain continues from it) or by the signed live checkpoint over its head. A record
    // changed on the way in a way that still decodes breaks nothing verifiable inside its own batch
    // (the chain is a hash over the records, SPEC §9); only what the reader says next shows it.
    let held: { fromSeq: number; records: Uint8Array[]; head: Uint8Array; lastSeq: number } | null = null;
    let refetches = 0;
    const confirm = (): void => {
      if (held === null) return;
      store.appendBatch(fundId, readerId, held.fromSeq, held.records, held.head);
      for (const r of held.records) runRecords.push(r);
      result.newRecords += held.records.length;
      stored = { seq: held.lastSeq, head: held.head };
      result.storedSeq = stored.seq;
      held = null;
    };
    const tip = (): StoredHead | null => (held !== null ? { seq: held.lastSeq, head: held.head } : stored);
    const chainBroken = (): PullResult => {
      result.gap = {
        afterSeq: stored === null ? 0 : stored.seq,
        code: 'LOG_CHAIN_BROKEN',
        message:
          'la chaîne du journal ne prolonge pas les relevés déjà conservés (relevé ' +
          ((stored === null ? 0 : stored.seq) + 1) +
          ')',
      };
      return result;
    };
    for (let round = 0; round < MAX_PULL_ROUNDS + MAX_UNCONFIRMED_REFETCHES; round++) {
      const t = tip();
      let next = t === null ? 1 : t.seq + 1;
      let prev = t === null ? chainGenesis(fundId, readerId, sha256Host) : t.head;
      while (next <= headSeq) {
        const m = expect(await this.link.request(MSG_PULL_LOG, [next, MAX_LOG_BATCH_RECORDS]), 0x84);
        headSeq = m.headSeq;
        if (m.fromSeq !== next || !bytesEqual(m.prevHash, prev)) {
          if (held === null || refetches >= MAX_UNCONFIRMED_REFETCHES) {
            held = null;
            return chainBroken();
          }
          // The held batch is not what the reader has: dropped, and asked for again.
          held = null;
          refetches++;
          next = stored === null ? 1 : stored.seq + 1;
          prev = stored === null ? chainGenesis(fundId, readerId, sha256Host) : stored.head;
          continue;
        }
        confirm(); // the reader's chain continues from the held head
        if (m.records.length === 0) break;
        const run = verifyLogRun(prev, next, m.records, sha256Host);
        const good = run.value.lastSeq - next + 1;
        if (good > 0) {
          held = {
            fromSeq: next,
            records: m.records.slice(0, good),
            head: run.value.head,
            lastSeq: run.value.lastSeq,
          };
          prev = run.value.head;
          next = run.value.lastSeq + 1;
        }
        if (progress)
          progress(Math.min(total, result.newRecords + (held === null ? 0 : held.records.length)), total);
        if (!run.ok) {
          // Stop at the broken record; what verified before it is kept once the reader confirms it (the
          // prevHash of the record after the prefix).
          if (held !== null) {
            const c = expect(await this.link.request(MSG_PULL_LOG, [next, 1]), 0x84);
            if (c.fromSeq === next && bytesEqual(c.prevHash, held.head)) confirm();
            held = null;
          }
          result.gap = {
            afterSeq: stored === null ? 0 : stored.seq,
            code: run.code,
            message: run.message,
          };
          return result;
        }
      }
      // A live checkpoint: the reader signs its head now, over our fresh nonce (§9.3).
      const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
      const cm = expect(await this.link.request(MSG_GET_CHECKPOINT, [nonce]), 0x85);
      const v = verifyCheckpoint(cm.envelope, reader.publicKey, fundId, readerId, hostCrypto);
      if (!v.ok) throw new ClientError('BAD_CHECKPOINT', 'point de contrôle refusé : ' + v.message);
      if (v.value.nonce === null || !bytesEqual(v.value.nonce, nonce))
        throw new ClientError('BAD_CHECKPOINT', 'point de contrôle rejoué (nonce différent)');
      const h = tip();
      if (h === null) return result;
      if (v.value.seq > h.seq) {
        headSeq = v.value.seq; // the reader wrote more meanwhile: another round
        continue;
      }
      if (v.value.seq !== h.seq || !bytesEqual(v.value.head, h.head)) {
        if (held !== null && refetches < MAX_UNCONFIRMED_REFETCHES) {
          // The held batch is not what the reader signed: dropped, and asked for again.
          held = null;
          refetches++;
          headSeq = v.value.seq;
          continue;
        }
        held = null;
        result.gap = {
          afterSeq: stored === null ? 0 : stored.seq,
          code: 'LOG_CHAIN_BROKEN',
          message: 'le point de contrôle signé ne correspond pas aux relevés reçus',
        };
        return result;
      }
      confirm(); // the signed checkpoint is over the held head
      if (stored === null) return result;
      store.saveCheckpoint(fundId, readerId, v.value.seq, cm.envelope);
      result.checkpointSeq = v.value.seq;
      if (beforeAck !== undefined && runRecords.length > 0) {
        await beforeAck({
          readerId,
          fromSeq: result.fromSeq,
          prevHead: runPrev,
          records: runRecords,
          checkpoint: cm.envelope,
        });
      }
      // Stored durably above (committed transactions): the reader may now free them.
      const r = await this.command(
        fundId,
        readerId,
        CMD_ACK_LOG,
        [stored.seq, stored.head],
        ackSigner,
        ackCert,
      );
      if (r.status === STATUS_OK || r.status === STATUS_STALE_VERSION) {
        result.acked = true;
        store.markAcked(fundId, readerId, stored.seq, nowSeconds());
      } else {
        throw new ClientError('COMMAND_REFUSED', 'acquittement refusé : ' + statusText(r.status, 'fr'));
      }
      return result;
    }
    return result;
  }
}

/** The refusals that come before anything else is asked of a reader (issue 6). */
export function checkReader(info: InfoMessage, fundId: Uint8Array, known: KnownReader | null): void {
  if (info.state === READER_STATE_MAINTENANCE)
    throw new ClientError('MAINTENANCE', 'le lecteur est en maintenance (console Espruino)');
  if (info.state === READER_STATE_BLANK || info.fundId === null || info.readerId === null)
    throw new ClientError(
      'NOT_PROVISIONED',
      'lecteur vierge : préparez-le d’abord (carnet lecteur preparer)',
    );
  if (!bytesEqual(info.fundId, fundId))
    throw new ClientError(
      'WRONG_FUND',
      'ce lecteur appartient à une autre caisse (' + toHex(info.fundId) + ')',
    );
  if (known === null || info.readerPublicKey === null || !bytesEqual(known.publicKey, info.readerPublicKey))
    throw new ClientError('UNKNOWN_READER', 'lecteur n° ' + info.readerId + ' inconnu de cette caisse');
  if (known.revoked) throw new ClientError('REVOKED_READER', 'lecteur n° ' + info.readerId + ' révoqué');
}

export interface ProvisionPlan {
  fundId: Uint8Array;
  readerId: number;
  root: Ed25519Signer;
  operator: Ed25519Signer;
  operatorCert: Uint8Array;
  keyCerts: Uint8Array[];
  /** Issues the reader certificate for the public key the reader made. */
  certificateFor(publicKey: Uint8Array): Uint8Array;
  /** The directory including this reader (its new version), signed by the root. */
  directoryFor(publicKey: Uint8Array): { version: number; envelope: Uint8Array };
  /** The configuration signed by the operator, with the given version. */
  configFor(version: number): Uint8Array;
  /** Send the configuration even if the reader has one (the volunteer gave new settings). */
  forceConfig: boolean;
  blocklist: { version: number; envelope: Uint8Array };
}

export interface ProvisionStep {
  name: string;
  done: boolean;
}

/**
 * Provisions a reader, driven by what INFO says is already done, so that re-running after a pulled cable
 * finishes the job instead of failing: KEYGEN only on a blank reader, clock, certificate, key
 * certificates, then configuration, directory and blocklist when older than ours.
 */
export async function provision(
  client: ReaderClient,
  plan: ProvisionPlan,
  onStep: (name: string, i: number, total: number) => void,
): Promise<{ info: InfoMessage; publicKey: Uint8Array; steps: ProvisionStep[] }> {
  const steps: ProvisionStep[] = [];
  const TOTAL = 8;
  let info = await client.hello();
  if (info.state === READER_STATE_MAINTENANCE)
    throw new ClientError('MAINTENANCE', 'le lecteur est en maintenance (console Espruino)');
  if (info.fundId !== null && !bytesEqual(info.fundId, plan.fundId))
    throw new ClientError(
      'WRONG_FUND',
      'ce lecteur appartient à une autre caisse (' + toHex(info.fundId) + ')',
    );
  if (info.readerId !== null && info.readerId !== plan.readerId)
    throw new ClientError('WRONG_READER', 'ce lecteur porte déjà le n° ' + info.readerId);
  const f = plan.fundId;
  const id = plan.readerId;
  async function run(
    name: string,
    kind: number,
    args: CborValue[],
    signer: Ed25519Signer,
    cert: Uint8Array | null,
  ) {
    const r = await client.command(f, id, kind, args, signer, cert);
    if (r.status !== STATUS_OK)
      throw new ClientError(
        'COMMAND_REFUSED',
        name + ' : ' + statusText(r.status, 'fr') + (r.detail ? ' (' + r.detail + ')' : ''),
      );
    return r;
  }
  onStep('keygen', 1, TOTAL);
  if (info.state === READER_STATE_BLANK) {
    const r = await client.command(f, id, CMD_KEYGEN, [plan.root.publicKey], plan.root, null);
    if (r.status !== STATUS_OK && r.status !== STATUS_ALREADY_PROVISIONED)
      throw new ClientError('COMMAND_REFUSED', 'clé du lecteur : ' + statusText(r.status, 'fr'));
    steps.push({ name: 'keygen', done: true });
    info = await client.hello();
  } else steps.push({ name: 'keygen', done: false });
  const pub = info.readerPublicKey;
  if (pub === null) throw new ClientError('UNEXPECTED', 'le lecteur n’a pas de clé publique après KEYGEN');
  // The clock first: the certificate and key certificates are checked against it. The root may move it
  // any distance (SPEC.md §10 SET_TIME; the operator only ±7 days).
  onStep('heure', 2, TOTAL);
  const drift = info.readerTime - nowSeconds();
  if (Math.abs(drift) > MAX_CLOCK_DRIFT_S) {
    await run('heure', CMD_SET_TIME, [nowSeconds()], plan.root, null);
    steps.push({ name: 'heure', done: true });
  } else steps.push({ name: 'heure', done: false });
  onStep('certificat', 3, TOTAL);
  if (info.certificateNotAfter === null) {
    await run(
      'certificat',
      CMD_INSTALL_CERTIFICATE,
      await client.objectArgs(plan.certificateFor(pub)),
      plan.root,
      null,
    );
    steps.push({ name: 'certificat', done: true });
  } else steps.push({ name: 'certificat', done: false });
  onStep('cles', 4, TOTAL);
  for (const kc of plan.keyCerts)
    await run('certificat de clé', CMD_PUT_KEY_CERTIFICATE, await client.objectArgs(kc), plan.root, null);
  steps.push({ name: 'cles', done: true });
  onStep('configuration', 5, TOTAL);
  // A new version each time: re-running after a lost RESULT installs the same content once more.
  if (info.configVersion === 0 || plan.forceConfig) {
    await run(
      'configuration',
      CMD_PUT_CONFIG,
      await client.objectArgs(plan.configFor(info.configVersion + 1)),
      plan.operator,
      plan.operatorCert,
    );
    steps.push({ name: 'configuration', done: true });
  } else steps.push({ name: 'configuration', done: false });
  onStep('annuaire', 6, TOTAL);
  const dir = plan.directoryFor(pub);
  if (info.directoryVersion < dir.version) {
    await run('annuaire', CMD_PUT_DIRECTORY, await client.objectArgs(dir.envelope), plan.root, null);
    steps.push({ name: 'annuaire', done: true });
  } else steps.push({ name: 'annuaire', done: false });
  onStep('blocage', 7, TOTAL);
  if (info.blocklistVersion < plan.blocklist.version) {
    await run(
      'liste de blocage',
      CMD_PUT_BLOCKLIST,
      await client.objectArgs(plan.blocklist.envelope),
      plan.operator,
      plan.operatorCert,
    );
    steps.push({ name: 'blocage', done: true });
  } else steps.push({ name: 'blocage', done: false });
  onStep('fin', 8, TOTAL);
  info = await client.hello();
  return { info, publicKey: pub, steps };
}

/** Sets the clock with the operator key (±7 days), and with the root if given and the operator is refused. */
export async function setClock(
  client: ReaderClient,
  fundId: Uint8Array,
  readerId: number,
  operator: Ed25519Signer,
  operatorCert: Uint8Array,
  root: Ed25519Signer | null,
): Promise<void> {
  let r = await client.command(fundId, readerId, CMD_SET_TIME, [nowSeconds()], operator, operatorCert);
  if (r.status === STATUS_CLOCK_REFUSED && root !== null)
    r = await client.command(fundId, readerId, CMD_SET_TIME, [nowSeconds()], root, null);
  if (r.status !== STATUS_OK)
    throw new ClientError('COMMAND_REFUSED', 'heure : ' + statusText(r.status, 'fr'));
}

export async function enterMaintenance(
  client: ReaderClient,
  fundId: Uint8Array,
  readerId: number,
  operator: Ed25519Signer,
  operatorCert: Uint8Array,
): Promise<void> {
  const r = await client.command(fundId, readerId, CMD_MAINTENANCE, [], operator, operatorCert);
  if (r.status !== STATUS_OK)
    throw new ClientError('COMMAND_REFUSED', 'maintenance : ' + statusText(r.status, 'fr'));
}
