import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, compareQuantities, quantityEquals, QuantityError } from '../../src/core/k8s/quantity';

test('canonical forms: the table of k8s-defaults.md §2', () => {
  const table: [string, string][] = [
    ['0.5', '500m'], ['1000m', '1'], ['1Gi', '1Gi'], ['0.5Ki', '512'],
    ['500m', '500m'], ['1000', '1k'], ['1024Mi', '1Gi'], ['1.1Gi', '1181116006400m'],
    ['1', '1'], ['1e3', '1e3'], ['1.5Gi', '1536Mi'], ['1000M', '1G'],
    ['0.1', '100m'], ['1.5', '1500m'], ['0.5Gi', '512Mi'], ['0Mi', '0'],
  ];
  for (const [input, want] of table) assert.equal(canonicalQuantity(input), want, input);
});

test('more canonical forms from apimachinery behaviour', () => {
  const table: [string, string][] = [
    ['0', '0'], ['0m', '0'], ['100Mi', '100Mi'], ['128974848', '128974848'], ['129e6', '129e6'],
    ['129M', '129M'], ['123Mi', '123Mi'], ['2048Ki', '2Mi'], ['1040Ki', '1040Ki'], ['1.5k', '1500'],
    ['250m', '250m'], ['2000m', '2'], ['10e3', '10e3'], ['1000e3', '1e6'], ['0.000000001', '1n'],
    ['-1', '-1'], ['-0.5', '-500m'], ['1.5Mi', '1536Ki'], ['1Ki', '1Ki'], ['1024', '1024'], ['1024Ki', '1Mi'],
    ['100k', '100k'], ['12345678', '12345678'], ['0.25Gi', '256Mi'], ['512Mi', '512Mi'], ['5Gi', '5Gi'],
  ];
  for (const [input, want] of table) assert.equal(canonicalQuantity(input), want, input);
});

test('values finer than 1n round up', () => {
  assert.equal(canonicalQuantity('0.0000000001'), '1n');
  assert.equal(canonicalQuantity('1.0000000001'), '1000000001n');
  assert.equal(canonicalQuantity('0.0001'), '100u');
});

test('numbers as input (unquoted YAML)', () => {
  assert.equal(canonicalQuantity(0.5), '500m');
  assert.equal(canonicalQuantity(1000), '1k');
  assert.equal(canonicalQuantity(2), '2');
  assert.equal(canonicalQuantity(0), '0');
  assert.equal(canonicalQuantity(0.1), '100m');
  assert.equal(canonicalQuantity(1e21), '1e21');
});

test('invalid quantities throw', () => {
  for (const bad of ['', 'abc', '1K', '1.2.3', '12Qi', '1 Gi', 'Gi', '--1']) {
    assert.throws(() => canonicalQuantity(bad), QuantityError, bad);
  }
});

test('quantityEquals compares values', () => {
  assert.ok(quantityEquals(0.5, '500m'));
  assert.ok(quantityEquals('0.5', '500m'));
  assert.ok(quantityEquals('1Gi', '1024Mi'));
  assert.ok(quantityEquals(1000, '1k'));
  assert.ok(quantityEquals('1', 1));
  assert.ok(quantityEquals('1e3', '1k'));
  assert.ok(!quantityEquals('1G', '1Gi'));
  assert.ok(!quantityEquals('500m', '501m'));
  assert.ok(!quantityEquals('abc', 'abc ') );
  assert.ok(quantityEquals('abc', 'abc'));
  assert.ok(!quantityEquals(undefined, '0'));
  assert.equal(compareQuantities('1Gi', '1G'), 1);
  assert.equal(compareQuantities('100m', '0.1'), 0);
});
