// Gate fixture: must FAIL with rule "missing-global".
var v = new WeakMap();
console.log(v);
