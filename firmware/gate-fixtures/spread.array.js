// Gate fixture: must FAIL with rule "spread".
var a = [1, 2];
var b = [0, ...a];
console.log(b);
