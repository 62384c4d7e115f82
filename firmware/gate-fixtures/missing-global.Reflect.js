// Gate fixture: must FAIL with rule "missing-global".
console.log(Reflect.ownKeys({}));
