// Gate fixture: must FAIL with rule "spread".
var a = { x: 1 };
var b = { ...a, y: 2 };
console.log(b);
