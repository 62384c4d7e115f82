// Gate fixture: must FAIL with rule "missing-static".
var f = Object.seal;
console.log(f);
