// The RouterOS API test peer, under the name tests, benchmarks and the issue use. One
// implementation: it lives in server/demo/ because demo mode (ABONENT_DEMO=1) runs it inside
// the server, which imports nothing from scripts/.
//
//   npx tsx scripts/sim/routeros.ts [port]   runs one for a person to point a client at

import { startRouterOsSim } from '../../server/demo/routeros-sim.ts';

export * from '../../server/demo/routeros-sim.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
  const sim = await startRouterOsSim({ port: Number(process.argv[2] ?? 8728) });
  console.log(`RouterOS sim on ${sim.host}:${sim.port} (user admin, empty password)`);
}
