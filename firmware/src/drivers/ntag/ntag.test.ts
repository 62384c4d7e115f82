// The real PN532 + NTAG drivers against the virtual PN532 and virtual NTAG (test/sim).
import { describe, expect, it } from 'vitest';
import { CARD_GONE, CARD_NAK, CARD_READER_FAULT, CardFailure, isCardFailure } from '../../hal/devices';
import { Pn532, mapStatus } from '../pn532/pn532';
import { MAX_FAST_READ_PAGES, NtagTransport, originalitySignature } from './ntag';
import { VirtualNtag, NAK_EEPROM } from '../../../../test/sim/virtual-ntag';
import { VirtualPn532, Pn532Mode } from '../../../../test/sim/virtual-pn532';

function rig(card: VirtualNtag | null, mode: Pn532Mode = 'ok') {
  const chip = new VirtualPn532(card, mode);
  const pn = new Pn532(chip, chip);
  const nt = new NtagTransport(pn);
  return { chip, pn, nt };
}

function ok<T>(v: T | CardFailure): T {
  if (isCardFailure(v)) throw new Error('unexpected failure ' + v.error + ' ' + v.detail);
  return v;
}

function errorOf(v: unknown): string {
  return isCardFailure(v) ? v.error : 'no failure';
}

function pattern(page: number): Uint8Array {
  return new Uint8Array([page, page ^ 0x5a, (page * 7) & 0xff, 0xc3]);
}

