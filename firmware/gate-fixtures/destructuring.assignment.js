// Gate fixture: must FAIL with rule "destructuring".
var x, y;
[x, y] = [1, 2];
console.log(x, y);
