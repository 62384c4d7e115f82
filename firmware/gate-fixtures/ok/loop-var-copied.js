// A loop value passed to a function parameter is copied: no shared binding.
var fns = [];
function make(v) {
  return function () {
    return v;
  };
}
for (let i = 0; i < 3; i++) fns.push(make(i));
for (var j = 0; j < 3; j++)
  fns.push(function () {
    return 0;
  });
console.log(fns.length);
