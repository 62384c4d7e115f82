// Gate fixture: must FAIL with rule "computed-key".
var k = 'a';
var o = { [k]: 1 };
console.log(o);
