// The Espruino subset gate (issue 4, "Build" §6): parses the BUILT bundle with a real JavaScript parser
// (the TypeScript compiler API on the .js file) and refuses every construct or built-in that the Espruino
// interpreter lacks or gets wrong, as measured in ../shared/espruino/FACTS.md. Nothing in CI runs
// Espruino itself, and Espruino parses a function body only when it is first called, so a construct in a
// path no test executes would otherwise stay hidden until the market stall: this gate reads every byte.
//
// The lint rules (eslint.config.js) reject most of these at the source; the gate also sees what esbuild
// adds (its runtime helpers, syntax it re-prints) and the code of every module as actually bundled.
//
// Usage: npx tsx firmware/subset-gate.ts [bundle.js ...]   (default: firmware/build/carnet.js)
// Exit code 0 = clean, 1 = violations (one line each: file:line:col [rule] message), 2 = unreadable input.

import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESPRUINO_MISSING_GLOBALS } from './espruino-missing';

export interface GateViolation {
  rule: string;
  message: string;
  line: number; // 1-based
  column: number; // 1-based
}

/**
 * Rule names and what each one refuses (FACTS.md section in brackets). The test suite has one failing
 * fixture per rule in firmware/gate-fixtures/<rule>.js.
 */
export const GATE_RULES: { [rule: string]: string } = {
  syntax: 'the bundle does not parse as JavaScript',
  destructuring: 'destructuring of any kind (`let {a} = o` silently misparses) [rejects]',
  spread: 'spread in calls, arrays or object literals [rejects]',
  'default-param': 'default parameter values [rejects]',
  'rest-param': 'rest parameters [rejects]',
  'optional-chaining': 'optional chaining `?.` [rejects]',
  exponent: '`**` and `**=` (not parsed; esbuild would lower to the inexact Math.pow) [rejects, traps]',
  'logical-assignment': '`||=`, `&&=`, `??=` [rejects]',
  async: 'async functions, await, for await [rejects]',
  generator: 'generators and yield [rejects]',
  label: 'labelled statements (`break outer`) [rejects]',
  'tagged-template': 'tagged template literals [rejects]',
  'computed-key': 'computed keys in object literals and classes [rejects]',
  'private-name': '`#private` class members [rejects]',
  'class-field': 'class field declarations (`x;`, `x = 1;`, `static x = 1;`): assign in the constructor',
  'class-static-block': 'class `static { }` blocks [rejects]',
  'extends-expression': '`extends` of anything but a plain identifier [rejects]',
  'extends-error': '`extends Error` (or TypeError, ...): super(msg) throws, instanceof is false [rejects]',
  'switch-default-order': '`switch` with `default` before a `case` [rejects]',
  'missing-global': 'built-in globals Espruino lacks (Map, Set, Symbol, BigInt, ...) [built-ins]',
  'missing-static':
    'static built-ins Espruino lacks (Math.imul, Array.from, Number.isInteger, ...) [built-ins]',
  'missing-method':
    'prototype methods Espruino lacks (.at, .codePointAt, .copyWithin, .finally, ...) [built-ins]',
  'bigint-literal': 'BigInt literals (`10n`) [built-ins]',
  'loop-closure':
    'a function made inside a loop capturing the loop head let/const (no per-iteration binding)',
  'reserved-name': '`of`, `static`, `let`, `undefined` used as names (esbuild minifier can produce `of`)',
  'long-identifier': 'identifiers longer than 63 characters (silently truncated)',
  'use-before-declaration': 'a function used by code that runs before its declaration executes (no hoisting)',
  'unreachable-declaration': 'a function declared after return/throw in its block: it never comes to exist',
  'esbuild-helper': 'esbuild runtime helpers known to break (`import * as` → __copyProps/__export, ...)',
  'regexp-flag': 'regular expression flags other than g, i, m',
  'meta-property': '`new.target` and `import.meta` (not in the accepted syntax of FACTS.md)',
};

/** FACTS.md: "Identifiers longer than 63 characters are silently truncated." */
export const MAX_IDENTIFIER_LENGTH = 63;

