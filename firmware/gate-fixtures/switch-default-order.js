// Gate fixture: must FAIL with rule "switch-default-order".
var k = 1;
switch (k) {
  default:
    console.log('d');
    break;
  case 1:
    console.log('1');
}
