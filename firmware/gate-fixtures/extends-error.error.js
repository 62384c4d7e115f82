// Gate fixture: must FAIL with rule "extends-error".
class CardError extends Error {
  constructor(m) {
    super(m);
  }
}
console.log(new CardError('x'));
