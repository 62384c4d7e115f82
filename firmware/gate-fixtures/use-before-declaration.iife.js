// Gate fixture: must FAIL with rule "use-before-declaration".
(function () {
  start();
  function start() {
    console.log(1);
  }
})();
