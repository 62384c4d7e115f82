// Every area registers its commands here (tresorerie, lecteur, carte, cles).

let registered = false;

export function registerAll(): void {
  if (registered) return;
  registered = true;
}
