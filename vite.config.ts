import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// The web client: built into dist/client, which the server reads at start and serves at /.
export default defineConfig({
  root: 'client',
  plugins: [solid()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // `npx vite` during client work: API calls go to a running `npm start`.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/readyz': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
});
