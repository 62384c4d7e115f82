// Gate fixture: must FAIL with rule "regexp-flag".
var r = /a.b/s;
console.log(r.test('a\nb'));
