// Smoke test of the simulator: a reader provisioned through its serial service sells once.
import { describe, expect, it } from 'vitest';
import { memberCard, provisionedReader } from './fund';

describe('simulated sale', () => {
  it('provisions through the service, sells, prints a French receipt', () => {
    const p = provisionedReader('sale-1');
    const sim = p.sim;
    expect(sim.reader.core.notReady()).toEqual([]);
    const card = memberCard();
    sim.keys('1250#');
    expect(sim.screen()[0]).toBe('Catégorie ?');
    sim.keys('1');
    expect(sim.screen()[0]).toBe('Présentez la carte');
    sim.tap(card);
    expect(sim.screen()).toEqual(['Paiement accepté', '12,50 €', 'solde 52,50 €']);
    expect(sim.reader.lastReceipt()![0]).toBe('Ferme des Prés');
    expect(sim.lastPrintedText()).toContain('Reste à payer             0,00 €');
  });
});
