import { ConfigError, configHelp, loadConfig } from './config.ts';
import { createLogger } from './log.ts';

// `npm start`. Configuration is checked before anything heavy is loaded, so a bad variable
// is reported in a second and with exit code 2 (what systemd and compose show as "config").

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(configHelp());
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(
      `abonent: configuration error: ${err.message}\n(see \`npx tsx server/main.ts --help\`)\n`,
    );
    process.exit(2);
  }
  throw err;
}

const log = createLogger(config.logLevel);
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  log.fatal({ err }, 'unhandled rejection');
  process.exit(1);
});

try {
  const { startAbonent } = await import('./app.ts');
  const abonent = await startAbonent(config, { log });
  abonent.lifecycle.installSignalHandlers();
} catch (err) {
  log.fatal({ err }, 'Abonent could not start');
  process.exit(1);
}
