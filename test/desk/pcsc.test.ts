// The desk on the real PC/SC stack: pcscd + vsmartcard's vpcd driver + our virtual NTAG speaking vpcd's
// TCP protocol; nfc-pcsc drives it as it drives an ACR122U (FF CA, FF B0, FF D6, direct transmit).
// Part 1 uses the desk in this process; part 2 runs the real `carnet carte …` command line in child
// processes: issue → read → renew → block → replace, end to end.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcscDesk } from '../../host/src/adapters/pcsc/nfc-pcsc';
import { identifyCard, inspectCard, issueCard } from '../../host/src/desk/desk';
import { CardIo } from '../../host/src/desk/card-io';
import { fromHex, toHex } from '../../protocol/src/bytes';
import { NTAG215_LAYOUT } from '../../protocol/src/card';
import { hostCrypto } from '../../protocol/src/node/ed25519';
import { reader1 } from '../../protocol/scripts/vector-fixtures';
import { signState, voucherId } from '../../protocol/src/structures/state';
import { openVoucherInRegion } from '../../protocol/src/structures/voucher';
import { verifyBlocklist } from '../../protocol/src/verify';
import { monthOfTime } from '../../protocol/src/time';
import { TagKind, VirtualTag, VpcdCard } from '../sim/vpcd-card';
import { NOW, context, deskError } from './helpers';
import { PcscdHandle, VPCD_READER, startPcscd } from './pcscd';

const repoRoot = join(__dirname, '..', '..');
let pcscd: PcscdHandle;
let desk: PcscDesk | null = null;
const timings: string[] = [];

beforeAll(async () => {
  pcscd = await startPcscd();
});

afterAll(async () => {
  if (desk !== null) await desk.close();
  await pcscd.stop();
  console.log('timings through pcscd/vpcd:\n  ' + timings.join('\n  '));
});

async function put(tag: VirtualTag): Promise<VpcdCard> {
  const c = new VpcdCard(tag);
  await c.insert();
  return c;
}

async function take(c: VpcdCard): Promise<void> {
  c.remove();
  if (desk !== null) await desk.waitRemoved(5000);
}

async function cardOn(tag: VirtualTag): Promise<{ card: VpcdCard; io: CardIo }> {
  const card = await put(tag);
  const io = await (desk as PcscDesk).waitCard(10_000);
  return { card, io };
}

describe('desk through pcscd (nfc-pcsc driving the virtual NTAG like an ACR122U)', () => {
  beforeAll(() => {
    desk = PcscDesk.start(VPCD_READER);
  });

  it.each([
    ['MIFARE_CLASSIC', 'CARD_MIFARE_CLASSIC', /MIFARE Classic/],
    ['NTAG213', 'CARD_NTAG213', /NTAG213/],
    ['ULTRALIGHT', 'CARD_NOT_NTAG', /GET_VERSION/],
  ] as [TagKind, string, RegExp][])('refuses %s', async (kind, code, msg) => {
    const { card, io } = await cardOn(new VirtualTag(kind));
    const e = await deskError(identifyCard(io));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(msg);
    await take(card);
  });

  it('issue and read through PC/SC; a card pulled mid-issue reads "carte incomplète" and the re-run finishes', async () => {
    const tag = new VirtualTag('NTAG216');
    const ctx = context();
    const first = await cardOn(tag);
    tag.tearAtWrite = tag.writes + 12;
    const e = await deskError(
      issueCard(
        first.io,
        ctx,
        { name: 'Chloé Petit', householdSize: 1, parts: null },
        { now: NOW, protect: false, force: false },
      ),
    );
    expect(e.code).toBe('CARD_GONE');
    if (desk !== null) await desk.waitRemoved(5000);
    expect(first.card.tag.present).toBe(false);
    const { card, io } = await cardOn(tag);
    const rep = await inspectCard(io, ctx, NOW);
    expect(rep.status).toBe('incomplete');
    expect(rep.message).toMatch(/carte incomplète/);
    let t0 = Date.now();
    const r = await issueCard(
      io,
      ctx,
      { name: 'Chloé Petit', householdSize: 1, parts: null },
      { now: NOW, protect: false, force: false },
    );
    timings.push('resume of a torn issue (NTAG216): ' + (Date.now() - t0) + ' ms');
    expect(r.resumed?.op).toBe('emettre');
    t0 = Date.now();
    const apdus = tag.apdus;
    const after = await inspectCard(io, ctx, NOW);
    timings.push('read (NTAG216, ' + (tag.apdus - apdus) + ' APDUs): ' + (Date.now() - t0) + ' ms');
    expect(after.status).toBe('valide');
    await take(card);
  });

  it('closes the PC/SC context without deadlock', async () => {
    await (desk as PcscDesk).close();
    desk = null;
  });
});

