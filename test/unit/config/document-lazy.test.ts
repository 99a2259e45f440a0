// parseDocument reads a clean file without positions and finds them only when an error asks:
// the value, the duplicates and every located pointer are the same as a parse with positions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDocument } from '../../../src/config/document.ts';
import { LineIndex, MAX_NESTING, parseJson, parseJsonValue } from '../../../src/config/json-parse.ts';

const text = '{\n  "version": 1,\n  "__proto__": {"x": 1},\n  "firewall": {"rules": [\n    {"chain": "input", "ports": [1, 2.5e3]},\n    {"chain": "fo\\u0072ward"}\n  ]}\n}\n';

test('a clean file: the same value, and pointers located as a parse with positions does', () => {
  const doc = parseDocument(text);
  assert.ok(doc.ok);
  if (!doc.ok) return;
  const full = parseJson(text);
  assert.ok(full.ok);
  if (!full.ok) return;
  assert.equal(doc.value, full.document.value);
  assert.ok(Object.prototype.hasOwnProperty.call(doc.value, '__proto__'), '"__proto__" stays a plain property');
  assert.equal(doc.duplicates, []);
  const lines = new LineIndex(text);
  for (const [pointer, offset] of full.document.valueOffsets) assert.equal(doc.locate(pointer, 'value'), lines.position(offset), pointer);
  assert.equal(doc.locate('/firewall/rules/1/chain', 'key'), { line: 6, column: 6 });
  assert.equal(doc.locate('/firewall/rules/9/nothing', 'value'), doc.locate('/firewall/rules', 'value'), 'a missing pointer: its nearest parent');
});

test('a duplicate key and a syntax error are still reported with their positions', () => {
  const dup = parseDocument('{"a": 1,\n "a": 2}');
  assert.ok(dup.ok);
  if (dup.ok) assert.equal(dup.duplicates.map((d) => [d.pointer, d.line, d.column]), [['/a', 2, 2]]);
  const bad = parseDocument('{"a": [1,]}');
  assert.not.ok(bad.ok);
  if (!bad.ok) assert.equal(bad.errors.map((e) => [e.kind, e.pointer, e.line, e.column]), [['syntax', '/a/1', 1, 10]]);
});

test('the quick read (JSON.parse) takes a file only when the parser with positions finds nothing to report', () => {
  const cases: Array<[string, boolean]> = [
    ['{"a": 1, "b": [true, null, -0.5e2], "c": {"d": "x"}}', true],
    ['{"a": 1, "a": 2}', false],
    ['{"a": {"b": 1, "c": 2, "b": 3}}', false],
    ['[{"k": 1}, {"k": 2}]', true],
    // Strings that hold quotes, colons and backslashes must not be taken for keys, nor hide one.
    ['{"a": "\\": ", "b": "x\\\\", "c": ":"}', true],
    ['{"a": "\\\\\\"", "a" : 1}', false],
    ['{"a": [":", "\\"", ":"], "b": {"\\"a\\"": 1, "\\"a\\"": 2}}', false],
    ['{"a":"b" , "c" :\n "d"}', true],
    ['{"__proto__": 1, "__proto__": 2}', false],
    ['{"": 1, "": 2}', false],
    ['{"a": 1,}', false],
    ['{"a": "tab\there"}', false],
    ['[' + '['.repeat(MAX_NESTING - 1) + ']'.repeat(MAX_NESTING - 1) + ']', true],
    ['[' + '['.repeat(MAX_NESTING) + ']'.repeat(MAX_NESTING) + ']', false],
  ];
  for (const [text, quick] of cases) {
    const full = parseJson(text);
    const clean = full.ok && full.document.duplicates.length === 0;
    assert.is(clean, quick, `the parser with positions on ${text}`);
    const fast = parseJsonValue(text);
    assert.is(fast !== undefined, quick, `the quick read on ${text}`);
    if (fast && full.ok) assert.equal(fast.value, full.document.value, text);
  }
});

test.run();
