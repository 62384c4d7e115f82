// Gate fixture: must FAIL with rule "missing-global".
var v = new Map();
console.log(v);
