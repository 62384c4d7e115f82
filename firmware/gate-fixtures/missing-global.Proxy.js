// Gate fixture: must FAIL with rule "missing-global".
var v = new Proxy({}, {});
console.log(v);
