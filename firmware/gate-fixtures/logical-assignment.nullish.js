// Gate fixture: must FAIL with rule "logical-assignment".
var a = null;
a ??= 3;
console.log(a);
