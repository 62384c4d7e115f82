// Gate fixture: must FAIL with rule "computed-key".
var k = 'm';
class A {
  [k]() {
    return 1;
  }
}
console.log(A);
