// The HTML report rendered in headless Chromium (Debian chromium + playwright-core): its totals are the
// reconciliation's, it loads nothing from outside, and a screenshot goes to test-artifacts/.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../host/src/ledger/ledger';
import { reconcile, Reconciliation } from '../../host/src/ledger/reconcile';
import { MIN_GROUP_MEMBERS, reportHtml } from '../../host/src/ledger/report';
import { parseVendors } from '../../host/src/ledger/outputs';
import { generateMarket } from './generate';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const artifacts = path.join(repoRoot, 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

async function month(): Promise<{ rec: Reconciliation; html: string }> {
  const m = generateMarket({
    seed: 5,
    readers: 4,
    cards: 60,
    days: 20,
    taps: 10,
    exportsPerReader: 2,
    clones: 1,
    rollbacks: 1,
    pendingNoCommit: 1,
    revokeFirstReader: true,
  });
  const l = await Ledger.open(':memory:');
  await l.loadFund(m.fundBytes);
  for (const files of m.exports) for (const f of files) await l.importLog(f);
  const rec = await reconcile(l, m.month, m.after);
  await l.close();
  const v = parseVendors(m.vendorsJson);
  if (!v.ok) throw new Error(v.message);
  return { rec, html: reportHtml(rec, v.value.categories, m.after) };
}

describe('rapport HTML', () => {
  it('renders in headless Chromium with the reconciliation totals, offline, and a screenshot', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        'Chromium introuvable (' +
          CHROMIUM +
          ') : installez le paquet Debian « chromium ». Chromium missing: cannot render the report.',
      );
    }
    const { rec, html } = await month();
    mkdirSync(artifacts, { recursive: true });
    const file = path.join(artifacts, 'rapport-' + rec.label + '.html');
    writeFileSync(file, html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1050, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto('file://' + file);
      const cents = async (sel: string): Promise<number> =>
        Number(await page.getAttribute(sel, 'data-cents'));
      expect(await cents('#total-a-payer')).toBe(rec.payable);
      expect(await cents('#total-disponible')).toBe(rec.available);
      expect(await cents('#total-depense')).toBe(rec.debited);
      expect(await cents('#total-depassement')).toBe(rec.overspend);
      expect(await cents('#total-retenu')).toBe(rec.held);
      // What a person reads, not only the attributes: the French amount on screen.
      const shown = (await page.textContent('#total-a-payer .kv')) ?? '';
      expect(shown.replace(/[\s\u202f\u00a0]/g, '')).toBe(
        String(Math.floor(rec.payable / 100)) + ',' + String(rec.payable % 100).padStart(2, '0') + '€',
      );
      expect(await page.getAttribute('#conservation', 'data-ok')).toBe('true');
      expect(await page.locator('#anomalies tr').count()).toBe(rec.anomalies.length + 1);
      expect(await page.locator('svg').count()).toBe(3);
      expect(await page.locator('#graphe-jours rect.b').count()).toBe(
        rec.days.filter((d) => d.cards >= MIN_GROUP_MEMBERS).length,
      );
      expect(requests).toEqual(['file://' + file]);
      await page.screenshot({ path: path.join(artifacts, 'rapport-tresorerie.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('suppresses groups of fewer than 5 cards and names no one', async () => {
    const { rec } = await month();
    const small: Reconciliation = Object.assign({}, rec, {
      vendors: rec.vendors.map((v, i) =>
        i === 0 ? Object.assign({}, v, { cards: MIN_GROUP_MEMBERS - 1, payable: 123457 }) : v,
      ),
      categories: rec.categories.map((c, i) =>
        i === 0 ? Object.assign({}, c, { cards: MIN_GROUP_MEMBERS - 1, net: 98765 }) : c,
      ),
    });
    const html = reportHtml(small, new Map([[1, 'Fruits et légumes']]), 0);
    expect(html).toContain('masqué (moins de 5 membres)');
    // Exactly MIN_GROUP_MEMBERS cards: shown.
    const five: Reconciliation = Object.assign({}, rec, {
      vendors: rec.vendors.map((v, i) =>
        i === 0 ? Object.assign({}, v, { cards: MIN_GROUP_MEMBERS, payable: 123457 }) : v,
      ),
    });
    expect(reportHtml(five, new Map(), 0)).toContain('1\u202f234,57');
    expect(html).not.toContain('1\u202f234,57');
    expect(html).not.toContain('987,65');
    // No external asset, no script.
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    // No pseudonym either (they would identify a card).
    for (const a of rec.anomalies) if (a.pseudonym) expect(html).not.toContain(a.pseudonym);
  });
});
