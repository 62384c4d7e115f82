// Gate fixture: must FAIL with rule "destructuring".
var o = [1, 2];
var [x, y] = o;
console.log(x + y);
