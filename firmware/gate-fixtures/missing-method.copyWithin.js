// Gate fixture: must FAIL with rule "missing-method".
var a = new Uint8Array(4);
a.copyWithin(0, 2);
