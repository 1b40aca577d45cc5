// Bundle budget: the JavaScript a first visit must download before the app
// runs (the entry script of dist/index.html and every chunk it preloads or
// statically imports) may be at most BUDGET_KB gzipped. Lazy chunks (the
// asset page with the chart library) are reported but not counted.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = Number(process.env.CT_BUNDLE_BUDGET_KB ?? 250);
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const gzipKb = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length / 1024;

// Entry scripts and modulepreload links of the HTML page.
const initial = new Set();
for (const match of html.matchAll(/<script[^>]*type="module"[^>]*src="\/?([^"]+)"/g)) initial.add(match[1]);
for (const match of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/?([^"]+)"/g)) initial.add(match[1]);
if (initial.size === 0) {
  console.error('bundle budget: no module script found in dist/index.html');
  process.exit(1);
}
// Follow static imports of those chunks (Vite normally lists them as preloads too).
const queue = [...initial];
while (queue.length) {
  const file = queue.shift();
  const code = readFileSync(join(dist, file), 'utf8');
  for (const match of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w{}\s,*$]+from\s*)?["']\.\/([^"']+\.js)["']/g)) {
    const dependency = join(dirname(file), match[1]);
    if (!initial.has(dependency)) {
      initial.add(dependency);
      queue.push(dependency);
    }
  }
}

let total = 0;
for (const file of initial) {
  const size = gzipKb(file);
  total += size;
  console.log(`  initial  ${file}  ${size.toFixed(1)} KB gzipped`);
}
const lazy = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') && !initial.has(`assets/${f}`));
for (const file of lazy) console.log(`  lazy     assets/${file}  ${gzipKb(`assets/${file}`).toFixed(1)} KB gzipped`);

const verdict = `initial JavaScript ${total.toFixed(1)} KB gzipped, budget ${BUDGET_KB} KB`;
if (total > BUDGET_KB) {
  console.error(`bundle budget exceeded: ${verdict}`);
  process.exit(1);
}
console.log(`bundle budget ok: ${verdict}`);