// The missing built-ins (shared with the vm runner), plus `globalThis`: a bare reference throws
// ReferenceError on the device.
const MISSING_GLOBALS = ESPRUINO_MISSING_GLOBALS.concat(['globalThis']);

const TYPED_ARRAYS = [
  'Array',
  'Uint8Array',
  'Int8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
];

// Receiver → members Espruino lacks. Math: FACTS lists imul/clz32/trunc/log2; the rest of the ES2015 Math
// additions are refused too (the house lint does the same; none is needed, all have exact alternatives).
// Object: freeze/seal are missing (FACTS); entries/values/assign/fromEntries are refused by the house rules
// (BRIEF.md) so that the gate and the lint agree.
const MISSING_STATICS: { [receiver: string]: string[] } = {
  Math: [
    'imul',
    'clz32',
    'trunc',
    'log2',
    'log10',
    'log1p',
    'expm1',
    'sign',
    'fround',
    'hypot',
    'cbrt',
    'sinh',
    'cosh',
    'tanh',
    'asinh',
    'acosh',
    'atanh',
  ],
  Number: ['isInteger', 'isSafeInteger', 'EPSILON', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER'],
  Object: ['freeze', 'seal', 'isFrozen', 'isSealed', 'entries', 'values', 'assign', 'fromEntries', 'hasOwn'],
  Promise: ['race', 'allSettled', 'any'],
  String: ['raw', 'fromCodePoint'],
};
for (const t of TYPED_ARRAYS) MISSING_STATICS[t] = ['from', 'of'];

// Methods called on any receiver (the receiver's type is unknown in a JS bundle). FACTS: typed-array
// `at`/`lastIndexOf`/`copyWithin`, `codePointAt`, Promise `finally`; the house rules add padStart/padEnd.
// `lastIndexOf` exists on strings and arrays, so it is only refused on a typed-array receiver the gate can
// see (`new Uint8Array(...).lastIndexOf` or a variable initialised with `new XxxArray(...)`).
const MISSING_METHODS = ['at', 'codePointAt', 'copyWithin', 'finally', 'padStart', 'padEnd', 'normalize'];

const ERROR_CLASSES = [
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'InternalError',
];

const RESERVED_NAMES = ['of', 'static', 'let', 'undefined'];

// esbuild runtime helpers: __copyProps/__reExport/__toESM/__toCommonJS come from `import * as` and CommonJS
// interop (__copyProps closes over a `for (let key of ...)` binding: FACTS "no per-iteration binding");
// __export builds namespace objects out of getters; the others lower syntax Espruino lacks in ways that
// need Symbol or generators.
const ESBUILD_HELPERS = [
  '__copyProps',
  '__reExport',
  '__toESM',
  '__toCommonJS',
  '__commonJS',
  '__esm',
  '__export',
  '__require',
  '__spreadValues',
  '__spreadProps',
  '__objRest',
  '__async',
  '__await',
  '__asyncGenerator',
  '__forAwait',
  '__yieldStar',
  '__privateGet',
  '__privateSet',
  '__privateAdd',
  '__privateMethod',
  '__decorateClass',
  '__using',
  '__callDispose',
];

const ALLOWED_REGEXP_FLAGS = 'gim';

function isFunctionLike(n: ts.Node): n is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n) ||
    ts.isConstructorDeclaration(n)
  );
}

function isLoop(n: ts.Node): n is ts.ForStatement | ts.ForOfStatement | ts.ForInStatement {
  return ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n);
}

function hasModifier(n: ts.Node, kind: ts.SyntaxKind): boolean {
  const mods = ts.canHaveModifiers(n) ? ts.getModifiers(n) : undefined;
  if (mods === undefined) return false;
  for (const m of mods) if (m.kind === kind) return true;
  return false;
}

