// Gate fixture: must FAIL with rule "destructuring".
var rows = [[1, 2]];
for (const [k, v] of rows) console.log(k, v);
