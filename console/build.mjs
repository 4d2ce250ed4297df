// Build the console bundle: src/ -> dist/ (or the directory given as the
// first argument). esbuild bundles src/main.js and src/app.css with the
// pinned packages of package-lock.json; index.html and favicon.svg are
// copied; THIRD_PARTY.txt lists every bundled package with its licence.
// The output depends only on the sources and the locked packages, so
// tests/console/test_bundle.sh can check that dist/ is what they build.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, 'dist'));
mkdirSync(out, { recursive: true });

const result = await build({
  absWorkingDir: here,
  // main.js imports the style sheets: esbuild writes them to app.css.
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  outdir: out,
  entryNames: '[name]',
  legalComments: 'none',
  charset: 'utf8',
  metafile: true,
  logLevel: 'warning',
});

copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'src/favicon.svg'), join(out, 'favicon.svg'));

// The packages whose code is in the bundle, with their licence texts.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.set(m[1], true);
}
let notice = 'The vouch console bundles these packages (from npm, pinned in\n' +
  'console/package-lock.json):\n';
for (const name of [...packages.keys()].sort()) {
  const dir = join(here, 'node_modules', name);
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licence = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  notice += `\n==== ${name} ${meta.version} (${meta.license})\n\n`;
  notice += licence ? readFileSync(join(dir, licence), 'utf8').trim() + '\n'
    : `(no licence file in the package; its package.json says ${meta.license})\n`;
}
writeFileSync(join(out, 'THIRD_PARTY.txt'), notice);
