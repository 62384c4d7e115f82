// One lint configuration for the whole repository.
// protocol/src and firmware/src are bundled for Espruino, whose parser lacks many ES2015+ features
// (see ../shared/espruino/FACTS.md). The rules below reject those constructs at the source, before the
// firmware build's own subset gate checks the bundle.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const espruinoSubset = [
  { selector: 'SpreadElement', message: 'Espruino: no spread.' },
  { selector: 'RestElement', message: 'Espruino: no rest parameters or rest destructuring.' },
  { selector: 'ObjectPattern', message: 'Espruino: no destructuring.' },
  { selector: 'ArrayPattern', message: 'Espruino: no destructuring.' },
  { selector: 'AssignmentPattern', message: 'Espruino: no default parameters.' },
  { selector: 'ChainExpression', message: 'Espruino: no optional chaining.' },
  { selector: "BinaryExpression[operator='**']", message: 'Espruino: no ** (Math.pow is inexact).' },
  { selector: "AssignmentExpression[operator='**=']", message: 'Espruino: no **=.' },
  { selector: "AssignmentExpression[operator='||=']", message: 'Espruino: no ||=.' },
  { selector: "AssignmentExpression[operator='&&=']", message: 'Espruino: no &&=.' },
  { selector: "AssignmentExpression[operator='??=']", message: 'Espruino: no ??=.' },
  { selector: 'LabeledStatement', message: 'Espruino: no labels.' },
  { selector: 'TaggedTemplateExpression', message: 'Espruino: no tagged templates.' },
  { selector: 'Property[computed=true]', message: 'Espruino: no computed object keys.' },
  {
    selector:
      'FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]',
    message: 'Espruino: no async.',
  },
  {
    selector: 'FunctionDeclaration[generator=true], FunctionExpression[generator=true]',
    message: 'Espruino: no generators.',
  },
  { selector: 'PrivateIdentifier', message: 'Espruino: no #private.' },
  {
    selector:
      'NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Proxy|TextEncoder|TextDecoder|DataView)$/]',
    message: 'Espruino: built-in missing.',
  },
  { selector: 'CallExpression[callee.name=/^(Symbol|BigInt)$/]', message: 'Espruino: built-in missing.' },
  {
    selector:
      "MemberExpression[object.name='Math'][property.name=/^(imul|clz32|trunc|log2|sign|fround|hypot|cbrt)$/]",
    message: 'Espruino: Math function missing.',
  },
  {
    selector: 'MemberExpression[object.name=/^(Array|Uint8Array)$/][property.name=/^(from|of)$/]',
    message: 'Espruino: Array.from/of missing.',
  },
  {
    selector: "MemberExpression[object.name='Number'][property.name=/^(isInteger|isSafeInteger|EPSILON)$/]",
    message: 'Espruino: missing.',
  },
  {
    selector:
      "MemberExpression[object.name='Object'][property.name=/^(freeze|seal|entries|values|fromEntries|assign)$/]",
    message: 'Espruino: avoid (missing or unreliable).',
  },
  {
    selector:
      'MemberExpression[property.name=/^(at|codePointAt|padStart|padEnd|finally|allSettled|race|any)$/]',
    message: 'Espruino: missing method.',
  },
  {
    selector: 'SwitchStatement > SwitchCase[test=null]:not(:last-child)',
    message: 'Espruino: default must be the last case.',
  },
  { selector: "ClassDeclaration[superClass.name='Error']", message: 'Espruino: extends Error breaks.' },
  { selector: 'Identifier[name=/^(of|static)$/]', message: 'Espruino: reserved identifier.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'firmware/build/**',
      'firmware/native/build/**',
      'marche-demo/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        WebAssembly: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['protocol/src/**/*.ts', 'firmware/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'protocol/src/node/**'],
    rules: {
      'no-restricted-syntax': ['error', ...espruinoSubset],
      'no-use-before-define': ['error', { functions: false, classes: true, variables: true }],
    },
  },
);
