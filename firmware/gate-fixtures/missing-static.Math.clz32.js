// Gate fixture: must FAIL with rule "missing-static".
var f = Math.clz32;
console.log(f);
