// Gate fixture: must FAIL with rule "missing-method".
console.log('x'.codePointAt(0));
