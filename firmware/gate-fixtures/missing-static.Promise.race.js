// Gate fixture: must FAIL with rule "missing-static".
var f = Promise.race;
console.log(f);
