// Gate fixture: must FAIL with rule "rest-param".
function f(a, ...more) {
  return a + more.length;
}
console.log(f(1, 2));