/** True when `id` is an expression reference (not a property name, label, or declaration name). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (p === undefined) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (
    (ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) &&
    p.name === id
  )
    return false;
  if ((ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) && p.name === id) return false;
  if (ts.isPropertySignature(p) && p.name === id) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakStatement(p) || ts.isContinueStatement(p)) return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (
    (ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isClassDeclaration(p) ||
      ts.isClassExpression(p) ||
      ts.isBindingElement(p)) &&
    p.name === id
  ) {
    return false;
  }
  if (ts.isMetaProperty(p)) return false;
  return true;
}

/** The name being declared, when `id` is the name of a binding (variable, parameter, function, class). */
function isBindingName(id: ts.Identifier): boolean {
  const p = id.parent;
  if (p === undefined) return false;
  return (
    ((ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isFunctionExpression(p) ||
      ts.isClassDeclaration(p) ||
      ts.isClassExpression(p) ||
      ts.isBindingElement(p)) &&
      p.name === id) ||
    (ts.isCatchClause(p.parent) && p === p.parent.variableDeclaration)
  );
}

/** The symbol a name refers to; for a shorthand property `{ a }`, the variable `a`, not the property. */
function refSymbol(checker: ts.TypeChecker, id: ts.Identifier): ts.Symbol | undefined {
  const p = id.parent;
  if (p !== undefined && ts.isShorthandPropertyAssignment(p) && p.name === id) {
    return checker.getShorthandAssignmentValueSymbol(p);
  }
  return checker.getSymbolAtLocation(id);
}

/** Unwraps parentheses around an expression. */
function skipParens(e: ts.Node): ts.Node {
  let n = e;
  while (ts.isParenthesizedExpression(n)) n = n.expression;
  return n;
}

/** True when a function expression/arrow is called where it stands: `(function(){...})()`. */
function isImmediatelyInvoked(fn: ts.Node): boolean {
  let n: ts.Node = fn;
  while (n.parent !== undefined && ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (p === undefined) return false;
  if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.expression === n) return true;
  // `(function(){}).call(this)` / `.apply(...)`
  if (
    ts.isPropertyAccessExpression(p) &&
    p.expression === n &&
    (p.name.text === 'call' || p.name.text === 'apply') &&
    p.parent !== undefined &&
    ts.isCallExpression(p.parent) &&
    p.parent.expression === p
  ) {
    return true;
  }
  return false;
}

function makeProgram(
  fileName: string,
  text: string,
): { sf: ts.SourceFile; checker: ts.TypeChecker; program: ts.Program } {
  const options: ts.CompilerOptions = {
    allowJs: true,
    checkJs: false,
    noLib: true, // no lib.d.ts: an identifier that resolves to nothing is an Espruino global (or missing)
    noResolve: true,
    types: [],
    target: ts.ScriptTarget.ESNext,
    noEmit: true,
  };
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS);
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === fileName ? sf : undefined),
    getDefaultLibFileName: () => 'lib.d.ts',
    writeFile: () => undefined,
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => f === fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram({ rootNames: [fileName], options: options, host: host });
  return { sf: sf, checker: program.getTypeChecker(), program: program };
}

