// Gate fixture: must FAIL with rule "loop-closure".
var fns = [];
var o = { a: 1 };
for (let k in o)
  setTimeout(function () {
    console.log(k);
  }, 0);
console.log(fns);
