// Gate fixture: must FAIL with rule "missing-static".
var f = Array.from;
console.log(f);
