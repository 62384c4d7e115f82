// Gate fixture: must FAIL with rule "class-field".
class A {
  static z = 4;
}
console.log(A.z);
