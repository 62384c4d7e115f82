// What the volunteer's laptop does over each reader's serial link during the day, with the real host code:
// provision() and ReaderClient.pull() of host/src/link/reader-client.ts, driven exactly as
// `carnet lecteur preparer` and `carnet lecteur releve --grand-livre` drive them (host/src/commands/
// lecteur.ts): the fund folder remembers the reader before the directory goes out, and every pulled run
// becomes a log export file, written durably and imported into the treasurer's ledger BEFORE the ACK that
// lets the reader free its records.

import { fromHex } from '../../../protocol/src/bytes';
import { InfoMessage } from '../../../protocol/src/messages';
import { FundFile, FundKeys } from '../../../host/src/link/fund-folder';
import {
  ClientError,
  KnownReader,
  ProvisionStep,
  PullResult,
  ReaderClient,
  checkReader,
  nowSeconds,
  provision,
} from '../../../host/src/link/reader-client';
import { PullStore } from '../../../host/src/link/pull-store';
import { Ledger } from '../../../host/src/ledger/ledger';
import {
  DEFAULT_UTC_OFFSET_MIN,
  ReaderSettings,
  exportBeforeAck,
  fundProvisionPlan,
} from '../../../host/src/link/fund-ops';

/** The fund's fixed UTC offset (Paris in winter), as `carnet lecteur preparer` configures readers. */
export const UTC_OFFSET_MIN = DEFAULT_UTC_OFFSET_MIN;

/** A stand's reader: vendor, categories and limits (the CLI's options of `lecteur preparer`). */
export type StandSpec = ReaderSettings;

export interface Provisioned {
  publicKey: Uint8Array;
  steps: ProvisionStep[];
  info: InfoMessage;
}

/** `carnet lecteur preparer`, as a function of the fund folder (dir + fund file + unsealed keys). */
export async function provisionReader(
  client: ReaderClient,
  dir: string,
  fund: FundFile,
  k: FundKeys,
  s: StandSpec,
): Promise<Provisioned> {
  const r = await provision(client, fundProvisionPlan(dir, fund, k, s, nowSeconds(), false), () => {});
  return r;
}

export interface Pulled {
  info: InfoMessage;
  result: PullResult;
  /** Log export files written (one per pulled run). */
  files: string[];
  /** Anomaly kinds the ledger noted while importing (e.g. ALERTE_LECTEUR). */
  importAnomalies: string[];
  importedRecords: number;
}

/** `carnet lecteur releve --grand-livre`: verified pull, export file, ledger import, then the ACK. */
export async function pullReader(
  client: ReaderClient,
  dir: string,
  fund: FundFile,
  k: FundKeys,
  store: PullStore,
  ledger: Ledger,
): Promise<Pulled> {
  const fundId = fromHex(fund.fundId);
  const files: string[] = [];
  const importAnomalies: string[] = [];
  let importedRecords = 0;
  const beforeAck = exportBeforeAck(
    dir,
    fund,
    async (bytes) => {
      const r = await ledger.importLog(bytes, 'tirage');
      if (!r.ok) throw new ClientError('LEDGER_REFUSED', 'le grand livre refuse le relevé : ' + r.message);
      importedRecords += r.newRecords;
      for (const a of r.anomalies) importAnomalies.push(a);
    },
    files,
  );
  const info = await client.hello();
  const e = fund.readers.find((x) => x.readerId === info.readerId);
  const known: KnownReader | null =
    e === undefined ? null : { readerId: e.readerId, publicKey: fromHex(e.publicKey), revoked: e.revoked };
  checkReader(info, fundId, known);
  const result = await client.pull(
    info,
    fundId,
    known as KnownReader,
    store,
    k.operator,
    fromHex(fund.operatorCertificate),
    undefined,
    beforeAck,
  );
  return { info, result, files, importAnomalies, importedRecords };
}
