// The first-boot checklist's self-test (hardware/README.md): SELF_TEST over the serial link answers a
// report and prints the self-test receipt, whose accents and € show whether the code page is right.

import { describe, it, expect } from 'vitest';
import { provisionedReader } from './fund';
import { MSG_SELF_TEST, MSG_SELF_TEST_REPORT } from '../../protocol/src/messages';

describe('self-test', () => {
  it('answers a report and prints the self-test receipt', () => {
    const p = provisionedReader('selftest');
    const before = p.sim.printed.length;
    const r = p.host.request(MSG_SELF_TEST, []);
    expect(r.type).toBe(MSG_SELF_TEST_REPORT);
    if (r.type !== MSG_SELF_TEST_REPORT) return;
    const names = r.entries.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining(['nfc', 'printer', 'storage', 'ed25519', 'sha256', 'log', 'keys']),
    );
    expect(r.entries.find((e) => e.name === 'ed25519')?.ok).toBe(true);
    expect(p.sim.printed.length).toBe(before + 1);
    const text = p.sim.lastPrintedText();
    expect(text).toContain('AUTOTEST DU LECTEUR');
    expect(text).toContain('é è à ç');
    expect(text).toContain('€');
    expect(text).toContain('101');
  });

  it('prints nothing when no printer answers, and says so in the report', () => {
    const p = provisionedReader('selftest-noprinter');
    p.sim.printerPresent = false;
    const before = p.sim.printed.length;
    const r = p.host.request(MSG_SELF_TEST, []);
    if (r.type !== MSG_SELF_TEST_REPORT) throw new Error('no report');
    expect(r.entries.find((e) => e.name === 'printer')).toMatchObject({ ok: false });
    expect(p.sim.printed.length).toBe(before);
  });
});
