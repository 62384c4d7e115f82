// Gate fixture: must FAIL with rule "missing-global".
var v = BigInt(1);
console.log(v);
