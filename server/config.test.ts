import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, configHelp, configVariables, decodeSecretKey, loadConfig } from './config.ts';

const TOKEN = 'a'.repeat(32);

test('defaults: an empty environment gives a working config', () => {
  const config = loadConfig({});
  assert.equal(config, {
    host: '127.0.0.1',
    port: 8080,
    dataDir: './data',
    mongodbUrl: undefined,
    redisUrl: undefined,
    bootstrapToken: undefined,
    secretKey: undefined,
    logLevel: 'info',
    bodyLimitBytes: 1048576,
    snapshotEvery: 500,
    passivateAfterMs: 300000,
    mailboxLimit: 1000,
    askTimeoutMs: 5000,
    shutdownTimeoutMs: 10000,
    deviceCheckIntervalMs: 30000,
    demo: false,
    billingMaxCatchUp: 744,
    billingConcurrency: 200,
    billingIntervalMs: 3600000,
    checkpointIntervalMs: 600000,
    mapTileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    mapTileAttribution: '© OpenStreetMap contributors',
  });
});

test('values are read and converted', () => {
  const config = loadConfig({
    HOST: '0.0.0.0',
    PORT: '0',
    DATA_DIR: '/var/lib/abonent',
    MONGODB_URL: 'mongodb://mongo:27017/abonent?replicaSet=rs0',
    REDIS_URL: 'redis://redis:6379',
    ABONENT_BOOTSTRAP_TOKEN: TOKEN,
    LOG_LEVEL: 'debug',
    BODY_LIMIT_BYTES: '2048',
    SNAPSHOT_EVERY: '10',
    PASSIVATE_AFTER_MS: '1000',
    MAILBOX_LIMIT: '5',
    ASK_TIMEOUT_MS: '250',
    SHUTDOWN_TIMEOUT_MS: '3000',
  });
  assert.is(config.port, 0);
  assert.is(config.host, '0.0.0.0');
  assert.is(config.mongodbUrl, 'mongodb://mongo:27017/abonent?replicaSet=rs0');
  assert.is(config.bootstrapToken, TOKEN);
  assert.is(config.logLevel, 'debug');
  assert.is(config.mailboxLimit, 5);
});

test('an empty value counts as unset', () => {
  assert.is(loadConfig({ PORT: '', ABONENT_BOOTSTRAP_TOKEN: '' }).port, 8080);
});

const bad: [string, string][] = [
  ['HOST', 'two words'],
  ['PORT', 'http'],
  ['PORT', '65536'],
  ['PORT', '-1'],
  ['PORT', '80.5'],
  ['MONGODB_URL', 'localhost:27017'],
  ['MONGODB_URL', 'http://localhost:27017'],
  ['REDIS_URL', 'localhost:6379'],
  ['ABONENT_BOOTSTRAP_TOKEN', 'short'],
  ['ABONENT_BOOTSTRAP_TOKEN', `${'b'.repeat(31)}`],
  ['ABONENT_BOOTSTRAP_TOKEN', `${'b'.repeat(20)} ${'c'.repeat(20)}`],
  ['ABONENT_SECRET_KEY', 'too-short'],
  ['ABONENT_SECRET_KEY', 'ab'.repeat(31)],
  ['LOG_LEVEL', 'verbose'],
  ['BODY_LIMIT_BYTES', '0'],
  ['BODY_LIMIT_BYTES', '1MB'],
  ['SNAPSHOT_EVERY', '0'],
  ['PASSIVATE_AFTER_MS', 'soon'],
  ['MAILBOX_LIMIT', '-5'],
  ['ASK_TIMEOUT_MS', '1e3'],
  ['SHUTDOWN_TIMEOUT_MS', 'ten'],
  ['DEVICE_CHECK_INTERVAL_MS', '10'],
  ['ABONENT_DEMO', 'yes'],
  ['BILLING_MAX_CATCH_UP', '-1'],
  ['BILLING_CONCURRENCY', '0'],
  ['BILLING_INTERVAL_MS', '999'],
];

for (const [name, value] of bad) {
  test(`${name}=${JSON.stringify(value)} → ConfigError naming ${name}`, () => {
    try {
      loadConfig({ [name]: value });
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.instance(err, ConfigError);
      assert.is((err as ConfigError).variable, name);
      assert.ok((err as Error).message.startsWith(`${name} `), (err as Error).message);
    }
  });
}

test('a short bootstrap token is not echoed in the error', () => {
  try {
    loadConfig({ ABONENT_BOOTSTRAP_TOKEN: 'hunter2-secret' });
    assert.unreachable();
  } catch (err) {
    assert.not.ok((err as Error).message.includes('hunter2'));
    assert.match((err as Error).message, /at least 32 characters/);
  }
});

test('ABONENT_SECRET_KEY: 32 bytes as hex or base64, never echoed', () => {
  const hex = 'c0ffee'.repeat(10) + 'c0ff';
  assert.is(decodeSecretKey(hex)?.length, 32);
  assert.is(decodeSecretKey(Buffer.alloc(32, 7).toString('base64'))?.length, 32);
  assert.is(decodeSecretKey(Buffer.alloc(32, 250).toString('base64url'))?.length, 32);
  assert.is(decodeSecretKey(Buffer.alloc(31).toString('base64')), null);
  assert.is(loadConfig({ ABONENT_SECRET_KEY: hex }).secretKey, hex);
  try {
    loadConfig({ ABONENT_SECRET_KEY: 'hunter2-not-a-key' });
    assert.unreachable();
  } catch (err) {
    assert.not.ok((err as Error).message.includes('hunter2'));
  }
});

test('every variable has a description and appears in --help', () => {
  const help = configHelp();
  for (const v of configVariables) {
    assert.ok(v.description.length > 10, v.name);
    assert.ok(help.includes(v.name), v.name);
  }
});

test('README documents every variable with its default', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const v of configVariables) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${v.name}\``));
    assert.ok(row, `README has no table row for ${v.name}`);
    if (v.default !== undefined)
      assert.ok(row?.includes(`\`${v.default}\``), `README row of ${v.name} lacks its default ${v.default}`);
  }
});

test.run();
