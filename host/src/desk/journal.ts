// Desk write journal: before writing a card, the desk records the exact page writes it is about to do;
// it deletes the record once the card reads back right. A card pulled off mid-write leaves the record,
// and the next command that sees the same UID redoes the whole list (every write is idempotent, the
// header comes last: SPEC.md §12.1). Holds pseudonyms and card bytes only, never a name.

import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../keys/keyfile';

export type DeskOp = 'emettre' | 'renouveler' | 'remplacer' | 'formater';

/** One step: write a page, or authenticate with the card password (PWD_AUTH) before the next writes. */
export interface PlanStep {
  page: number;
  /** 8 hex digits; empty for an authentication step. */
  hex: string;
  auth?: boolean;
}

export interface JournalEntry {
  uid: string;
  op: DeskOp;
  pseudonym: string | null;
  startedAt: number;
  steps: PlanStep[];
}

export interface Journal {
  get(uidHex: string): JournalEntry | null;
  put(e: JournalEntry): void;
  clear(uidHex: string): void;
}

export class MemoryJournal implements Journal {
  private readonly map: { [uid: string]: JournalEntry } = {};
  get(uid: string): JournalEntry | null {
    return this.map[uid] ?? null;
  }
  put(e: JournalEntry): void {
    this.map[e.uid] = JSON.parse(JSON.stringify(e)) as JournalEntry;
  }
  clear(uid: string): void {
    delete this.map[uid];
  }
}

export class FileJournal implements Journal {
  constructor(private readonly dir: string) {}
  private file(uid: string): string {
    return join(this.dir, 'ecriture-' + uid + '.json');
  }
  get(uid: string): JournalEntry | null {
    const f = this.file(uid);
    if (!existsSync(f)) return null;
    return JSON.parse(readFileSync(f, 'utf8')) as JournalEntry;
  }
  put(e: JournalEntry): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(this.file(e.uid), JSON.stringify(e, null, 2) + '\n');
  }
  clear(uid: string): void {
    if (existsSync(this.file(uid))) unlinkSync(this.file(uid));
  }
  pending(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => n.startsWith('ecriture-'))
      .map((n) => n.slice(9, -5));
  }
}
