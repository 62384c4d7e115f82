// Gate fixture: must FAIL with rule "missing-method".
var a = new Uint8Array(2);
console.log(a.at(-1));
