// Gate fixture: must FAIL with rule "missing-static".
var f = Math.imul;
console.log(f);
