// Gate fixture: must FAIL with rule "default-param".
function f(a, b = 2) {
  return a + b;
}
console.log(f(1));
