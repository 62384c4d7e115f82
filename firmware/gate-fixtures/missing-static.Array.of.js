// Gate fixture: must FAIL with rule "missing-static".
var f = Array.of;
console.log(f);
