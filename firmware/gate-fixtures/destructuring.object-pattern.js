// Gate fixture: must FAIL with rule "destructuring".
var o = { a: 1 };
let { a } = o;
console.log(a);
