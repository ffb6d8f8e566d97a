import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The admin console's build: `npm run build:web` writes static files to web/dist, which the API server serves
 * at `/` (src/api/static-ui.ts). `npx vite --config web/vite.config.ts` serves it with hot reload and forwards
 * the API to a running `npm start` on port 8080.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Served by our own server on the operator's network: no source maps of the console's code there.
    sourcemap: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' },
  },
});
