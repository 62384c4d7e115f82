/* eslint-disable -- gate fixture: deliberately outside the Espruino subset */
// Gate fixture: must FAIL with rule "missing-global".
var v = new TextDecoder();
console.log(v);
