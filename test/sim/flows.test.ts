// Every stallholder flow and every refusal of issue 4 §3, on a reader provisioned through its service.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LOG_ALERT,
  LOG_BALANCE,
  LOG_DAY_CLOSE,
  LOG_REFUND_COMMIT,
  LOG_REFUND_PENDING,
  LOG_SALE_COMMIT,
  LOG_SALE_PENDING,
  ALERT_ROLLBACK,
  ALERT_BLOCKLISTED,
  ALERT_BAD_SIGNATURE,
  verifyLogRun,
  chainGenesis,
} from '../../protocol/src/structures/log';
import { CMD_PUT_BLOCKLIST, CMD_PUT_CONFIG } from '../../protocol/src/structures/command';
import { signBlocklist, signConfig } from '../../protocol/src/structures/config';
import { verifyCheckpoint } from '../../protocol/src/verify';
import { hostCrypto, sha256Host } from '../../protocol/src/node/ed25519';
import { voucherHousehold } from '../../protocol/scripts/vector-fixtures';
import { NTAG215_LAYOUT, PAGE_BYTES } from '../../protocol/src/card';
import { encodeState, stateId, voucherId } from '../../protocol/src/structures/state';
import { sealEnvelope } from '../../protocol/src/structures/envelope';
import { reader2 } from '../../protocol/scripts/vector-fixtures';
import {
  READER_ID,
  SIM_T,
  T0,
  cmd,
  fundId,
  makeBlocklist,
  makeConfig,
  memberCard,
  operator,
  provisionedReader,
  signedVoucher,
  voucherFlat,
} from './fund';
import { cardState, kinds, rebootOn, stateOfBody } from './helpers';
import { VirtualFlash } from './virtual-flash';
import { CardMemory } from './card-memory';
import { ReaderSim } from './reader-sim';

let base: VirtualFlash;
let pub: Uint8Array;

beforeAll(() => {
  const p = provisionedReader('flows');
  base = p.sim.flash.clone();
  pub = p.publicKey;
});

function fresh(label: string, now = SIM_T + 60): ReaderSim {
  return rebootOn(base.clone(), label, now);
}

/** Types amount, picks category 1 (or `cat`), taps `card`. */
function sell(sim: ReaderSim, card: CardMemory, cents: number, cat = '1'): string[] {
  sim.keys(String(cents) + '#');
  if (sim.screen()[0] === 'Catégorie ?') sim.keys(cat);
  sim.tap(card);
  const s = sim.screen();
  sim.removeCard();
  sim.advance(5000);
  return s;
}

