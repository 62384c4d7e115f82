// Gate fixture: must FAIL with rule "use-before-declaration".
setTimeout(tick, 10);
function tick() {
  console.log(1);
}
