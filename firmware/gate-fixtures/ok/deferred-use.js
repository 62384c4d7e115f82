// A later declaration used only from a deferred callback or a function body.
setTimeout(function () {
  tick();
}, 10);
function start() {
  return later();
}
function later() {
  return 1;
}
function tick() {
  console.log(start());
}