describe('sale', () => {
  it('debits the covered share, alternates slots, prints vendor, amounts, balance, reader and seq', () => {
    const sim = fresh('sale');
    const card = memberCard();
    expect(sell(sim, card, 1250)[0]).toBe('Paiement accepté');
    const r1 = sim.lastPrintedText();
    expect(r1).toContain('Ferme des Prés');
    expect(r1).toContain('Pris en charge           12,50 €');
    expect(r1).toContain('Reste à payer             0,00 €');
    expect(r1).toContain('Solde restant ce mois    52,50 €');
    const pend = kinds(sim, LOG_SALE_PENDING);
    expect(r1).toContain('Lecteur ' + READER_ID + ' - opération n° ' + pend[0].seq);
    // Never a pseudonym (hex) on paper.
    expect(r1).not.toContain(Buffer.from(voucherFlat.pseudonym).toString('hex'));
    const s1 = cardState(card, pub)!;
    expect(s1.cardSeq).toBe(1);
    expect(s1.spent).toBe(1250);
    // Category 2 covers 50 %: 20,00 € → 10,00 € on the card, 10,00 € to pay.
    expect(sell(sim, card, 2000, '2')[0]).toBe('Paiement accepté');
    const r2 = sim.lastPrintedText();
    expect(r2).toContain('Pris en charge           10,00 €');
    expect(r2).toContain('Reste à payer            10,00 €');
    const s2 = cardState(card, pub)!;
    expect(s2.cardSeq).toBe(2);
    expect(s2.spent).toBe(2250);
    expect(s2.prev).toEqual(
      stateId(
        stateOfBody(kinds(sim, LOG_SALE_PENDING)[0].data[3] as Uint8Array) &&
          (kinds(sim, LOG_SALE_PENDING)[0].data[3] as Uint8Array),
        sha256Host,
      ),
    );
    expect(kinds(sim, LOG_SALE_COMMIT).length).toBe(2);
    expect(sim.beeps).toBe(2);
    // Both slots were used (A then B).
    const a = card.pages.subarray(NTAG215_LAYOUT.slotA.firstPage * PAGE_BYTES);
    const b = card.pages.subarray(NTAG215_LAYOUT.slotB.firstPage * PAGE_BYTES);
    expect(a[0]).toBe(0x82);
    expect(b[0]).toBe(0x82);
  });

  it('keypad: correction key, a leading zero ignored, 6 digits max, cancel on the card screen', () => {
    const sim = fresh('keys');
    sim.keys('0012*3');
    expect(sim.screen()[1]).toBe('0,13 €');
    sim.keys('99999999');
    expect(sim.screen()[1]).toBe('1399,99 €');
    sim.keys('******');
    expect(sim.screen()[1]).toBe('0,00 €');
    sim.keys('5#1');
    expect(sim.screen()[0]).toBe('Présentez la carte');
    sim.keys('*');
    expect(sim.screen()[0]).toBe('Montant :');
    expect(kinds(sim, LOG_SALE_PENDING).length).toBe(0);
  });

  it('balance inquiry: a tap with no amount shows the balance and logs BALANCE', () => {
    const sim = fresh('balance');
    const card = memberCard();
    sell(sim, card, 500);
    sim.tap(card);
    expect(sim.screen()).toEqual(['Solde du mois', '60,00 €']);
    // Card left on the reader: no second inquiry.
    sim.advance(5000);
    sim.reader.pollCard();
    expect(kinds(sim, LOG_BALANCE).length).toBe(1);
    sim.removeCard();
    sim.keys('A');
    sim.tap(card);
    expect(sim.screen()[1]).toBe('60,00 €');
    expect(kinds(sim, LOG_BALANCE).length).toBe(2);
  });

  it('reprint gives the last receipt marked DUPLICATA; nothing to reprint on a fresh reader', () => {
    const sim = fresh('reprint');
    sim.keys('B');
    expect(sim.screen()[0]).toBe('Aucun ticket');
    sim.advance(5000);
    const card = memberCard();
    sell(sim, card, 700);
    const n = sim.printed.length;
    sim.keys('B');
    expect(sim.printed.length).toBe(n + 1);
    expect(sim.lastPrintedText()).toContain('DUPLICATA');
    expect(sim.lastPrintedText()).toContain('Pris en charge            7,00 €');
  });

  it('cancel last sale on the same card: signed refund state, logged, balance restored', () => {
    const sim = fresh('refund');
    const card = memberCard();
    const other = memberCard(voucherHousehold);
    sell(sim, card, 1500);
    sim.keys('C');
    sim.tap(other);
    expect(sim.screen()[0]).toBe('Pas la même carte');
    sim.removeCard();
    sim.advance(5000);
    sim.keys('C');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Vente annulée');
    const st = cardState(card, pub)!;
    expect(st.spent).toBe(0);
    expect(st.lastAmount).toBe(-1500);
    expect(st.cardSeq).toBe(2);
    const rp = kinds(sim, LOG_REFUND_PENDING);
    expect(rp.length).toBe(1);
    expect(rp[0].data[0]).toBe(kinds(sim, LOG_SALE_PENDING)[0].seq);
    expect(kinds(sim, LOG_REFUND_COMMIT).length).toBe(1);
    expect(sim.lastPrintedText()).toContain('ANNULATION');
    sim.removeCard();
    sim.advance(5000);
    // Only once.
    sim.keys('C');
    sim.tap(card);
    expect(sim.screen()[0]).toBe('Aucune vente');
  });

  it('day close: DAY_CLOSE record with totals per category, Z report printed, signed checkpoint', () => {
    const sim = fresh('z');
    const card = memberCard();
    sell(sim, card, 1000, '1');
    sell(sim, card, 2000, '2');
    sim.keys('D');
    expect(sim.screen()[0]).toBe('Clôturer la journée ?');
    sim.keys('#');
    expect(sim.screen()[0]).toBe('Journée clôturée');
    const z = kinds(sim, LOG_DAY_CLOSE);
    expect(z.length).toBe(1);
    expect(z[0].data[1]).toBe(2);
    expect(z[0].data[2]).toBe(2000);
    expect(z[0].data[4]).toEqual([
      [1, 1, 1000],
      [2, 1, 1000],
    ]);
    const text = sim.lastPrintedText();
    expect(text).toContain('RAPPORT Z');
    expect(text).toContain('Total pris en charge     20,00 €');
    const ck = sim.reader.core.checkpoint(null);
    const v = verifyCheckpoint(ck, pub, fundId, READER_ID, hostCrypto);
    expect(v.ok).toBe(true);
    // The whole log chains from genesis.
    const recs: Uint8Array[] = [];
    sim.reader.core.log.scan(1, (s, r) => (recs.push(r), true));
    const run = verifyLogRun(chainGenesis(fundId, READER_ID, sha256Host), 1, recs, sha256Host);
    expect(run.ok).toBe(true);
    if (v.ok) expect(run.value.head).toEqual(v.value.head);
    // A new Z period starts empty.
    sim.advance(5000);
    sim.keys('D#');
    expect(kinds(sim, LOG_DAY_CLOSE)[1].data[1]).toBe(0);
  });
});

