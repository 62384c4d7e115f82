// Gate fixture: must FAIL with rule "extends-expression".
function mixin(B) {
  return B;
}
class Base {}
class A extends mixin(Base) {}
console.log(A);
