// Gate fixture: must FAIL with rule "missing-static".
var f = Promise.allSettled;
console.log(f);
