// Gate fixture: must FAIL with rule "class-field".
class A {
  n = 3;
}
console.log(new A().n);
