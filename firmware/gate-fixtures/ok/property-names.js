// Property names that look like forbidden names are fine.
var o = { of: 1, static: 2, at: 3, Map: 4 };
console.log(o.of + o.static + o.at + o.Map, undefined);
var s = 'abc';
console.log(s.lastIndexOf('c'), [1, 2].lastIndexOf(2));
