import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TariffView } from '../../protocol/money.ts';
import { Harness } from '../testkit/harness.ts';
import { CATALOG_ID, type CatalogCommand, catalogKind, listTariffs, type UsageReply } from './catalog.ts';

const T = Date.UTC(2026, 2, 1);
const catalog = () => new Harness(catalogKind, CATALOG_ID, T);
const home: CatalogCommand = {
  type: 'CreateTariff',
  name: 'Домашний 100',
  group: 'internet',
  billing: 'monthly',
  pricePerMonth: 50_000,
  speed: { downKbps: 100_000, upKbps: 50_000 },
};

test('create: ids, fields and validation', () => {
  const h = catalog();
  const t = h.ok(home) as TariffView;
  assert.equal(t, {
    id: 't1',
    name: 'Домашний 100',
    group: 'internet',
    billing: 'monthly',
    pricePerMonth: 50_000,
    speed: { downKbps: 100_000, upKbps: 50_000 },
    status: 'active',
    accounts: 0,
    createdAt: T,
    updatedAt: T,
  });
  const cloud = h.ok({
    type: 'CreateTariff',
    name: 'Облако 1 ТБ',
    group: 'storage',
    billing: 'hourly',
    pricePerMonth: 0,
    storageQuotaBytes: 2 ** 40,
  }) as TariffView;
  assert.is(cloud.storageQuotaBytes, 2 ** 40);
  assert.is(h.refused({ ...home, name: 'домашний 100 ' }).code, 'tariff_name_taken');
  assert.is(h.refused({ ...home, name: 'x', pricePerMonth: -1 }).code, 'invalid_price');
  assert.is(h.refused({ ...home, name: 'x', pricePerMonth: 10.5 }).code, 'invalid_price');
  assert.is(h.refused({ ...home, name: 'x', billing: 'weekly' as 'daily' }).code, 'invalid_billing');
  assert.is(h.refused({ ...home, name: ' ' }).code, 'invalid_tariff_name');
  assert.is(h.refused({ ...home, name: 'x', speed: { downKbps: 0, upKbps: 1 } }).code, 'invalid_speed');
  assert.is(h.refused({ type: 'CreateTariff', name: 'x' } as CatalogCommand).code, 'invalid_tariff');
});

test('a tariff in use cannot be deleted, only archived; archived ones take no new accounts', () => {
  const h = catalog();
  h.ok(home);
  const r = h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 't1' }) as UsageReply;
  assert.equal(r.tariff, { tariffId: 't1', name: 'Домашний 100', billing: 'monthly', pricePerMonth: 50_000 });
  // Recording the same usage again changes nothing (a set, not a counter).
  h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 't1' });
  assert.is(listTariffs(h.state)[0]?.accounts, 1);
  const del = h.refused({ type: 'DeleteTariff', tariffId: 't1' });
  assert.is(del.code, 'tariff_in_use');
  assert.match(del.message, /1 account\(s\).*archive it instead/);
  const archived = h.ok({ type: 'UpdateTariff', tariffId: 't1', changes: { archived: true } }) as TariffView;
  assert.is(archived.status, 'archived');
  assert.is(
    h.refused({ type: 'TariffUsageChanged', accountId: 'A2', tariffId: 't1' }).code,
    'tariff_archived',
  );
  // The account that has it may still be told it has it.
  h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 't1' });
  assert.equal(listTariffs(h.state, { includeArchived: false }), []);
  // Once nobody uses it, it can go.
  h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: null });
  assert.equal(h.ok({ type: 'DeleteTariff', tariffId: 't1' }), { deleted: 't1' });
  assert.is(h.refused({ type: 'DeleteTariff', tariffId: 't1' }).code, 'tariff_not_found');
  assert.is(
    h.refused({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 'nope' }).code,
    'tariff_not_found',
  );
});

test('moving an account between tariffs moves its count', () => {
  const h = catalog();
  h.ok(home);
  h.ok({ ...home, name: 'Турбо' });
  h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 't1' });
  h.ok({ type: 'TariffUsageChanged', accountId: 'A2', tariffId: 't1' });
  h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 't2' });
  assert.equal(h.state.counts, { t1: 1, t2: 1 });
  h.ok({ type: 'TariffUsageChanged', accountId: 'A2', tariffId: null });
  assert.equal(h.state.counts, { t2: 1 });
});

test('update: rename keeps names unique; price and billing are frozen while in use', () => {
  const h = catalog();
  h.ok(home);
  h.ok({ ...home, name: 'Турбо' });
  assert.is(
    h.refused({ type: 'UpdateTariff', tariffId: 't2', changes: { name: 'ДОМАШНИЙ 100' } }).code,
    'tariff_name_taken',
  );
  const renamed = h.ok({
    type: 'UpdateTariff',
    tariffId: 't2',
    changes: { name: 'Турбо 500', pricePerMonth: 90_000 },
  }) as TariffView;
  assert.equal([renamed.name, renamed.pricePerMonth], ['Турбо 500', 90_000]);
  h.ok({ type: 'TariffUsageChanged', accountId: 'A1', tariffId: 't2' });
  const err = h.refused({ type: 'UpdateTariff', tariffId: 't2', changes: { pricePerMonth: 1 } });
  assert.is(err.code, 'tariff_in_use');
  assert.is(
    h.refused({ type: 'UpdateTariff', tariffId: 't2', changes: { billing: 'daily' } }).code,
    'tariff_in_use',
  );
  // Same price is no change; speed and quota may change (provisioning follows them).
  h.ok({ type: 'UpdateTariff', tariffId: 't2', changes: { pricePerMonth: 90_000, speed: null } });
  assert.is(h.state.tariffs.t2?.speed, null);
  assert.is(h.refused({ type: 'UpdateTariff', tariffId: 'zz', changes: {} }).code, 'tariff_not_found');
});

test.run();
