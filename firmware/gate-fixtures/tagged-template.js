// Gate fixture: must FAIL with rule "tagged-template".
function tag(s) {
  return s[0];
}
console.log(tag`x`);
