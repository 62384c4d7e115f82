// Gate fixture: must FAIL with rule "private-name".
class A {
  #m() {
    return 1;
  }
  run() {
    return this.#m();
  }
}
console.log(new A().run());
