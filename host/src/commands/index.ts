// Every area registers its commands here (tresorerie, lecteur, carte, cles).
import { registerCarte } from './carte';
import { registerTresorerie } from './tresorerie';
import { registerLecteur } from './lecteur';

let registered = false;

export function registerAll(): void {
  if (registered) return;
  registered = true;
  registerCarte();
  registerTresorerie();
  registerLecteur();
}
