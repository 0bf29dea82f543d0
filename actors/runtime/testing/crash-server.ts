import { startAbonent } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import { tallyKind } from './tally.ts';
import { tallyRoutes } from './tally-routes.ts';

// The whole server with the test tally kind mounted, for tests that kill it mid-flight.
// It prints one line `READY <port>` once it serves.
const running = await startAbonent(loadConfig(), {
  kinds: [tallyKind],
  routes: ({ system }) => tallyRoutes(system),
});
process.stdout.write(`READY ${running.port}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void running.stop().then((code) => process.exit(code)));
}
