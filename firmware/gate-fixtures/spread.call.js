// Gate fixture: must FAIL with rule "spread".
var a = [1, 2];
console.log(Math.max(...a));
