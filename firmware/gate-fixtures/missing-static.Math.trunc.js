// Gate fixture: must FAIL with rule "missing-static".
var f = Math.trunc;
console.log(f);
