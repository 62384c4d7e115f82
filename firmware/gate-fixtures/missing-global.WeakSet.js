// Gate fixture: must FAIL with rule "missing-global".
var v = new WeakSet();
console.log(v);
