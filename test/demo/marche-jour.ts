// `npm run marche`: a whole simulated market day (issue 9 §1) — fund and keys, member cards, three readers
// provisioned over serial links, sales, refund, torn write, rollback attempt, cloned card, day close, log
// pulls, ledger, reconciliation, HTML report, SEPA file, vendor CSV — told in French (English with
// `--lang en` or CARNET_LANG=en), written into ./marche-demo/. Exit code 0 only when the books balance to
// the cent and the expected anomalies were found (test/demo/day/day.ts says how that is checked).
//
// Options: --port PATH   use the real reader on PATH as reader n° 1 (else one is looked for, ≤ 2 s)
//          --simule      all readers simulated, no search for a real one
//          --sortie DIR  output folder (default ./marche-demo; only a folder made by this demo is emptied)
//          --liaison pty|memoire   how simulated readers are linked (default: pty when socat is installed)
//          --lang en     English narrative (the readers' screens and receipts stay French)
// Exit codes: 0 books balanced and anomalies found, 1 a check failed (listed), 64 bad option, 70 the day
// could not run (message given).

import { runMarketDay } from './day/day';
import { stopAllLinks } from './day/links';
import { Lang, tr } from './day/text';

interface Args {
  lang: Lang;
  port: string | null;
  out: string;
  detect: boolean;
  link: 'auto' | 'pty' | 'memoire';
}

function parse(argv: string[]): Args | string {
  const a: Args = {
    lang: process.env.CARNET_LANG === 'en' ? 'en' : 'fr',
    port: null,
    out: 'marche-demo',
    detect: true,
    link: 'auto',
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const value = (): string | null => (i + 1 < argv.length ? argv[++i] : null);
    if (k === '--lang') {
      const v = value();
      if (v !== 'fr' && v !== 'en') return '--lang fr|en';
      a.lang = v;
    } else if (k === '--port') {
      const v = value();
      if (v === null) return '--port /dev/ttyACM0';
      a.port = v;
    } else if (k === '--sortie' || k === '--out') {
      const v = value();
      if (v === null) return '--sortie DOSSIER';
      a.out = v;
    } else if (k === '--aide' || k === '--help') return '';
    else if (k === '--simule' || k === '--simulated') a.detect = false;
    else if (k === '--liaison' || k === '--link') {
      const v = value();
      if (v !== 'pty' && v !== 'memoire') return '--liaison pty|memoire';
      a.link = v;
    } else return k;
  }
  return a;
}

async function main(): Promise<number> {
  const a = parse(process.argv.slice(2));
  if (typeof a === 'string') {
    if (a !== '') console.error('marche : option inconnue ou incomplète : ' + a);
    (a === '' ? console.log : console.error)(
      'usage : npm run marche -- [--lang en] [--port CHEMIN] [--simule] [--sortie DOSSIER] [--liaison pty|memoire]',
    );
    return a === '' ? 0 : 64; // EX_USAGE (sysexits.h), as the carnet CLI
  }
  console.log(
    tr(
      a.lang,
      'carnet — une journée de marché simulée, de la création de la caisse au virement des commerçants\n',
      'carnet — a simulated market day, from creating the fund to paying the vendors\n',
    ),
  );
  try {
    const r = await runMarketDay({
      out: a.out,
      lang: a.lang,
      port: a.port,
      detect: a.detect && a.port === null,
      link: a.link,
      print: (l) => console.log(l),
    });
    return r.ok ? 0 : 1;
  } catch (e) {
    console.error(
      '\n' +
        tr(a.lang, 'marche : échec : ', 'marche: failed: ') +
        (e instanceof Error ? e.message : String(e)),
    );
    if (process.env.CARNET_DEBUG && e instanceof Error) console.error(e.stack);
    return 70; // EX_SOFTWARE
  }
}

// Interrupted (Ctrl-C, or the output closed as by `| head`): the simulated readers' socat processes are
// stopped before leaving.
let leaving = false;
function leave(code: number): void {
  if (leaving) return;
  leaving = true;
  void stopAllLinks().finally(() => process.exit(code));
}
process.once('SIGINT', () => leave(130));
process.once('SIGTERM', () => leave(143));
process.stdout.on('error', () => leave(1));

main().then((code) => {
  // Serial ports and timers of the simulated readers are closed; exit at once with the verdict (unless an
  // interruption is already stopping the links: it exits when they are down).
  if (!leaving) process.exit(code);
});
