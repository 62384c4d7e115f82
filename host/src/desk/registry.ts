// The member registry: the only place where a name meets a pseudonym. It stays on the desk laptop,
// encrypted (keyfile.ts: scrypt + AES-256-GCM); nothing from it goes to a card, a reader or the ledger
// (SPEC.md §5: "the only member identifier anywhere outside the desk's encrypted registry").

import { existsSync, readFileSync } from 'node:fs';
import { seal, unseal, writeFileAtomic } from '../keys/keyfile';

export const PURPOSE_REGISTRY = 'registre-membres';
const REGISTRY_VERSION = 1;

export type MemberStatus = 'en_cours' | 'active' | 'bloquee' | 'remplacee';

export interface MemberEntry {
  name: string;
  /** 16 hex digits. */
  pseudonym: string;
  /** People in the household, when the fund's rule counts them. */
  householdSize: number | null;
  parts: number | null;
  /** 14 hex digits. */
  uid: string;
  serial: number;
  startMonth: number;
  validityMonths: number;
  issuedAt: number;
  status: MemberStatus;
  blockedAt: number | null;
  replacedBy: string | null;
  replaces: string | null;
  /**
   * On a replacement card: the lost card's balance to give back once the quarantine is over (issue 7),
   * computed then from the ledger; absent on other cards.
   */
  restitution?: Restitution;
}

export interface Restitution {
  /** Pseudonym of the lost card. */
  from: string;
  blockedAt: number;
  /** Month index in which the lost card was blocked: its balance of that month is what is given back. */
  blockMonth: number;
  quarantineEnds: number;
  /** Cents given back, once done; null while the quarantine runs. */
  restored: number | null;
}

export interface RegistryData {
  version: number;
  members: MemberEntry[];
}

export class MemberRegistry {
  private constructor(
    private readonly path: string,
    private readonly passphrase: string,
    readonly data: RegistryData,
  ) {}

  /** Opens the registry file, or starts an empty one if the file does not exist yet. */
  static open(path: string, passphrase: string): MemberRegistry {
    if (!existsSync(path))
      return new MemberRegistry(path, passphrase, { version: REGISTRY_VERSION, members: [] });
    const plain = unseal(readFileSync(path, 'utf8'), passphrase, PURPOSE_REGISTRY);
    const data = JSON.parse(Buffer.from(plain).toString('utf8')) as RegistryData;
    return new MemberRegistry(path, passphrase, data);
  }

  save(): void {
    writeFileAtomic(
      this.path,
      seal(Buffer.from(JSON.stringify(this.data), 'utf8'), this.passphrase, PURPOSE_REGISTRY),
    );
  }

  byPseudonym(pseudonymHex: string): MemberEntry | null {
    return this.data.members.find((m) => m.pseudonym === pseudonymHex) ?? null;
  }

  /** The member's current card (the latest entry not replaced), by exact name. */
  byName(name: string): MemberEntry | null {
    const list = this.data.members.filter((m) => m.name === name && m.status !== 'remplacee');
    return list.length > 0 ? list[list.length - 1] : null;
  }

  names(): string[] {
    return this.data.members.map((m) => m.name);
  }

  upsert(e: MemberEntry): void {
    const i = this.data.members.findIndex((m) => m.pseudonym === e.pseudonym);
    if (i >= 0) this.data.members[i] = e;
    else this.data.members.push(e);
  }
}
