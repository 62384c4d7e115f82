// Gate fixture: must FAIL with rule "missing-global".
var v = Symbol(1);
console.log(v);
