// Local names that shadow missing built-ins are fine.
function f(Map, Symbol) {
  return Map + Symbol;
}
var Set = 1;
console.log(f(1, 2) + Set);
