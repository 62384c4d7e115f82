// Gate fixture: must FAIL with rule "class-static-block".
class A {
  static {
    this.z = 4;
  }
}
console.log(A.z);
