// Gate fixture: must FAIL with rule "optional-chaining".
var o = null;
console.log(o?.[0]);