// ---- the command line, end to end -----------------------------------------------------------------

interface Run {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

const PASS = 'phrase de passe de test';

function carnet(dir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'host', 'bin', 'carnet.mjs'), ...args, '--json'],
      {
        cwd: dir,
        env: {
          ...process.env,
          CARNET_PASSPHRASE: PASS,
          CARNET_GUICHET: join(dir, 'guichet'),
          CARNET_NOW: String(NOW),
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = { raw: stdout };
        }
        resolve({ code: typeof code === 'number' ? code : 1, json, stderr });
      },
    );
  });
}

function containsName(bytes: Uint8Array, names: string[]): string | null {
  const b = Buffer.from(bytes);
  for (const n of names) {
    for (const form of [n, n.toUpperCase(), n.toLowerCase()]) {
      if (b.includes(Buffer.from(form, 'utf8')) || b.includes(Buffer.from(form, 'latin1'))) return n;
    }
    for (const part of n.split(' ')) if (part.length >= 4 && b.includes(Buffer.from(part, 'utf8'))) return n;
  }
  return null;
}

describe('carnet carte … end to end through pcscd', () => {
  it('issue → read → renew → block → replace; no name on cards or desk files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carnet-guichet-'));
    const fund = join(dir, 'fonds.json');
    const rd = ['--lecteur', VPCD_READER, '--attente', '20'];
    const time = async (label: string, p: Promise<Run>): Promise<Run> => {
      const t0 = Date.now();
      const r = await p;
      timings.push('carnet ' + label + ': ' + (Date.now() - t0) + ' ms (child process, tsx start included)');
      return r;
    };

    const k1 = await carnet(dir, ['carte', 'cle-creer', '--sortie', 'emission.cle']);
    expect(k1.code).toBe(0);
    const k2 = await carnet(dir, [
      'card',
      'key-create',
      '--out',
      'operateur.cle',
      '--purpose',
      'cle-operateur',
    ]);
    expect(k2.code).toBe(0);
    const fundId = 'f0f1f2f3f4f5f6f7';
    writeFileSync(
      fund,
      JSON.stringify({
        fundId,
        utcOffsetMin: 60,
        rule: { kind: 'foyer', base: 5000, perExtraPerson: 2000 },
        validityMonths: 6,
        carryCap: 3000,
        issuerPublicKeys: [k1.json.publicKey],
      }),
    );
    const F = ['--fonds', fund];

    // A MIFARE Classic on the reader: the command refuses it in French, exit 65, error code in --json.
    const classic = await put(new VirtualTag('MIFARE_CLASSIC'));
    const fmt = await carnet(dir, ['carte', 'formater', ...F, ...rd]);
    expect(fmt.code).toBe(65);
    expect(fmt.stderr).toMatch(/carte MIFARE Classic : carnet n’utilise que des NTAG215 ou NTAG216/);
    expect((fmt.json.error as { code: string }).code).toBe('CARD_MIFARE_CLASSIC');
    classic.remove();
    await new Promise((r) => setTimeout(r, 300)); // let pcscd see the card leave before the next one

    // Issue card A.
    const tagA = new VirtualTag('NTAG215');
    const cardA = await put(tagA);
    const issue = await time(
      'carte emettre',
      carnet(dir, [
        'carte',
        'emettre',
        ...F,
        ...rd,
        '--cle-emetteur',
        'emission.cle',
        '--nom',
        'Alice Martin',
        '--personnes',
        '3',
      ]),
    );
    expect(issue.stderr).toBe('');
    expect(issue.code).toBe(0);
    const pseudoA = String(issue.json.pseudonym);
    expect(pseudoA).toMatch(/^[0-9a-f]{16}$/);
    expect(issue.json.monthlyAllocation).toBe(9000);

    // A reader debits 12,50 € (slot A), as the firmware would.
    const vRegion = tagA.mem.subarray(
      NTAG215_LAYOUT.voucher.firstPage * 4,
      NTAG215_LAYOUT.slotA.firstPage * 4,
    );
    const v = openVoucherInRegion(vRegion);
    expect(v.ok).toBe(true);
    const venv = v.ok ? v.value.opened.bytes : new Uint8Array(0);
    const state = {
      pseudonym: fromHex(pseudoA),
      voucherSerial: 1,
      month: monthOfTime(NOW, 60),
      cardSeq: 1,
      carried: 0,
      spent: 1250,
      lastAmount: 1250,
      readerId: 101,
      logSeq: 7,
      time: NOW + 60,
      prev: voucherId(venv, hostCrypto.sha256),
    };
    tagA.mem.set(signState(state, reader1), NTAG215_LAYOUT.slotA.firstPage * 4);

    // Read.
    const read = await time('carte lire', carnet(dir, ['card', 'read', ...F, ...rd]));
    expect(read.code).toBe(0);
    expect(read.json.status).toBe('valide');
    expect((read.json.balance as { available: number }).available).toBe(9000 - 1250);
    expect((read.json.spends as { amount: number }[])[0].amount).toBe(1250);
    expect((read.json.notes as string[]).join(' ')).toMatch(/non vérifiées/);

    // Wrong passphrase: refused with exit 77 before touching the card.
    const wrong = await carnet(dir, ['carte', 'renouveler', ...F, ...rd, '--cle-emetteur', 'emission.cle'], {
      CARNET_PASSPHRASE: 'faux',
    });
    expect(wrong.code).toBe(77);
    expect(wrong.stderr).toMatch(/phrase de passe incorrecte/);

    // Renew two months later: serial 2, same pseudonym, slot kept.
    const later = String(NOW + 62 * 86400);
    const renew = await time(
      'carte renouveler',
      carnet(dir, ['carte', 'renouveler', ...F, ...rd, '--cle-emetteur', 'emission.cle'], {
        CARNET_NOW: later,
      }),
    );
    expect(renew.code).toBe(0);
    expect(renew.json.serial).toBe(2);
    expect(renew.json.pseudonym).toBe(pseudoA);
    const read2 = await carnet(dir, ['carte', 'lire', ...F, ...rd], { CARNET_NOW: later });
    expect((read2.json.voucher as { serial: number }).serial).toBe(2);
    expect((read2.json.spends as unknown[]).length).toBe(1);

    // Card A is lost: block it (by name, signed at once with the operator key).
    const dumpA = await dumpThroughPcsc(tagA);
    await take(cardA);
    const block = await time(
      'carte bloquer',
      carnet(dir, [
        'carte',
        'bloquer',
        ...F,
        '--nom',
        'Alice Martin',
        '--cle-operateur',
        'operateur.cle',
        '--raison',
        'perdue',
      ]),
    );
    expect(block.code).toBe(0);
    expect(block.json.pseudonym).toBe(pseudoA);
    const signed = block.json.signed as { version: number; file: string };
    expect(signed.version).toBe(1);
    const opPub = fromHex(String(k2.json.publicKey));
    const bl = verifyBlocklist(new Uint8Array(readFileSync(signed.file)), opPub, fromHex(fundId), hostCrypto);
    expect(bl.ok).toBe(true);
    expect(bl.ok && bl.value.pseudonyms.map(toHex)).toEqual([pseudoA]);

    // Replace on card B; the ledger export knows card A's last state (spent 40 € this month).
    writeFileSync(
      join(dir, 'grand-livre.json'),
      JSON.stringify({
        states: [
          {
            pseudonym: pseudoA,
            month: monthOfTime(NOW, 60) + 2,
            cardSeq: 4,
            carried: 0,
            spent: 4000,
            time: NOW + 61 * 86400,
            voucherSerial: 2,
          },
        ],
      }),
    );
    const tagB = new VirtualTag('NTAG216');
    const cardB = await put(tagB);
    const repl = await time(
      'carte remplacer',
      carnet(
        dir,
        [
          'carte',
          'remplacer',
          ...F,
          ...rd,
          '--cle-emetteur',
          'emission.cle',
          '--nom',
          'Alice Martin',
          '--grand-livre',
          'grand-livre.json',
          '--quarantaine-semaines',
          '8',
        ],
        { CARNET_NOW: later },
      ),
    );
    expect(repl.stderr).toBe('');
    expect(repl.code).toBe(0);
    expect(repl.json.oldPseudonym).toBe(pseudoA);
    expect(repl.json.pseudonym).not.toBe(pseudoA);
    expect(repl.json.ledgerState).toBe(true);
    expect(repl.json.oldBalanceNow).toBe(9000 - 4000);
    // Renewed 2027-01 for 6 months (to 2027-06), replaced on 2027-01-11: the new voucher allocates from
    // next month to the old one's end; January's balance comes back after the quarantine.
    expect(repl.json.startMonth).toBe('2027-02');
    expect(repl.json.endMonth).toBe('2027-06');
    const readB = await carnet(dir, ['carte', 'lire', ...F, ...rd], { CARNET_NOW: later });
    expect(readB.code).toBe(1); // not valid yet: findings
    expect(readB.json.status).toBe('pas_encore_valide');
    expect(String(readB.json.message)).toMatch(/bon valable à partir de 2027-02/);
    // After the 8-week quarantine (2027-03-08), the lost card's January balance comes back as a credit.
    const afterQuarantine = String(Number(later) + 57 * 86400);
    const rest = await time(
      'carte restituer',
      carnet(
        dir,
        [
          'carte',
          'restituer',
          ...F,
          ...rd,
          '--cle-emetteur',
          'emission.cle',
          '--grand-livre',
          'grand-livre.json',
        ],
        {
          CARNET_NOW: afterQuarantine,
        },
      ),
    );
    expect(rest.stderr).toBe('');
    expect(rest.code).toBe(0);
    expect(rest.json.restored).toBe(9000 - 4000);
    expect(rest.json.from).toBe(pseudoA);
    const dumpB = await dumpThroughPcsc(tagB);
    await take(cardB);

    // No name anywhere but in the encrypted registry: card dumps, journal, pending and signed blocklists.
    const names = ['Alice Martin'];
    expect(containsName(dumpA, names)).toBeNull();
    expect(containsName(dumpB, names)).toBeNull();
    const files = listFiles(dir).filter((f) => !f.endsWith('.cle') && !f.endsWith('fonds.json'));
    expect(files.some((f) => f.endsWith('registre.chiffre'))).toBe(true);
    for (const f of files) expect(containsName(new Uint8Array(readFileSync(f)), names), f).toBeNull();
    // The grep itself works: the same search finds the name in a dump that has it.
    expect(containsName(Buffer.from('xx Alice Martin xx'), names)).toBe('Alice Martin');
  });
});

/** Reads the whole card through a fresh PC/SC session (what a dump tool would see). */
async function dumpThroughPcsc(tag: VirtualTag): Promise<Uint8Array> {
  const d = PcscDesk.start(VPCD_READER);
  try {
    const io = await d.waitCard(10_000);
    const apdus = tag.apdus;
    const t0 = Date.now();
    const all = await io.readPages(0, tag.pages);
    timings.push(
      'dump of ' + tag.kind + ' (' + (tag.apdus - apdus) + ' APDUs): ' + (Date.now() - t0) + ' ms',
    );
    return all;
  } finally {
    await d.close();
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}
