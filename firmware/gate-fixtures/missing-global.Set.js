// Gate fixture: must FAIL with rule "missing-global".
var v = new Set();
console.log(v);
