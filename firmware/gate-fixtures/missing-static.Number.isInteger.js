// Gate fixture: must FAIL with rule "missing-static".
var f = Number.isInteger;
console.log(f);
