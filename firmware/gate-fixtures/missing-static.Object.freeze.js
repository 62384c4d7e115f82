// Gate fixture: must FAIL with rule "missing-static".
var f = Object.freeze;
console.log(f);
