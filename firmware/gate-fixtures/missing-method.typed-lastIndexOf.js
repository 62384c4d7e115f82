// Gate fixture: must FAIL with rule "missing-method".
const u = new Uint8Array(4);
console.log(u.lastIndexOf(0));
