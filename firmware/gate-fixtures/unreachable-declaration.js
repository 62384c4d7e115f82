// Gate fixture: must FAIL with rule "unreachable-declaration".
function outer() {
  return function () {
    return inner();
  };
  function inner() {
    return 1;
  }
}
console.log(outer()());
