// Gate fixture: must FAIL with rule "use-before-declaration".
(() => {
  var x = (function () {
    return g();
  })();
  function g() {
    return 1;
  }
  console.log(x);
})();
