// Gate fixture: must FAIL with rule "loop-closure".
var fns = [];
for (const x of [1, 2]) fns.push(() => x);
console.log(fns);
