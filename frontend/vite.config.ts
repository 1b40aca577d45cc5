/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dev server proxies the API to a running stack (make up), so `npm run dev`
// uses the same origin-relative URLs as production.
const apiTarget = process.env.CT_API_TARGET ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    sourcemap: true,
    // Asset hashes go under assets/, which the ingress caches as immutable.
    assetsDir: 'assets',
  },
  server: {
    proxy: {
      '^/[a-z]+-service/': { target: apiTarget, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
