// Gate fixture: must FAIL with rule "use-before-declaration".
var A = class {
  constructor() {
    this.v = helper();
  }
};
var a = new A();
function helper() {
  return 1;
}
console.log(a.v);
