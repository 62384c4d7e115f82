// Gate fixture: must FAIL with rule "extends-error".
class Bad extends TypeError {}
console.log(Bad);
