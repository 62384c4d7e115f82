// Gate fixture: must FAIL with rule "missing-global".
var v = new RangeError();
console.log(v);