describe('PN532 driver + NTAG transport on the virtual devices', () => {
  it('starts the PN532 and reads its firmware version', () => {
    const { chip, pn } = rig(new VirtualNtag());
    const v = ok(pn.begin());
    expect(Array.from(v)).toEqual([0x32, 0x01, 0x06, 0x07]);
    expect(chip.retryTimeoutUs).toBe(12800); // RFConfiguration 0x02 reached the chip
  });

  it('detects an NTAG215 and reads GET_VERSION, UID pages and the signature', () => {
    const card = new VirtualNtag({ type: 'NTAG215' });
    const { pn, nt } = rig(card);
    ok(pn.begin());
    const t = ok(nt.detect());
    expect(t).not.toBeNull();
    expect(Array.from(t!.uid)).toEqual(Array.from(card.uid));
    const v = ok(nt.getVersion());
    expect(v[6]).toBe(0x11);
    const p0 = ok(nt.read(0));
    expect(Array.from(p0.subarray(0, 3))).toEqual(Array.from(card.uid.subarray(0, 3)));
    expect(p0[3]).toBe(0x88 ^ card.uid[0] ^ card.uid[1] ^ card.uid[2]);
    expect(p0[12]).toBe(0xe1); // capability container
    const s = originalitySignature(nt.readSignature());
    expect(s.present).toBe(true);
    expect(s.signature.length).toBe(32);
  });

  it('flags an absent signature (32 zero bytes) and a failed READ_SIG', () => {
    const { pn, nt } = rig(new VirtualNtag({ signature: null }));
    ok(pn.begin());
    ok(nt.detect());
    expect(originalitySignature(nt.readSignature()).present).toBe(false);
    expect(originalitySignature({ error: CARD_GONE, detail: '' }).present).toBe(false);
  });

  it('returns null when no card is in the field', () => {
    const { pn, nt } = rig(null);
    ok(pn.begin());
    expect(nt.detect()).toBeNull();
    const card = new VirtualNtag();
    card.remove();
    const r2 = rig(card);
    ok(r2.pn.begin());
    expect(r2.nt.detect()).toBeNull();
  });

  it('READ wraps to page 0 at the end of memory (NTAG216)', () => {
    const card = new VirtualNtag({ type: 'NTAG216' });
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    const r = ok(nt.read(card.pages - 1));
    expect(Array.from(r.subarray(4, 8))).toEqual(Array.from(card.peek(0, 1)));
    expect(errorOf(nt.read(card.pages))).toBe(CARD_NAK);
  });

  it('FAST_READ across the PN532 buffer limit: MAX, MAX+1 and the whole user memory', () => {
    const card = new VirtualNtag({ type: 'NTAG216' });
    for (let p = 4; p <= card.lastUserPage; p++) card.poke(p, pattern(p));
    const { chip, pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    for (const n of [1, MAX_FAST_READ_PAGES, MAX_FAST_READ_PAGES + 1, card.lastUserPage - 3]) {
      chip.resetCounters();
      const r = ok(nt.fastRead(4, 4 + n - 1));
      expect(r.length).toBe(n * 4);
      expect(Array.from(r)).toEqual(Array.from(card.peek(4, n)));
      expect(chip.log.length).toBe(Math.ceil(n / MAX_FAST_READ_PAGES));
    }
    expect(MAX_FAST_READ_PAGES).toBe(63);
  });

  it('the virtual PN532 refuses a response beyond its buffer (so the split matters)', () => {
    const card = new VirtualNtag({ type: 'NTAG216' });
    const { pn } = rig(card);
    ok(pn.begin());
    ok(pn.listPassiveTarget());
    const r = pn.communicateThru(new Uint8Array([0x3a, 4, 4 + MAX_FAST_READ_PAGES]), 300);
    expect(errorOf(r)).toBe(CARD_READER_FAULT);
  });

  it('WRITEs user pages and reads them back; refuses config pages with NAK then re-selects', () => {
    const card = new VirtualNtag({ type: 'NTAG215' });
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    for (let p = 4; p < 12; p++) expect(nt.write(p, pattern(p))).toBeNull();
    expect(Array.from(ok(nt.fastRead(4, 11)))).toEqual(Array.from(card.peek(4, 8)));
    const cfg = card.lastUserPage + 2;
    const before = card.peek(cfg, 1);
    expect(errorOf(nt.write(cfg, new Uint8Array([0, 0, 0, 0])))).toBe(CARD_NAK);
    expect(Array.from(card.peek(cfg, 1))).toEqual(Array.from(before));
    expect(nt.reselects).toBe(1);
    // the transport re-selected: the next command works without a new detect()
    expect(Array.from(ok(nt.read(4)).subarray(0, 4))).toEqual(Array.from(pattern(4)));
  });

  it('NAK on a READ → CARD_NAK and the card answers again after the re-select', () => {
    const card = new VirtualNtag();
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    card.injectNak(NAK_EEPROM);
    const r = nt.read(4);
    expect(errorOf(r)).toBe(CARD_NAK);
    expect((r as CardFailure).detail).toContain('0x05');
    expect(ok(nt.read(4)).length).toBe(16);
  });

  it('without the re-select a NAKed tag stays silent (what the re-select protects against)', () => {
    const card = new VirtualNtag();
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    card.injectNak(NAK_EEPROM);
    expect(card.transceive(new Uint8Array([0x30, 4]))!.length).toBe(1);
    expect(errorOf(nt.read(4))).toBe(CARD_GONE);
  });

  it('card removed mid-command → CARD_GONE, for every command kind', () => {
    const cmds: ((nt: NtagTransport) => unknown)[] = [
      (nt) => nt.getVersion(),
      (nt) => nt.read(4),
      (nt) => nt.fastRead(4, 100),
      (nt) => nt.write(5, pattern(5)),
      (nt) => nt.readSignature(),
    ];
    for (const c of cmds) {
      const card = new VirtualNtag();
      const { pn, nt } = rig(card);
      ok(pn.begin());
      ok(nt.detect());
      card.removeAfterCommands(1);
      expect(errorOf(c(nt))).toBe(CARD_GONE);
      expect(nt.detect()).toBeNull();
    }
  });

  it('FAST_READ whose second chunk loses the card → CARD_GONE', () => {
    const card = new VirtualNtag();
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    card.removeAfterCommands(2);
    expect(errorOf(nt.fastRead(4, 129))).toBe(CARD_GONE);
  });

  it('torn WRITE: old, new or weak page, and the card gone', () => {
    for (const mode of ['old', 'new', 'weak'] as const) {
      const card = new VirtualNtag({ seed: 7 });
      card.poke(10, new Uint8Array([0x00, 0x00, 0x00, 0x00]));
      const { pn, nt } = rig(card);
      ok(pn.begin());
      ok(nt.detect());
      card.tearWrite(1, mode);
      expect(errorOf(nt.write(10, new Uint8Array([0xff, 0x0f, 0xf0, 0x55])))).toBe(CARD_GONE);
      card.place();
      ok(nt.detect());
      const reads = new Set<string>();
      for (let i = 0; i < 8; i++) reads.add(Array.from(ok(nt.read(10)).subarray(0, 4)).join(','));
      if (mode === 'old') expect([...reads]).toEqual(['0,0,0,0']);
      if (mode === 'new') expect([...reads]).toEqual(['255,15,240,85']);
      if (mode === 'weak') expect(reads.size).toBeGreaterThan(1);
      // a fresh WRITE heals the page
      expect(nt.write(10, new Uint8Array([1, 2, 3, 4]))).toBeNull();
      expect(Array.from(ok(nt.read(10)).subarray(0, 4))).toEqual([1, 2, 3, 4]);
    }
  });

  it('no PN532 on the bus → CARD_READER_FAULT (address not acknowledged, or mute chip)', () => {
    for (const mode of ['absent', 'mute'] as const) {
      const { pn, nt } = rig(new VirtualNtag(), mode);
      expect(errorOf(pn.begin())).toBe(CARD_READER_FAULT);
      expect(errorOf(nt.detect())).toBe(CARD_READER_FAULT);
      expect(errorOf(nt.read(4))).toBe(CARD_READER_FAULT);
    }
  });

  it('maps PN532 status codes onto the HAL words', () => {
    expect(mapStatus(0x00)).toBeNull();
    expect(mapStatus(0x01)!.error).toBe(CARD_GONE);
    expect(mapStatus(0x41)!.error).toBe(CARD_GONE); // MI bit set, code 0x01
    expect(mapStatus(0x2b)!.error).toBe(CARD_GONE);
    expect(mapStatus(0x14)!.error).toBe(CARD_NAK);
    expect(mapStatus(0x27)!.error).toBe(CARD_READER_FAULT);
  });

  it('RF field off resets the card: it must be detected again', () => {
    const card = new VirtualNtag();
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    expect(pn.rfOff()).toBeNull();
    expect(errorOf(nt.read(4))).toBe(CARD_GONE);
    ok(nt.detect());
    expect(ok(nt.read(4)).length).toBe(16);
  });

  it('polls with short steps: a READ costs no 10 ms sleep', () => {
    const card = new VirtualNtag();
    const { chip, pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    const t0 = chip.nowUs;
    ok(nt.read(4));
    // air ≈ 1.9 ms + PN532 0.3 ms + I2C ≈ 0.8 ms: well under one fixed 10 ms delay
    expect(chip.nowUs - t0).toBeLessThan(4000);
    expect(chip.nowUs - t0).toBeGreaterThan(1900);
  });

  it('InDataExchange (0x40) carries the same NTAG commands for target 1', () => {
    const card = new VirtualNtag();
    card.poke(4, pattern(4));
    const { pn } = rig(card);
    ok(pn.begin());
    const t = ok(pn.listPassiveTarget())!;
    const r = ok(pn.dataExchange(t.tg, new Uint8Array([0x30, 4]), 16));
    expect(Array.from(r.subarray(0, 4))).toEqual(Array.from(pattern(4)));
  });

  it('InRelease then a command: the card must be selected again', () => {
    const card = new VirtualNtag();
    const { pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    expect(pn.release()).toBeNull();
    expect(errorOf(nt.read(4))).toBe(CARD_GONE);
  });

  it('a response garbled on the I2C wire (bad DCS) → CARD_READER_FAULT, and the next command works', () => {
    const card = new VirtualNtag();
    const { chip, pn, nt } = rig(card);
    ok(pn.begin());
    ok(nt.detect());
    chip.corruptNext = true;
    const r = nt.read(4);
    expect(errorOf(r)).toBe(CARD_READER_FAULT);
    expect((r as CardFailure).detail).toContain('trame invalide');
    expect(ok(nt.read(4)).length).toBe(16);
  });
});
