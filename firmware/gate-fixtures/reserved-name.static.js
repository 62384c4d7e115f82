// Gate fixture: must FAIL with rule "reserved-name".
function f(static) {
  return static;
}
console.log(f(1));
