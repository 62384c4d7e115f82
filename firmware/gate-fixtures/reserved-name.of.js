// Gate fixture: must FAIL with rule "reserved-name".
var of = 1;
console.log(of);
