// Gate fixture: must FAIL with rule "missing-static".
var f = Number.isSafeInteger;
console.log(f);
