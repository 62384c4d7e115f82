// Gate fixture: must FAIL with rule "missing-static".
var f = Uint8Array.from;
console.log(f);
