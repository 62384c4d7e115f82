// The virtual PN532 at frame level (what any host driver sees on the wire) and the virtual NTAG's memory
// map and command rules, independent of carnet's own drivers.
import { describe, expect, it } from 'vitest';
import { ACK_FRAME, Pn532FrameParser, buildCommandFrame } from '../../firmware/src/drivers/pn532/frame';
import { VirtualNtag, DEFAULT_UID, ACK, NAK_INVALID_ARGUMENT } from './virtual-ntag';
import { VirtualPn532 } from './virtual-pn532';

function hex(u: Uint8Array | number[]): string {
  return Array.prototype.map.call(u, (b: number) => (b < 16 ? '0' : '') + b.toString(16)).join(' ');
}

/** Waits for IRQ like a host would, then reads `n` bytes (status byte first). */
function readWhenReady(chip: VirtualPn532, n: number): Uint8Array {
  for (let i = 0; i < 100000 && !chip.irq(); i++);
  return chip.read(n);
}

describe('virtual PN532, frame level', () => {
  it('answers GetFirmwareVersion with ACK then the response frame, status byte first', () => {
    const chip = new VirtualPn532(null);
    const t0 = chip.nowUs;
    chip.write(buildCommandFrame(0x02, new Uint8Array(0)));
    expect(chip.nowUs - t0).toBeCloseTo(((9 + 1) * 9 + 2) * 2.5, 6); // 9 bytes at 400 kHz
    expect(chip.read(7)[0]).toBe(0x00); // not ready yet: status 0
    const ack = readWhenReady(chip, 7);
    expect(hex(ack)).toBe('01 ' + hex(ACK_FRAME));
    const resp = readWhenReady(chip, 14);
    expect(hex(resp)).toBe('01 00 00 ff 06 fa d5 03 32 01 06 07 e8 00');
  });

  it('ignores a frame with a bad checksum (no ACK) and answers unknown commands with the error frame', () => {
    const chip = new VirtualPn532(null);
    const bad = buildCommandFrame(0x02, new Uint8Array(0));
    bad[7] ^= 1;
    chip.write(bad);
    expect(chip.irq()).toBe(false);
    chip.advance(50000);
    expect(chip.irq()).toBe(false);
    chip.write(buildCommandFrame(0x7e, new Uint8Array(0)));
    readWhenReady(chip, 7);
    const err = readWhenReady(chip, 9);
    expect(hex(err.subarray(1))).toBe('00 00 ff 01 ff 7f 81 00');
  });

  it('an ACK from the host aborts the pending answer (UM0701 §6.2.1.3)', () => {
    const chip = new VirtualPn532(new VirtualNtag());
    chip.write(buildCommandFrame(0x4a, new Uint8Array([1, 0])));
    chip.write(new Uint8Array(ACK_FRAME));
    chip.advance(100000);
    expect(chip.irq()).toBe(false);
  });

  it('InListPassiveTarget: NbTg 1 with SENS_RES 0044, SEL_RES 00 and the 7-byte UID; NbTg 0 without card', () => {
    const card = new VirtualNtag();
    const chip = new VirtualPn532(card);
    chip.write(buildCommandFrame(0x4a, new Uint8Array([1, 0])));
    readWhenReady(chip, 7);
    const r = readWhenReady(chip, 30);
    const f = new Pn532FrameParser().push(r.subarray(1))[0];
    expect(hex(f.body)).toBe('d5 4b 01 01 00 44 00 07 ' + hex(DEFAULT_UID));
    card.remove();
    chip.write(buildCommandFrame(0x4a, new Uint8Array([1, 0])));
    readWhenReady(chip, 7);
    const f2 = new Pn532FrameParser().push(readWhenReady(chip, 30).subarray(1))[0];
    expect(hex(f2.body)).toBe('d5 4b 00');
  });

  it('InCommunicateThru: data with status 00, status 01 (timeout) after the RF timeout when the card is gone', () => {
    const card = new VirtualNtag();
    const chip = new VirtualPn532(card);
    card.select();
    chip.write(buildCommandFrame(0x42, new Uint8Array([0x60])));
    readWhenReady(chip, 7);
    let f = new Pn532FrameParser().push(readWhenReady(chip, 30).subarray(1))[0];
    expect(hex(f.body)).toBe('d5 43 00 00 04 04 02 01 00 11 03');
    card.remove();
    const t0 = chip.nowUs;
    chip.write(buildCommandFrame(0x42, new Uint8Array([0x30, 4])));
    readWhenReady(chip, 7);
    f = new Pn532FrameParser().push(readWhenReady(chip, 30).subarray(1))[0];
    expect(hex(f.body)).toBe('d5 43 01');
    expect(chip.nowUs - t0).toBeGreaterThan(chip.retryTimeoutUs);
  });

  it('throws like Espruino I2C when absent; stays silent when mute', () => {
    expect(() => new VirtualPn532(null, 'absent').write(new Uint8Array([0]))).toThrow();
    const mute = new VirtualPn532(null, 'mute');
    mute.write(buildCommandFrame(0x02, new Uint8Array(0)));
    mute.advance(1e6);
    expect(mute.irq()).toBe(false);
    expect(mute.read(7)[0]).toBe(0);
  });
});

