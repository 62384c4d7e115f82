// Gate fixture: must FAIL with rule "esbuild-helper".
var __defProp = Object.defineProperty;
var __export = function (target, all) {
  for (var name in all) __defProp(target, name, { get: all[name], enumerable: true });
};
var ns = {};
__export(ns, {
  a: function () {
    return 1;
  },
});
console.log(ns);
