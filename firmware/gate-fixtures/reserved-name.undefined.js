/* eslint-disable -- gate fixture: deliberately outside the Espruino subset */
// Gate fixture: must FAIL with rule "reserved-name".
function f(undefined) {
  return undefined;
}
console.log(f(1));
