// Gate fixture: must FAIL with rule "missing-method".
Promise.resolve(1).finally(function () {
  console.log(1);
});
