// Gate fixture: must FAIL with rule "class-field".
class A {
  items;
  constructor() {
    this.items = [];
  }
}
console.log(new A());
