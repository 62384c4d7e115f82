// Gate fixture: must FAIL with rule "missing-static".
var f = Number.EPSILON;
console.log(f);
