// Gate fixture: must FAIL with rule "reserved-name".
var let = 1;
console.log(let);
