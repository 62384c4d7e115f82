// Gate fixture: must FAIL with rule "meta-property".
function F() {
  return new.target === F;
}
console.log(new F());
