// Gate fixture: must FAIL with rule "use-before-declaration".
function each(list, f) {
  for (var i = 0; i < list.length; i++) f(list[i]);
}
function show(x) {
  console.log(fmt(x));
}
each([1], show);
function fmt(x) {
  return String(x);
}
