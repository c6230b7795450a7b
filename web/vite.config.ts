import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The dashboard, built into web/dist and served by the worker as static assets.
export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `vite --config web/vite.config.ts` during UI work, with the API on wrangler dev.
    proxy: { '/api': { target: 'http://127.0.0.1:8787', ws: true } },
  },
})
