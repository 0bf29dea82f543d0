// `npm run bench -- <name>`: runs one benchmark from scripts/bench/. Each prints progress
// lines and, last, one JSON line for whoever collects the figures.

const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  journal: () => import('./bench/journal.ts'),
  'charges-http': () => import('./bench/charges-http.ts'),
  'billing-run': () => import('./bench/billing-run.ts'),
  'block-storm': () => import('./bench/block-storm.ts'),
  'dashboard-live': () => import('./bench/dashboard-live.ts'),
  startup: () => import('./bench/startup.ts'),
};

const name = process.argv[2];
const load = name === undefined ? undefined : benches[name];
if (!load) {
  console.error(`usage: npm run bench -- <name>\navailable: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
await (await load()).run();
