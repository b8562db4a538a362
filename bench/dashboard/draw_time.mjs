// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How long the dashboard takes, in headless Chromium, from navigation to a drawn history plot of
// a large study: one JSON line per page load. The first load finds the server cold (it reads the
// whole study from storage); the next `--repeat` find it warm, each in a new browser context with
// an empty cache (so the front end's files are fetched and parsed every time).
//
//   build/bench/large_study --storage /tmp/large.db --trials 100000 --params 10
//   scripts/build-dashboard.sh build/dashboard
//   bench/record_results.sh bench/results/dashboard_draw.jsonl -- node \
//       bench/dashboard/draw_time.mjs build/winnow /tmp/large.db large
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [winnow, storage, study, repeatText = '5'] = process.argv.slice(2);
if (!winnow || !storage || !study) {
  console.error('usage: draw_time.mjs WINNOW STORAGE STUDY [REPEAT]');
  process.exit(2);
}

const server = spawn(winnow, ['dashboard', storage, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const found = out.match(/127\.0\.0\.1:(\d+)/);
    if (found) resolve(Number(found[1]));
  });
  server.on('exit', (code) => reject(new Error(`winnow dashboard exited with ${code}`)));
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const url = `http://127.0.0.1:${port}/#/study/${encodeURIComponent(study)}/history`;
  for (let i = 0; i <= Number(repeatText); i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('[data-plot="history"][data-rendered]', { timeout: 120000 });
    // Milliseconds since the navigation started, as the page's own clock measures them.
    const drawnMs = await page.evaluate(() => performance.now());
    const points = await page.evaluate(() => {
      const node = document.querySelector('[data-plot="history"]');
      if (node.hasAttribute('data-points-complete')) {
        return ['complete', 'pruned', 'failed', 'running', 'waiting']
          .reduce((sum, name) => sum + Number(node.getAttribute(`data-points-${name}`) || 0), 0);
      }
      return (node.data || []).reduce((sum, trace) => sum + (trace.x ? trace.x.length : 0), 0);
    });
    console.log(JSON.stringify({ benchmark: 'dashboard_draw', view: 'history', server: i === 0 ? 'cold' : 'warm',
                                 load: i, drawn_ms: Math.round(drawnMs), points }));
    await context.close();
  }
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
