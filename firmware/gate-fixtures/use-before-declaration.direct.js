// Gate fixture: must FAIL with rule "use-before-declaration".
f();
function f() {
  console.log(1);
}
