// Gate fixture: must FAIL with rule "generator".
function* g() {
  yield 1;
}
console.log(g);
