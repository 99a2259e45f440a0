import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineIndex, MAX_NESTING, parseJson } from '../../../src/config/json-parse.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { formatConfigError } from '../../../src/config/errors.ts';

function syntaxError(text: string) {
  const r = parseJson(text);
  if (r.ok) throw new Error('expected a syntax error');
  return { ...r.error, ...new LineIndex(text).position(r.error.offset) };
}

test('values parse like JSON.parse', () => {
  const samples = ['{"a":[1,-2.5e3,0,true,false,null,"x\\u00e9\\n\\"\\/"]}', '[]', '{}', '"\\ud83d\\ude00"', '-0.0e+1', ' \t\r\n{ "a" : { "b" : [ ] } } '];
  for (const s of samples) {
    const r = parseJson(s);
    assert.ok(r.ok, s);
    if (r.ok) assert.equal(r.document.value, JSON.parse(s), s);
  }
});

test('a missing comma between properties: line, column, expected and what was found', () => {
  const text = '{\n  "version": 1,\n  "system": {\n    "hostname": "fw"\n    "timezone": "UTC"\n  }\n}\n';
  const e = syntaxError(text);
  assert.is(e.line, 5);
  assert.is(e.column, 5);
  assert.is(e.expected, "',' or '}' after the property value");
  assert.is(e.found, `'"timezone"'`);
  assert.is(e.pointer, '/system/hostname');
  assert.match(e.hint ?? '', /',' missing/);
});

test('the printed form of a syntax error', () => {
  const r = loadConfigText('{\n  "version": 1\n  "x": 2\n}');
  assert.not.ok(r.ok);
  if (!r.ok) {
    assert.is(
      formatConfigError('config.json', r.errors[0]!),
      `config.json:3:3: /version: expected ',' or '}' after the property value; found '"x"'. hint: is a ',' missing before this property?`,
    );
  }
});

test('each kind of syntax error says what was expected', () => {
  const cases: [string, RegExp, number, RegExp?][] = [
    ['{"a": 1,}', /a property name in double quotes/, 9, /',' after the last property/],
    ['[1, 2,]', /a value/, 7, /closing bracket/],
    ["{'a': 1}", /property name in double quotes/, 2, /double quotes/],
    ['{a: 1}', /property name in double quotes/, 2, /need double quotes/],
    ['{"a" 1}', /':' after the property name/, 6],
    ['{"a": True}', /a value/, 7, /lower case: true/],
    ['{"a": NaN}', /a value/, 7, /no NaN/],
    ['{"a": 01}', /leading zeros/, 7],
    ['{"a": -}', /a digit after '-'/, 8],
    ['{"a": 1.}', /decimal point/, 9],
    ['{"a": 1e}', /exponent/, 9],
    ['{"a": "x\\q"}', /an escape/, 9],
    ['{"a": "\\u12"}', /four hex digits/, 10],
    ['{"a": "x\ty"}', /control character/, 9],
    ['{"a": "abc', /close this string/, 7],
    ['{"a": "ab\nc"}', /close this string on its line/, 7],
    ['{"a": 1} x', /end of the file/, 10],
    ['{"a": 1 // note\n}', /JSON text|','/, 9, /no comments/],
    ['{"a": [1 2]}', /',' or ']' after the list item/, 10],
    ['', /a value/, 1],
  ];
  for (const [text, expected, column, hint] of cases) {
    const e = syntaxError(text);
    assert.match(e.expected, expected, text);
    assert.is(e.column, column, `${text}: column`);
    if (hint) assert.match(e.hint ?? '', hint, `${text}: hint`);
  }
});

test('end of file is reported as such', () => {
  assert.is(syntaxError('{"a": [1, 2').found, 'end of file');
});

test('found text is escaped: no raw control or bidi characters reach the terminal', () => {
  const e = syntaxError('{"a": \u202e\u0007}');
  assert.not.match(e.found, /[\u0000-\u001f\u202e]/);
  assert.match(e.found, /\\u202e/);
});

test('duplicate keys are found, with both positions', () => {
  const r = parseJson('{"a": 1,\n "b": {"c": 1, "c": 2},\n "a": 3}');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(
    r.document.duplicates.map((d) => d.pointer),
    ['/b/c', '/a'],
  );
  assert.equal(r.document.value, { a: 3, b: { c: 2 } });
});

test('"__proto__" is an ordinary property, not a prototype', () => {
  const r = parseJson('{"__proto__": {"polluted": true}, "a": 1}');
  assert.ok(r.ok);
  if (!r.ok) return;
  const value = r.document.value as Record<string, unknown>;
  assert.is(Object.getPrototypeOf(value), Object.prototype);
  assert.is((value as { polluted?: unknown }).polluted, undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(value, '__proto__'));
});

test('nesting is bounded, so a hostile file cannot exhaust the stack', () => {
  const ok = '['.repeat(MAX_NESTING) + ']'.repeat(MAX_NESTING);
  assert.ok(parseJson(ok).ok);
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const e = syntaxError(deep);
  assert.match(e.expected, /at most 64 levels/);
});

test('positions: values and keys by pointer, including escaped pointer tokens', () => {
  const text = '{\n  "a/b": {"x~y": [10, 20]}\n}';
  const r = parseJson(text);
  assert.ok(r.ok);
  if (!r.ok) return;
  const lines = new LineIndex(text);
  assert.equal(lines.position(r.document.valueOffsets.get('/a~1b/x~0y/1')!), { line: 2, column: 23 });
  assert.equal(lines.position(r.document.keyOffsets.get('/a~1b')!), { line: 2, column: 3 });
});

test('columns count characters, not UTF-16 units', () => {
  const text = '{"😀😀": x}';
  const e = syntaxError(text);
  assert.is(e.column, 8); // { " 😀 😀 " : space x
});

test.run();
