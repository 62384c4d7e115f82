// Gate fixture: must FAIL with rule "missing-static".
var f = Math.log2;
console.log(f);