/** Runs every rule over one JavaScript text; returns the violations sorted by position. */
export function checkSubset(text: string, fileName: string): GateViolation[] {
  const name = fileName.endsWith('.js') ? fileName : fileName + '.js';
  const made = makeProgram(name, text);
  const sf = made.sf;
  const checker = made.checker;
  const out: GateViolation[] = [];

  function report(node: ts.Node, rule: string, message: string): void {
    const pos = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    out.push({ rule: rule, message: message, line: pos.line + 1, column: pos.character + 1 });
  }

  for (const d of made.program.getSyntacticDiagnostics(sf)) {
    const pos = sf.getLineAndCharacterOfPosition(d.start === undefined ? 0 : d.start);
    out.push({
      rule: 'syntax',
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      line: pos.line + 1,
      column: pos.character + 1,
    });
  }

  function symbolOf(id: ts.Identifier): ts.Symbol | undefined {
    return refSymbol(checker, id);
  }

  /** A bare reference to a global (nothing in the file declares it). */
  function isGlobalRef(e: ts.Node, names: string[]): string | null {
    const n = skipParens(e);
    if (!ts.isIdentifier(n)) return null;
    if (names.indexOf(n.text) < 0) return null;
    if (!isReference(n)) return null;
    return symbolOf(n) === undefined ? n.text : null;
  }

  /** Is this expression a typed array the gate can see (`new XxxArray(...)` or a variable holding one)? */
  function isTypedArrayExpr(e: ts.Node): boolean {
    const n = skipParens(e);
    if (ts.isNewExpression(n)) {
      const c = n.expression;
      return ts.isIdentifier(c) && c.text !== 'Array' && TYPED_ARRAYS.indexOf(c.text) >= 0;
    }
    if (ts.isIdentifier(n)) {
      const s = symbolOf(n);
      const d = s !== undefined && s.declarations !== undefined ? s.declarations[0] : undefined;
      if (d !== undefined && ts.isVariableDeclaration(d) && d.initializer !== undefined) {
        const flags = ts.getCombinedNodeFlags(d);
        if ((flags & ts.NodeFlags.Const) !== 0) return isTypedArrayExpr(d.initializer);
      }
    }
    return false;
  }

  function checkNode(node: ts.Node): void {
    // --- destructuring
    if (ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node)) {
      report(node, 'destructuring', 'destructuring pattern: assign each field by name (FACTS: rejected)');
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      (ts.isObjectLiteralExpression(skipParens(node.left)) ||
        ts.isArrayLiteralExpression(skipParens(node.left)))
    ) {
      report(node, 'destructuring', 'destructuring assignment: assign each field by name (FACTS: rejected)');
    } else if (
      (ts.isForOfStatement(node) || ts.isForInStatement(node)) &&
      (ts.isObjectLiteralExpression(node.initializer) || ts.isArrayLiteralExpression(node.initializer))
    ) {
      report(node.initializer, 'destructuring', 'destructuring in a for..of/for..in head (FACTS: rejected)');
    }

    // --- spread / rest / defaults
    if (ts.isSpreadElement(node) || ts.isSpreadAssignment(node)) {
      report(node, 'spread', 'spread `...`: copy with a loop or pass arguments explicitly (FACTS: rejected)');
    }
    if (ts.isParameter(node)) {
      if (node.dotDotDotToken !== undefined) {
        report(
          node,
          'rest-param',
          'rest parameter `...x`: use `arguments` or pass an array (FACTS: rejected)',
        );
      }
      if (node.initializer !== undefined) {
        report(
          node,
          'default-param',
          'default parameter value: test for undefined in the body (FACTS: rejected)',
        );
      }
    }

    // --- optional chaining
    if (
      (ts.isPropertyAccessExpression(node) ||
        ts.isElementAccessExpression(node) ||
        ts.isCallExpression(node)) &&
      node.questionDotToken !== undefined
    ) {
      report(node, 'optional-chaining', 'optional chaining `?.`: test for null explicitly (FACTS: rejected)');
    }

    // --- operators
    if (ts.isBinaryExpression(node)) {
      const k = node.operatorToken.kind;
      if (k === ts.SyntaxKind.AsteriskAsteriskToken || k === ts.SyntaxKind.AsteriskAsteriskEqualsToken) {
        report(
          node.operatorToken,
          'exponent',
          '`**`: not parsed by Espruino, and Math.pow is inexact there: use constants or multiplication',
        );
      }
      if (
        k === ts.SyntaxKind.BarBarEqualsToken ||
        k === ts.SyntaxKind.AmpersandAmpersandEqualsToken ||
        k === ts.SyntaxKind.QuestionQuestionEqualsToken
      ) {
        report(
          node.operatorToken,
          'logical-assignment',
          'logical assignment `||=`/`&&=`/`??=`: write `if` (FACTS: rejected)',
        );
      }
    }

    // --- async / generators
    if (isFunctionLike(node)) {
      if (hasModifier(node, ts.SyntaxKind.AsyncKeyword)) {
        report(node, 'async', 'async function: use callbacks or Promise.then (FACTS: rejected)');
      }
      if (node.asteriskToken !== undefined) {
        report(node, 'generator', 'generator function: write an explicit iterator object (FACTS: rejected)');
      }
    }
    if (ts.isAwaitExpression(node)) report(node, 'async', 'await: use Promise.then (FACTS: rejected)');
    if (ts.isForOfStatement(node) && node.awaitModifier !== undefined) {
      report(node, 'async', 'for await: not supported (FACTS: rejected)');
    }
    if (ts.isYieldExpression(node)) report(node, 'generator', 'yield: generators are rejected (FACTS)');

    // --- labels, tagged templates, computed keys, #private
    if (ts.isLabeledStatement(node)) {
      report(node, 'label', 'label `' + node.label.text + ':`: use a flag or a function (FACTS: rejected)');
    }
    if (ts.isTaggedTemplateExpression(node)) {
      report(node, 'tagged-template', 'tagged template: call a function with a string (FACTS: rejected)');
    }
    if (ts.isComputedPropertyName(node)) {
      report(
        node,
        'computed-key',
        'computed key `[expr]`: assign `o[k] = v` after the literal (FACTS: rejected)',
      );
    }
    if (ts.isPrivateIdentifier(node)) {
      report(node, 'private-name', '`' + node.text + '`: #private members are rejected: use a plain name');
    }

    // --- classes
    if (ts.isPropertyDeclaration(node) && node.parent !== undefined && ts.isClassLike(node.parent)) {
      report(
        node,
        'class-field',
        'class field: Espruino class bodies take methods and accessors (src/jsparse.c jspeClassDefinition); ' +
          'assign `this.x` in the constructor (build.ts sets useDefineForClassFields: false for this)',
      );
    }
    if (ts.isClassStaticBlockDeclaration(node)) {
      report(node, 'class-static-block', 'class static block: assign static members after the class');
    }
    if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ExtendsKeyword) {
      for (const t of node.types) {
        const e = skipParens(t.expression);
        if (!ts.isIdentifier(e)) {
          report(
            t,
            'extends-expression',
            '`extends` of an expression: extend a plain class name (FACTS: rejected)',
          );
        } else if (ERROR_CLASSES.indexOf(e.text) >= 0 && symbolOf(e) === undefined) {
          report(
            t,
            'extends-error',
            '`extends ' + e.text + '`: super(msg) throws on Espruino; use plain error objects/codes',
          );
        }
      }
    }

    // --- switch
    if (ts.isCaseBlock(node)) {
      let sawDefault: ts.Node | null = null;
      for (const c of node.clauses) {
        if (ts.isDefaultClause(c)) sawDefault = c;
        else if (sawDefault !== null) {
          report(
            sawDefault,
            'switch-default-order',
            '`default` before a `case`: put `default` last (FACTS: rejected)',
          );
          break;
        }
      }
    }

    // --- new.target / import.meta
    if (ts.isMetaProperty(node)) {
      report(
        node,
        'meta-property',
        '`' + node.getText(sf) + '`: not parsed by Espruino; pass the value explicitly',
      );
    }

    // --- BigInt literals, regexp flags
    if (node.kind === ts.SyntaxKind.BigIntLiteral) {
      report(node, 'bigint-literal', 'BigInt literal: Espruino has no BigInt');
    }
    if (ts.isRegularExpressionLiteral(node)) {
      const flags = node.text.substring(node.text.lastIndexOf('/') + 1);
      for (let i = 0; i < flags.length; i++) {
        if (ALLOWED_REGEXP_FLAGS.indexOf(flags.charAt(i)) < 0) {
          report(
            node,
            'regexp-flag',
            'regular expression flag `' + flags.charAt(i) + '`: only g, i, m are safe',
          );
          break;
        }
      }
    }

    // --- built-ins
    if (ts.isIdentifier(node)) {
      const g = isGlobalRef(node, MISSING_GLOBALS);
      if (g !== null)
        report(node, 'missing-global', '`' + g + '` does not exist on Espruino (FACTS: built-ins)');
      if (ESBUILD_HELPERS.indexOf(node.text) >= 0 && isBindingName(node)) {
        report(
          node,
          'esbuild-helper',
          'esbuild helper `' +
            node.text +
            '`: avoid the construct that needs it (`import * as`, CommonJS, ...)',
        );
      }
      if (node.text.length > MAX_IDENTIFIER_LENGTH) {
        report(
          node,
          'long-identifier',
          'identifier of ' +
            node.text.length +
            ' characters: Espruino truncates names after ' +
            MAX_IDENTIFIER_LENGTH,
        );
      }
      if (RESERVED_NAMES.indexOf(node.text) >= 0) {
        const bad = isBindingName(node) || (node.text !== 'undefined' && isReference(node));
        if (bad) report(node, 'reserved-name', '`' + node.text + '` cannot be a variable name on Espruino');
      }
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const member = ts.isPropertyAccessExpression(node)
        ? node.name.text
        : ts.isStringLiteral(node.argumentExpression)
          ? node.argumentExpression.text
          : null;
      if (member !== null) {
        const recv = isGlobalRef(node.expression, Object.keys(MISSING_STATICS));
        if (recv !== null && MISSING_STATICS[recv].indexOf(member) >= 0) {
          report(
            node,
            'missing-static',
            '`' + recv + '.' + member + '` does not exist on Espruino (FACTS: built-ins)',
          );
        } else if (
          MISSING_METHODS.indexOf(member) >= 0 &&
          node.parent !== undefined &&
          ts.isCallExpression(node.parent) &&
          node.parent.expression === node
        ) {
          report(node, 'missing-method', '`.' + member + '()` does not exist on Espruino (FACTS: built-ins)');
        } else if (
          (member === 'lastIndexOf' || member === 'findLast' || member === 'findLastIndex') &&
          isTypedArrayExpr(node.expression)
        ) {
          report(node, 'missing-method', 'typed-array `.' + member + '()` does not exist on Espruino');
        }
      }
    }

    ts.forEachChild(node, checkNode);
  }
  checkNode(sf);

  checkLoopClosures(sf, checker, report);
  checkDeclarationOrder(sf, checker, report);

  out.sort((a, b) => a.line - b.line || a.column - b.column);
  return out;
}

