// Gate fixture: must FAIL with rule "exponent".
var a = 2;
a **= 3;
console.log(a);
