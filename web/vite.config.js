// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Built by scripts/build-dashboard.sh into the folder `winnow dashboard` serves. `npm run dev`
// serves the sources with hot reload and forwards /api to a dashboard already running on 8080.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  // Preact's JSX runtime through esbuild: no React plugin, no Babel.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    // Plotly is one large chunk, loaded only once a plot is shown; warning about it helps no one.
    chunkSizeWarningLimit: 5000,
  },
  server: {
    // changeOrigin: the dashboard refuses a Host header that is not its own address.
    proxy: { '/api': { target: 'http://127.0.0.1:8080', changeOrigin: true } },
  },
});
