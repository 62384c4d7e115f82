// Gate fixture: must FAIL with rule "destructuring".
function f({ a }) {
  return a;
}
console.log(f({ a: 1 }));
