// The monthly report: one self-contained HTML file (inline CSS and SVG, no script, no external asset)
// that a treasurer can open offline, print or mail. French first. No names: cards appear only as counts,
// vendors by number; any figure computed from fewer than MIN_GROUP_MEMBERS cards is suppressed.

import { civilFromDays } from '../../../protocol/src/time';
import { Reconciliation } from './reconcile';

/**
 * Smallest number of distinct cards behind a figure shown in the report (statistical disclosure
 * control: below 5 a figure can point at one household's spending).
 */
export const MIN_GROUP_MEMBERS = 5;

const MONTHS_FR = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
];

export function monthNameFr(month: number): string {
  const y = 1970 + Math.floor(month / 12);
  return MONTHS_FR[month % 12] + ' ' + y;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "1 234,56 €" with a narrow no-break space between thousands. */
export function euros(c: number): string {
  const neg = c < 0;
  const a = Math.abs(c);
  const e = String(Math.floor(a / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return (neg ? '−' : '') + e + ',' + String(a % 100).padStart(2, '0') + '\u00a0€';
}

interface Bar {
  label: string;
  value: number;
  /** Number of distinct cards behind the value. */
  cards: number;
  text: string;
}

/** A horizontal bar chart in inline SVG; suppressed groups are drawn as a hatched note. */
function barChart(title: string, bars: Bar[], id: string): string {
  const rowH = 22;
  const labelW = 150;
  const barW = 360;
  const h = 30 + rowH * Math.max(1, bars.length);
  const max = Math.max(1, ...bars.filter((b) => b.cards >= MIN_GROUP_MEMBERS).map((b) => Math.abs(b.value)));
  const rows = bars
    .map((b, i) => {
      const y = 24 + i * rowH;
      if (b.cards < MIN_GROUP_MEMBERS) {
        return `<text x="0" y="${y + 14}" class="l">${esc(b.label)}</text><text x="${labelW}" y="${y + 14}" class="m">masqué (moins de ${MIN_GROUP_MEMBERS} membres)</text>`;
      }
      const w = Math.max(1, Math.round((Math.abs(b.value) / max) * barW));
      return `<text x="0" y="${y + 14}" class="l">${esc(b.label)}</text><rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" rx="2" class="b"/><text x="${labelW + w + 6}" y="${y + 14}" class="v">${esc(b.text)}</text>`;
    })
    .join('');
  return `<figure id="${id}"><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 120}" height="${h}" role="img" aria-label="${esc(title)}">${rows || '<text x="0" y="40" class="m">aucune opération</text>'}</svg></figure>`;
}

/** A column chart per day (amount) with the active-card count drawn as dots. */
function dayChart(rec: Reconciliation): string {
  const w = 620;
  const h = 200;
  const n = Math.max(1, rec.days.length);
  const colW = Math.floor((w - 40) / n);
  const shown = rec.days.filter((d) => d.cards >= MIN_GROUP_MEMBERS);
  const max = Math.max(1, ...shown.map((d) => d.net));
  const maxCards = Math.max(1, ...shown.map((d) => d.cards));
  let bars = '';
  rec.days.forEach((d, i) => {
    const x = 40 + i * colW;
    const c = civilFromDays(d.key);
    const label = `<text x="${x + colW / 2}" y="${h - 4}" class="t">${c.day}</text>`;
    if (d.cards < MIN_GROUP_MEMBERS) {
      bars +=
        `<rect x="${x + 2}" y="${h - 40}" width="${colW - 4}" height="20" class="s"><title>masqué (moins de ${MIN_GROUP_MEMBERS} membres)</title></rect>` +
        label;
      return;
    }
    const bh = Math.max(0, Math.round((d.net / max) * (h - 50)));
    const dotY = h - 20 - Math.round((d.cards / maxCards) * (h - 50));
    bars +=
      `<rect x="${x + 2}" y="${h - 20 - bh}" width="${colW - 4}" height="${bh}" class="b"><title>${c.day}/${c.month} : ${euros(d.net)}, ${d.cards} cartes</title></rect>` +
      `<circle cx="${x + colW / 2}" cy="${dotY}" r="3" class="d"/>` +
      label;
  });
  return `<figure id="graphe-jours"><figcaption>Dépenses par jour (barres) et cartes actives par jour (points, max. ${maxCards}) ; en gris : jour masqué (moins de ${MIN_GROUP_MEMBERS} membres)</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="Dépenses par jour">${bars}<line x1="38" y1="${h - 20}" x2="${w}" y2="${h - 20}" class="a"/></svg></figure>`;
}

const KIND_FR: Record<string, string> = {
  COPIE_DE_CARTE: 'Carte copiée',
  RETOUR_ARRIERE: 'Retour en arrière',
  EN_ATTENTE_SANS_SUITE: 'Vente en attente',
  ATTENTE_SUR_CARTE: 'Vente non validée sur la carte',
  LECTEUR_REVOQUE: 'Lecteur révoqué',
  HORS_CERTIFICAT: 'Hors certificat',
  ETAT_INCOHERENT: 'État incohérent',
  BON_INCONNU: 'Bon inconnu',
  CHAINE_CARTE_INCOMPLETE: 'Chaîne de carte incomplète',
  TROU: 'Relevés manquants',
  JOURNAL_REECRIT: 'Journal réécrit',
  FICHIER_REFUSE: 'Fichier refusé',
  ALERTE_LECTEUR: 'Alerte d’un lecteur',
};

export function reportHtml(
  rec: Reconciliation,
  categoryLabels: Map<number, string>,
  generatedAt: number,
): string {
  const fig = (id: string, label: string, cents: number, note = ''): string =>
    `<div class="k" id="${id}" data-cents="${cents}"><div class="kl">${esc(label)}</div><div class="kv">${euros(cents)}</div>${note ? `<div class="kn">${esc(note)}</div>` : ''}</div>`;
  const vendorBars: Bar[] = rec.vendors.map((v) => ({
    label: 'Commerçant n° ' + v.vendorId,
    value: v.payable,
    cards: v.cards,
    text: euros(v.payable),
  }));
  const catBars: Bar[] = rec.categories.map((c) => ({
    label: c.key < 0 ? 'Sans catégorie' : (categoryLabels.get(c.key) ?? 'Catégorie ' + c.key),
    value: c.net,
    cards: c.cards,
    text: euros(c.net),
  }));
  const vendorRows = rec.vendors
    .map((v) =>
      v.cards < MIN_GROUP_MEMBERS
        ? `<tr><td>n° ${v.vendorId}</td><td colspan="4" class="m">masqué (moins de ${MIN_GROUP_MEMBERS} membres) — voir le relevé du commerçant</td></tr>`
        : `<tr><td>n° ${v.vendorId}</td><td>${euros(v.sales)}</td><td>${euros(v.refunds)}</td><td>${euros(v.held)}</td><td data-cents="${v.payable}"><b>${euros(v.payable)}</b></td></tr>`,
    )
    .join('');
  const anomalyRows = rec.anomalies
    .map(
      (a) =>
        `<tr class="${a.held ? 'h' : ''}"><td>${esc(KIND_FR[a.kind] ?? a.kind)}</td><td>${esc(a.message)}</td><td>${a.held ? 'retenu' : '—'}</td><td>${a.confirmed ? 'confirmée' : 'à examiner'}</td><td><code>${esc(a.id.length > 40 ? a.id.slice(0, 40) + '…' : a.id)}</code></td></tr>`,
    )
    .join('');
  const ok = rec.balanced;
  const created = new Date(generatedAt * 1000).toISOString().slice(0, 16).replace('T', ' ');
  return `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Caisse commune — ${esc(monthNameFr(rec.month))}</title>
<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#1d2a1f;background:#fbfaf6;max-width:1000px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #cfd8c4;padding-bottom:4px}
.sub{color:#5b6b5e;margin:0 0 16px}.ks{display:flex;flex-wrap:wrap;gap:10px}
.k{background:#fff;border:1px solid #d9dfd0;border-radius:6px;padding:10px 14px;min-width:150px}
.kl{font-size:12px;color:#5b6b5e}.kv{font-size:20px;font-weight:bold}.kn{font-size:11px;color:#5b6b5e}
.eq{background:#fff;border-left:6px solid ${ok ? '#3c8d40' : '#b3261e'};padding:10px 14px;margin:14px 0;font-size:15px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}td,th{border:1px solid #d9dfd0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef2e8}tr.h td{background:#fff4e5}.m{fill:#7a7a7a;color:#7a7a7a;font-style:italic}
svg .b{fill:#4f7f52}svg .s{fill:#ddd}svg .d{fill:#c26a12}svg .a{stroke:#888}svg text{font-size:12px;fill:#1d2a1f}
svg .t{text-anchor:middle;font-size:10px}figure{margin:12px 0}figcaption{font-weight:bold;margin-bottom:4px}
.en{color:#5b6b5e;font-size:12px}
</style></head><body>
<h1>Rapport du mois de ${esc(monthNameFr(rec.month))}</h1>
<p class="sub">Caisse commune de l’alimentation — ${rec.closed ? 'mois clos' : 'mois NON clos : chiffres provisoires'} — établi le ${created} UTC.
<span class="en">Monthly report of the community food fund (${esc(rec.label)}).</span></p>
<div class="ks">
${fig('total-disponible', 'Allocations disponibles', rec.available, rec.cardsWithRights + ' cartes ayant des droits')}
${fig('total-depense', 'Dépensé', rec.debited, rec.activeCards + ' cartes actives')}
${fig('total-non-depense', 'Non dépensé', rec.unspent)}
${fig('total-depassement', 'Dépassement détecté', rec.overspend)}
${fig('total-a-payer', 'À payer aux commerçants', rec.payable)}
${fig('total-retenu', 'Retenu pour examen', rec.held)}
</div>
<div class="eq" id="conservation" data-ok="${ok}">
<b>Conservation ${ok ? '✔ équilibrée' : '✘ NON équilibrée'}</b><br>
Allocations disponibles ${euros(rec.available)} = dépensé ${euros(rec.debited)} + non dépensé ${euros(rec.unspent)} − dépassement détecté ${euros(rec.overspend)}<br>
Ventes validées ${euros(rec.committedSales)} − remboursements ${euros(rec.refunds)} = à payer ${euros(rec.payable)} + retenu ${euros(rec.held)}
</div>
<h2>Commerçants</h2>
${barChart('Montant à payer par commerçant', vendorBars, 'graphe-commercants')}
<table id="commercants"><tr><th>Commerçant</th><th>Ventes validées</th><th>Remboursements</th><th>Retenu</th><th>À payer</th></tr>${vendorRows}
<tr><th>Total</th><th>${euros(rec.committedSales)}</th><th>${euros(rec.refunds)}</th><th>${euros(rec.held)}</th><th data-cents="${rec.payable}">${euros(rec.payable)}</th></tr></table>
<h2>Catégories</h2>
${barChart('Dépenses par catégorie (part de la caisse)', catBars, 'graphe-categories')}
<h2>Jours</h2>
${dayChart(rec)}
<h2>Anomalies (${rec.anomalies.length})</h2>
${rec.anomalies.length === 0 ? '<p id="anomalies">Aucune anomalie.</p>' : `<table id="anomalies"><tr><th>Type</th><th>Constat et preuve</th><th>Paiement</th><th>Statut</th><th>Référence</th></tr>${anomalyRows}</table>`}
<p class="en">Les figures calculées sur moins de ${MIN_GROUP_MEMBERS} cartes sont masquées. Aucun nom ne figure dans ce rapport : les cartes sont des pseudonymes, les commerçants des numéros.</p>
</body></html>
`;
}