describe('refusals', () => {
  it('unknown card: blank NTAG, no header', () => {
    const sim = fresh('blank');
    const blank = new CardMemory(voucherFlat.cardUid, 0x11);
    expect(sell(sim, blank, 100)[0]).toBe('Carte inconnue');
  });

  it('invalid signature: a voucher byte changed → refused and ALERT', () => {
    const sim = fresh('badsig');
    const card = memberCard();
    card.pages[NTAG215_LAYOUT.voucher.firstPage * 4 + 40] ^= 1;
    expect(sell(sim, card, 100)[0]).toBe('Signature invalide');
    const a = kinds(sim, LOG_ALERT);
    expect(a.length).toBe(1);
    expect(a[0].data[0]).toBe(ALERT_BAD_SIGNATURE);
  });

  it('voucher bound to another UID (copied to another chip) → refused', () => {
    const sim = fresh('uid');
    const card = memberCard();
    const copy = card.clone();
    copy.uid = new Uint8Array([4, 9, 9, 9, 9, 9, 9]);
    expect(sell(sim, copy, 100)[0]).toBe("Bon d'une autre carte");
  });

  it('expired voucher (after its last month)', () => {
    const sim = fresh('expired');
    // October 2026 only: expired in November.
    const v = { ...voucherFlat, startMonth: voucherFlat.startMonth - 1, validityMonths: 1 };
    const card = memberCard(v);
    expect(sell(sim, card, 100)[0]).toBe('Bon expiré');
  });

  it('blocklisted card → refused, ALERT', () => {
    const p = provisionedReader('blocked');
    const r = p.host.command(
      cmd(
        CMD_PUT_BLOCKLIST,
        [signBlocklist(makeBlocklist(5, [voucherFlat.pseudonym]), operator), null],
        operator,
      ),
      operator,
      null,
    );
    expect(r.status).toBe(0);
    expect(sell(p.sim, memberCard(), 100)[0]).toBe('Carte bloquée');
    expect(kinds(p.sim, LOG_ALERT)[0].data[0]).toBe(ALERT_BLOCKLISTED);
  });

  it('rollback: an old card image after a sale here → refused, ALERT with both state bodies', () => {
    const sim = fresh('rollback');
    const card = memberCard();
    sell(sim, card, 1000);
    const old = card.clone();
    sell(sim, card, 1000);
    expect(sell(sim, old, 1000)[0]).toBe('Carte plus ancienne');
    const a = kinds(sim, LOG_ALERT);
    expect(a.length).toBe(1);
    expect(a[0].data[0]).toBe(ALERT_ROLLBACK);
    const ev = a[0].data[2] as Uint8Array[];
    expect(ev.length).toBe(2);
    expect(stateOfBody(ev[0]).cardSeq).toBe(1);
    expect(stateOfBody(ev[1]).cardSeq).toBe(2);
    // It survives a reboot (last-seen table in flash).
    const again = rebootOn(sim.flash.clone(), 'rollback-2');
    expect(sell(again, old.clone(), 1000)[0]).toBe('Carte plus ancienne');
  });

  it('over balance, over the per-tap cap, over the per-card day cap, over the reader day cap', () => {
    const sim = fresh('limits');
    const card = memberCard();
    expect(sell(sim, card, 5001)[0]).toBe('Montant trop élevé');
    expect(sell(sim, card, 5000)[0]).toBe('Paiement accepté');
    expect(sell(sim, card, 1600)[0]).toBe('Solde insuffisant');
    expect(sell(sim, card, 1500)[0]).toBe('Paiement accepté');
    // Household voucher: 375 € a month; the card day cap (80 €) binds.
    const big = memberCard(voucherHousehold);
    expect(sell(sim, big, 5000)[0]).toBe('Paiement accepté');
    expect(sell(sim, big, 3001)[0]).toBe('Plafond du jour');
    expect(sell(sim, big, 3000)[0]).toBe('Paiement accepté');
    // Next local day: the card cap resets.
    sim.clock.now += 86400;
    expect(sell(sim, big, 1000)[0]).toBe('Paiement accepté');
  });

  it('reader day cap from a new configuration; stale or over-certificate configurations refused', () => {
    const p = provisionedReader('readerday');
    const put = (version: number, over: object) =>
      p.host.command(
        cmd(CMD_PUT_CONFIG, [signConfig(makeConfig(version, over), operator), null], operator),
        operator,
        null,
      );
    expect(put(5, { readerDayMax: 9000 }).status).toBe(6); // STALE_VERSION
    const over = put(6, { readerDayMax: 300000 });
    expect([over.status, over.detail]).toEqual([1, 'CONFIG_OVER_CERT']);
    expect(put(6, { readerDayMax: 9000 }).status).toBe(0);
    expect(sell(p.sim, memberCard(), 5000)[0]).toBe('Paiement accepté');
    const big = memberCard(voucherHousehold);
    expect(sell(p.sim, big, 4001)[0]).toBe('Plafond du jour');
    expect(sell(p.sim, big, 4000)[0]).toBe('Paiement accepté');
  });

  it('certificate expired or offline window passed → "Synchronisation requise"', () => {
    const late = fresh('offline', SIM_T + 15 * 86400);
    expect(sell(late, memberCard(), 100)[0]).toBe('Synchronisation');
    const expired = fresh('cert', T0 + 181 * 86400);
    expect(sell(expired, memberCard(), 100)[0]).toBe('Synchronisation');
    expect(kinds(expired, LOG_SALE_PENDING).length).toBe(0);
  });

  it('not provisioned → "Lecteur non configuré"', () => {
    const sim = new ReaderSim(new VirtualFlash(48 * 1024), SIM_T, 'blank', 0, 0);
    sim.reader.boot();
    sim.keys('100#');
    expect(sim.screen()[0]).toBe('Lecteur non configuré');
    expect(sim.reader.core.log.started).toBe(false);
  });
});

