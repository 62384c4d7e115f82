// Functions declared before the code that runs them.
function b() {
  return 1;
}
function a() {
  return b() + c();
}
function c() {
  return 2;
}
console.log(a());
