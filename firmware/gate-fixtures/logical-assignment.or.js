// Gate fixture: must FAIL with rule "logical-assignment".
var a = 0;
a ||= 1;
console.log(a);
