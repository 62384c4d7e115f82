// Gate fixture: must FAIL with rule "async".
var f = async () => 1;
console.log(f);
