// Gate fixture: must FAIL with rule "missing-global".
var v = new DataView(new ArrayBuffer(4));
console.log(v);
