// Gate fixture: must FAIL with rule "logical-assignment".
var a = 1;
a &&= 2;
console.log(a);
