// Gate fixture: must FAIL with rule "exponent".
var a = 2 ** 10;
console.log(a);