describe('voucher renewal and rollback order', () => {
  it('a renewed voucher (higher serial) starts again at card_seq 1 and is not a rollback; the old one is', () => {
    const sim = fresh('renewal');
    const card = memberCard();
    sell(sim, card, 1000);
    sell(sim, card, 1000);
    const renewed = memberCard({ ...voucherFlat, serial: 2 });
    expect(sell(sim, renewed, 500)[0]).toBe('Paiement accepté');
    expect(cardState(renewed, pub)!.cardSeq).toBe(1);
    expect(sell(sim, memberCard(), 500)[0]).toBe('Carte plus ancienne');
    expect(kinds(sim, LOG_ALERT)[0].data[0]).toBe(ALERT_ROLLBACK);
  });
});

describe('states written by other readers', () => {
  it('a state by reader 102 (from the directory) is current; once 102 is revoked its states are ignored', () => {
    const p = provisionedReader('other-reader');
    const card = memberCard();
    // Reader 102 debited 20,00 € (state in slot A, signed with its fixture key).
    const body = encodeState({
      pseudonym: voucherFlat.pseudonym,
      voucherSerial: 1,
      month: voucherFlat.startMonth,
      cardSeq: 1,
      carried: 0,
      spent: 2000,
      lastAmount: 2000,
      readerId: 102,
      logSeq: 7,
      time: SIM_T - 3600,
      prev: voucherId(signedVoucher(voucherFlat), sha256Host),
    });
    card.pages.set(sealEnvelope(body, reader2), NTAG215_LAYOUT.slotA.firstPage * PAGE_BYTES);
    const c2 = card.clone();
    // Another reader of the fund debits on top of it: 20,00 + 10,00.
    const other = fresh('other-reader-2');
    expect(sell(other, card, 1000)[0]).toBe('Paiement accepté');
    expect(cardState(card, pub)!.spent).toBe(3000);
    expect(cardState(card, pub)!.cardSeq).toBe(2);
    // On reader p: 45,00 € left while 102 is trusted.
    p.sim.keys('A');
    p.sim.tap(c2);
    expect(p.sim.screen()).toEqual(['Solde du mois', '45,00 €']);
    p.sim.removeCard();
    p.sim.advance(5000);
    // Blocklist v5 revokes reader 102: its state no longer counts, the card shows no state.
    const bl = { ...makeBlocklist(5, []), readerIds: [55, 99, 102] };
    expect(
      p.host.command(cmd(CMD_PUT_BLOCKLIST, [signBlocklist(bl, operator), null], operator), operator, null)
        .status,
    ).toBe(0);
    p.sim.keys('A');
    p.sim.tap(c2);
    expect(p.sim.screen()).toEqual(['Solde du mois', '65,00 €']);
  });
});
