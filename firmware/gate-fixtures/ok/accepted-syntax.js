// Syntax Espruino accepts (FACTS.md).
class A {
  constructor() {
    this.x = 1;
  }
  static y() {
    return 2;
  }
  get z() {
    return this.x;
  }
}
class B extends A {
  constructor() {
    super();
  }
}
const o = {
  a: 1,
  m() {
    return 1;
  },
};
for (const c of 'ab') console.log(c);
for (const k in o) console.log(k);
console.log(new B().z ?? 0, `t${o.a}`, 0b11, 0o7, Math.max(1, 2), /x/gi);
try {
  JSON.parse('{');
} catch {
  console.log('e');
}
switch (o.a) {
  case 1:
    break;
  default:
    break;
}