/**
 * loop-closure: FACTS "No per-iteration binding of let/const in loops: closures made in `for (let i...)`
 * all see the last value". Any identifier that resolves to a let/const declared in a for/for..of/for..in
 * head, read from inside a function created within that loop, is refused.
 */
function checkLoopClosures(
  sf: ts.SourceFile,
  checker: ts.TypeChecker,
  report: (n: ts.Node, rule: string, msg: string) => void,
): void {
  function visit(node: ts.Node): void {
    if (ts.isIdentifier(node) && isReference(node)) {
      const s = refSymbol(checker, node);
      const d = s !== undefined && s.declarations !== undefined ? s.declarations[0] : undefined;
      if (d !== undefined && ts.isVariableDeclaration(d) && ts.isVariableDeclarationList(d.parent)) {
        const list = d.parent;
        const isBlockScoped = (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0;
        const loop = list.parent;
        if (isBlockScoped && loop !== undefined && isLoop(loop) && loop.initializer === list) {
          // Walk up from the use to the loop: crossing a function boundary means a closure.
          let n: ts.Node | undefined = node.parent;
          let fn: ts.Node | null = null;
          while (n !== undefined && n !== loop) {
            if (isFunctionLike(n) && fn === null) fn = n;
            n = n.parent;
          }
          if (n === loop && fn !== null) {
            report(
              node,
              'loop-closure',
              'closure over loop variable `' +
                node.text +
                '`: Espruino shares one binding for all iterations; copy it into a function parameter',
            );
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  }
  visit(sf);
}

/** Statement lists that are executed in order: the program, function bodies and blocks. */
function statementsOf(n: ts.Node): ts.NodeArray<ts.Statement> | null {
  if (ts.isSourceFile(n) || ts.isBlock(n) || ts.isModuleBlock(n)) return n.statements;
  if (ts.isCaseClause(n) || ts.isDefaultClause(n)) return n.statements;
  return null;
}

/**
 * use-before-declaration and unreachable-declaration (FACTS: "No function hoisting anywhere: a function
 * declared later in the same scope does not exist yet. `f(); function f(){}` fails, and so does a call
 * from a closure to a function declared after a `return`.").
 *
 * Sound approximation: every statement list (program, function body, block) executes in order. A use of
 * a name (call or bare reference: passing `f` as a callback before `function f` gives undefined) "runs
 * now" in a statement list when no function boundary lies between them, except functions invoked on the
 * spot (IIFEs). A use that runs now in the list holding a LATER declaration of that function is refused.
 * Calls are followed into the bodies of functions known by name (declarations, `const f = function`,
 * class constructors for `new X()`), transitively, so `a(); function b(){}` is refused when an earlier
 * `function a(){ b(); }` exists. A function passed as a value is followed too (`list.forEach(f)` runs f at
 * once; `setTimeout(f)` does not, but the two look alike: the gate assumes the worst). Method calls on
 * objects (`o.m()`) are not followed: their target is unknown without types.
 */
function checkDeclarationOrder(
  sf: ts.SourceFile,
  checker: ts.TypeChecker,
  report: (n: ts.Node, rule: string, msg: string) => void,
): void {
  function declOf(id: ts.Identifier): ts.Declaration | undefined {
    const s = refSymbol(checker, id);
    if (s === undefined || s.declarations === undefined) return undefined;
    return s.declarations[0];
  }

  /** The constructor body of a class (what `new X()` runs), if it has one. */
  function constructorOf(c: ts.ClassLikeDeclaration): ts.Node | undefined {
    for (const m of c.members) if (ts.isConstructorDeclaration(m) && m.body !== undefined) return m.body;
    return undefined;
  }

  /**
   * The function body a callee name leads to, when it is statically known: a function declaration, a
   * variable holding a function expression or arrow, or a class (its constructor, for `new X()`; esbuild
   * prints classes as `var X = class {...}`).
   */
  function bodyOfCallee(id: ts.Identifier): ts.Node | undefined {
    const d = declOf(id);
    if (d === undefined) return undefined;
    if (ts.isFunctionDeclaration(d)) return d.body;
    if (ts.isClassDeclaration(d)) return constructorOf(d);
    if (ts.isVariableDeclaration(d) && d.initializer !== undefined) {
      const init = skipParens(d.initializer);
      if (ts.isFunctionExpression(init) || ts.isArrowFunction(init)) return init.body;
      if (ts.isClassExpression(init)) return constructorOf(init);
    }
    return undefined;
  }

  function isCallee(id: ts.Identifier): boolean {
    let n: ts.Node = id;
    while (n.parent !== undefined && ts.isParenthesizedExpression(n.parent)) n = n.parent;
    const p = n.parent;
    return p !== undefined && (ts.isCallExpression(p) || ts.isNewExpression(p)) && p.expression === n;
  }

  /** Does `site` run while the statement list `list` executes (no deferring function in between)? */
  function runsNowIn(site: ts.Node, list: ts.Node): boolean {
    let n: ts.Node | undefined = site.parent;
    while (n !== undefined) {
      if (n === list) return true;
      if (isFunctionLike(n)) {
        if (!((ts.isFunctionExpression(n) || ts.isArrowFunction(n)) && isImmediatelyInvoked(n))) return false;
      }
      n = n.parent;
    }
    return false;
  }

  /** Statement lists in which `site` runs now, holding a function declaration after `site`. */
  function hasLaterDeclarationAround(site: ts.Node): boolean {
    let n: ts.Node | undefined = site.parent;
    const pos = site.getStart(sf);
    while (n !== undefined) {
      const stmts = statementsOf(n);
      if (stmts !== null) {
        for (let i = stmts.length - 1; i >= 0; i--) {
          const st = stmts[i];
          if (st.getStart(sf) <= pos) break;
          if (ts.isFunctionDeclaration(st)) return true;
        }
      }
      if (
        isFunctionLike(n) &&
        !((ts.isFunctionExpression(n) || ts.isArrowFunction(n)) && isImmediatelyInvoked(n))
      ) {
        return false;
      }
      n = n.parent;
    }
    return false;
  }

  const reported: { [key: string]: boolean } = {};

  function violation(site: ts.Node, d: ts.FunctionDeclaration, via: string[]): void {
    const key = site.getStart(sf) + ':' + d.getStart(sf);
    if (reported[key]) return;
    reported[key] = true;
    const where = sf.getLineAndCharacterOfPosition(d.getStart(sf));
    report(
      site,
      'use-before-declaration',
      '`' +
        (d.name === undefined ? '?' : d.name.text) +
        '` is used ' +
        (via.length > 0 ? '(through ' + via.join(' → ') + ') ' : '') +
        'before its declaration at line ' +
        (where.line + 1) +
        ' executes: Espruino does not hoist functions; declare it first',
    );
  }

  /** Walks the code of `node` that runs now, checking names used against `site`. */
  function walkRunNow(node: ts.Node, site: ts.Node, via: string[], visited: ts.Node[]): void {
    if (isFunctionLike(node)) {
      if (!((ts.isFunctionExpression(node) || ts.isArrowFunction(node)) && isImmediatelyInvoked(node)))
        return;
    }
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      // At class definition only `extends X` and static initialisers run; methods do not.
      if (node.heritageClauses !== undefined) {
        for (const h of node.heritageClauses) walkRunNow(h, site, via, visited);
      }
      for (const m of node.members) {
        if (
          ts.isPropertyDeclaration(m) &&
          hasModifier(m, ts.SyntaxKind.StaticKeyword) &&
          m.initializer !== undefined
        ) {
          walkRunNow(m.initializer, site, via, visited);
        }
      }
      return;
    }
    if (ts.isIdentifier(node) && isReference(node)) {
      const d = declOf(node);
      if (
        d !== undefined &&
        ts.isFunctionDeclaration(d) &&
        d.getStart(sf) > site.getStart(sf) &&
        runsNowIn(site, d.parent)
      ) {
        violation(site, d, via);
      }
      // Follow calls, and also functions passed as values (`list.forEach(f)` runs f now; `setTimeout(f)`
      // does not, but the gate cannot tell them apart: it assumes the worst).
      const body = bodyOfCallee(node);
      if (body !== undefined && visited.indexOf(body) < 0) {
        visited.push(body);
        const step = isCallee(node) ? node.text + '()' : node.text;
        ts.forEachChild(body, (c) => walkRunNow(c, site, via.concat([step]), visited));
      }
      return;
    }
    ts.forEachChild(node, (c) => walkRunNow(c, site, via, visited));
  }

  // unreachable-declaration: a function declaration after return/throw/break/continue in its list.
  function visitLists(node: ts.Node): void {
    const stmts = statementsOf(node);
    if (stmts !== null) {
      let exited: ts.Node | null = null;
      for (const st of stmts) {
        if (exited !== null && ts.isFunctionDeclaration(st) && st.name !== undefined) {
          report(
            st,
            'unreachable-declaration',
            '`function ' +
              st.name.text +
              '` comes after a ' +
              (ts.isReturnStatement(exited) ? 'return' : 'throw/break/continue') +
              ': on Espruino it is never declared; move it above',
          );
        }
        if (
          exited === null &&
          (ts.isReturnStatement(st) ||
            ts.isThrowStatement(st) ||
            ts.isBreakStatement(st) ||
            ts.isContinueStatement(st))
        ) {
          exited = st;
        }
      }
    }
    ts.forEachChild(node, visitLists);
  }
  visitLists(sf);

  // Every use of a name is a site; only sites with a later function declaration in a list they run in
  // can be violations, which keeps the transitive walk to the few top-level (module start-up) calls.
  function collectSites(node: ts.Node): void {
    if (ts.isIdentifier(node) && isReference(node) && hasLaterDeclarationAround(node)) {
      walkRunNow(node, node, [], []);
    }
    ts.forEachChild(node, collectSites);
  }
  collectSites(sf);
}

/** Checks one file; prints violations; returns their number. */
export function gateFile(path: string, log: (line: string) => void): number {
  const text = readFileSync(path, 'utf8');
  const v = checkSubset(text, path);
  for (const x of v) log(path + ':' + x.line + ':' + x.column + ' [' + x.rule + '] ' + x.message);
  return v.length;
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2);
  if (files.length === 0) files.push(join(here, 'build', 'carnet.js'));
  let total = 0;
  for (const f of files) {
    let n: number;
    try {
      n = gateFile(f, (l) => console.error(l));
    } catch (e) {
      console.error(
        'subset gate: cannot read ' + f + ': ' + String(e) + ' (run npm run build:firmware first)',
      );
      process.exit(2);
    }
    total += n;
    console.log('subset gate: ' + f + ': ' + (n === 0 ? 'OK' : n + ' violation(s)'));
  }
  process.exit(total === 0 ? 0 : 1);
}
