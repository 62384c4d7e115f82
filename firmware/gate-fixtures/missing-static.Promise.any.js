// Gate fixture: must FAIL with rule "missing-static".
var f = Promise.any;
console.log(f);