describe('virtual NTAG21x memory and commands (datasheet §8.5, §10)', () => {
  it('has the page map of NTAG215 and NTAG216: UID/BCC, CC, config pages, PWD reads 00', () => {
    for (const [type, pages, cc, size] of [
      ['NTAG215', 135, 0x3e, 0x11],
      ['NTAG216', 231, 0x6d, 0x13],
    ] as const) {
      const t = new VirtualNtag({ type });
      expect(t.pages).toBe(pages);
      expect(t.version()[6]).toBe(size);
      const u = t.uid;
      expect(hex(t.peek(0, 3))).toBe(
        hex([
          u[0],
          u[1],
          u[2],
          0x88 ^ u[0] ^ u[1] ^ u[2],
          u[3],
          u[4],
          u[5],
          u[6],
          u[3] ^ u[4] ^ u[5] ^ u[6],
          0x48,
          0,
          0,
        ]),
      );
      expect(hex(t.peek(3, 1))).toBe(hex([0xe1, 0x10, cc, 0x00]));
      const cfg0 = t.lastUserPage + 2;
      expect(t.peek(cfg0, 1)[3]).toBe(0xff); // AUTH0 = FF: no password protection
      t.select();
      const pwd = t.transceive(new Uint8Array([0x3a, cfg0 + 2, cfg0 + 3]))!;
      expect(hex(pwd)).toBe(hex(new Array(8).fill(0))); // PWD and PACK read as 00
    }
  });

  it('READ wraps, FAST_READ checks its range, WRITE only user pages, NAK sends the tag to IDLE', () => {
    const t = new VirtualNtag();
    t.select();
    const r = t.transceive(new Uint8Array([0x30, t.pages - 2]))!;
    expect(hex(r.subarray(8, 16))).toBe(hex(t.peek(0, 2)));
    expect(hex(t.transceive(new Uint8Array([0x3a, 5, 4]))!)).toBe(hex([NAK_INVALID_ARGUMENT]));
    expect(t.transceive(new Uint8Array([0x30, 4]))).toBeNull(); // IDLE after the NAK
    t.select();
    expect(hex(t.transceive(new Uint8Array([0xa2, 4, 1, 2, 3, 4]))!)).toBe(hex([ACK]));
    for (const p of [0, 2, 3, t.lastUserPage + 1, t.lastUserPage + 2]) {
      t.select();
      expect(hex(t.transceive(new Uint8Array([0xa2, p, 0, 0, 0, 0]))!)).toBe(hex([NAK_INVALID_ARGUMENT]));
    }
    t.select();
    expect(t.transceive(new Uint8Array([0x3a, t.lastUserPage, t.lastUserPage + 1]))!.length).toBe(8);
    expect(hex(t.peek(4, 1))).toBe('01 02 03 04');
    expect(t.writes).toBe(1);
  });

  it('tears the Nth write from now, and only that one', () => {
    const t = new VirtualNtag();
    t.select();
    t.tearWrite(3, 'new');
    expect(t.transceive(new Uint8Array([0xa2, 4, 1, 1, 1, 1]))).not.toBeNull();
    expect(t.transceive(new Uint8Array([0xa2, 5, 2, 2, 2, 2]))).not.toBeNull();
    expect(t.transceive(new Uint8Array([0xa2, 6, 3, 3, 3, 3]))).toBeNull();
    expect(t.present).toBe(false);
    expect(hex(t.peek(6, 1))).toBe('03 03 03 03');
    t.place();
    t.select();
    expect(t.transceive(new Uint8Array([0xa2, 7, 4, 4, 4, 4]))).not.toBeNull();
  });

  it('READ_SIG: the signature, or 32 zero bytes when absent', () => {
    const a = new VirtualNtag();
    a.select();
    expect(a.transceive(new Uint8Array([0x3c, 0]))!.some((b) => b !== 0)).toBe(true);
    const b = new VirtualNtag({ signature: null });
    b.select();
    expect(b.transceive(new Uint8Array([0x3c, 0]))!.every((x) => x === 0)).toBe(true);
  });
});
