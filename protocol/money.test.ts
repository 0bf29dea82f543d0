import { Value } from '@sinclair/typebox/value';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AdjustmentBody,
  ChargeBody,
  CreateSubscriberBody,
  CreateTariffBody,
  HoldBody,
  MAX_AMOUNT,
  moneySchemas,
  OpenAccountBody,
  OperationsQuery,
  RefundBody,
  TopUpBody,
} from './money.ts';

test('every named schema has a unique $id and a known shape', () => {
  const ids = moneySchemas.map((s) => s.$id);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
  assert.is(new Set(ids).size, ids.length);
});

test('amounts on the wire: positive whole minor units only', () => {
  const ok = { amount: 15_050, product: 'vin-report' };
  assert.ok(Value.Check(ChargeBody, ok));
  for (const amount of [0, -1, 150.5, '15050', MAX_AMOUNT + 1, null]) {
    assert.not.ok(Value.Check(ChargeBody, { ...ok, amount }), `amount ${amount}`);
    assert.not.ok(Value.Check(RefundBody, { amount }));
    assert.not.ok(Value.Check(HoldBody, { amount, ttlSeconds: 60 }));
  }
  assert.not.ok(Value.Check(ChargeBody, { ...ok, extra: 1 }), 'unknown fields are refused');
  assert.ok(Value.Check(AdjustmentBody, { amount: -500, reason: 'double payment' }));
  assert.not.ok(Value.Check(AdjustmentBody, { amount: -500, reason: ' ' }));
  assert.ok(Value.Check(TopUpBody, { amount: 1, source: 'robokassa', reference: 'InvId-7' }));
  assert.not.ok(Value.Check(TopUpBody, { amount: 1, source: 'paypal', reference: 'x' }));
  assert.ok(Value.Check(OpenAccountBody, {}));
  assert.not.ok(Value.Check(OpenAccountBody, { currency: 'USD' }));
  assert.not.ok(Value.Check(HoldBody, { amount: 1, ttlSeconds: 0 }));
});

test('subscribers, tariffs and queries', () => {
  assert.ok(Value.Check(CreateSubscriberBody, { type: 'company', name: 'ООО Ромашка', taxId: '7707083893' }));
  assert.not.ok(
    Value.Check(CreateSubscriberBody, { type: 'person', name: 'x', contacts: { phones: ['8999'] } }),
  );
  assert.ok(
    Value.Check(CreateTariffBody, { name: 'Дом', group: 'internet', billing: 'daily', pricePerMonth: 0 }),
  );
  assert.not.ok(
    Value.Check(CreateTariffBody, { name: 'Дом', group: 'internet', billing: 'daily', pricePerMonth: -1 }),
  );
  assert.ok(Value.Check(OperationsQuery, { kind: 'charge', limit: 10, cursor: '42' }));
  assert.not.ok(Value.Check(OperationsQuery, { cursor: '0' }));
});

test.run();
