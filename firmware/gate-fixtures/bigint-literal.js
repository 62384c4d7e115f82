// Gate fixture: must FAIL with rule "bigint-literal".
var a = 10n;
console.log(a);
