// Gate fixture: must FAIL with rule "async".
async function f() {
  return 1;
}
console.log(f);
