// Gate fixture: must FAIL with rule "use-before-declaration".
function a() {
  return b();
}
a();
function b() {
  return 1;
}
