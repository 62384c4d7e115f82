// Gate fixture: must FAIL with rule "optional-chaining".
var o = { f: null };
console.log(o.f?.());
