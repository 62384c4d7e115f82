// Gate fixture: must FAIL with rule "loop-closure".
var fns = [];
for (let i = 0; i < 3; i++) {
  fns.push(function () {
    return { i };
  });
}
console.log(fns);
