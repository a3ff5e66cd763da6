// `npm run build:prebuilds [-- x64|arm64 ...]`: the N-API binaries that ship in the npm package,
// made by prebuildify into prebuilds/linux-<arch>/node.napi.glibc.node (the name
// leveldown and bufferutil ship: runtime, N-API, libc tags), which node-gyp-build
// loads (src/binding.ts). x64 is built natively; arm64 with Debian's aarch64 cross compiler
// (installed by need-tools.sh as root). Each architecture builds in its own build-prebuild/<arch>/,
// so build/Release, the binary the tests load, is left alone.
// `--check` builds nothing: it fails unless every architecture's prebuild is present (prepublishOnly).
// `--if-stale` builds only the prebuilds older than a native source or binding.gyp (for the tests).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';

import { ROOT, run } from './common.mjs';

/** Per architecture: the toolchain's prefix ('' for the host's own) and the tool need-tools.sh installs. */
const ARCHES = {
  x64: { prefix: '', tool: 'g++' },
  arm64: { prefix: 'aarch64-linux-gnu-', tool: 'aarch64-linux-gnu-g++' },
};

export const prebuildFile = (arch) => path.join(ROOT, 'prebuilds', `linux-${arch}`, 'node.napi.glibc.node');

/**
 * Node's own headers (include/node beside the running node), so node-gyp downloads nothing; N-API
 * headers are the same on every platform, so one set serves the cross build too.
 */
function nodeDir() {
  const dir = path.resolve(path.dirname(process.execPath), '..');
  if (!existsSync(path.join(dir, 'include/node/node_api.h'))) {
    throw new Error(`no Node headers at ${dir}/include/node: install them, or set npm_config_nodedir`);
  }
  return dir;
}

/** A build directory holding binding.gyp and native/ as links to the sources. */
function stage(arch) {
  const dir = path.join(ROOT, 'build-prebuild', arch);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const name of ['binding.gyp', 'native']) symlinkSync(path.join(ROOT, name), path.join(dir, name));
  return dir;
}

function prebuild(arch) {
  const { prefix, tool } = ARCHES[arch];
  if (process.arch !== 'x64') throw new Error(`prebuilds are made on x64 hosts (this is ${process.arch})`);
  run('sh', ['scripts/need-tools.sh', tool]);
  const toolchain = prefix
    ? { CC: `${prefix}gcc`, CXX: `${prefix}g++`, LINK: `${prefix}g++`, AR: `${prefix}ar` }
    : {};
  run(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/prebuildify/bin.js'),
      // --name: prebuildify's first tag is a name; node-gyp-build reads node.napi as runtime and N-API tags
      '--napi', '--strip', '--tag-libc', '--name', 'node.napi', '--arch', arch,
      '--strip-bin', `${prefix}strip`, '--cwd', stage(arch), '--out', ROOT,
    ],
    { ...toolchain, npm_config_nodedir: process.env.npm_config_nodedir ?? nodeDir(), PREBUILD_LIBC: 'glibc' },
  );
  if (!existsSync(prebuildFile(arch))) throw new Error(`prebuildify made no ${prebuildFile(arch)}`);
  console.log(`prebuild: ${path.relative(ROOT, prebuildFile(arch))}`);
}

/** Whether the prebuild is missing or older than binding.gyp or a file under native/. */
function stale(arch) {
  if (!existsSync(prebuildFile(arch))) return true;
  const built = statSync(prebuildFile(arch)).mtimeMs;
  const sources = readdirSync(path.join(ROOT, 'native'), { recursive: true }).map((f) => path.join(ROOT, 'native', f));
  return [path.join(ROOT, 'binding.gyp'), ...sources].some((f) => statSync(f).mtimeMs > built);
}

const FLAGS = ['--check', '--if-stale'];
const check = process.argv.includes('--check');
const ifStale = process.argv.includes('--if-stale');
const asked = process.argv.slice(2).filter((a) => !FLAGS.includes(a));
const unknown = asked.filter((a) => !(a in ARCHES));
if (unknown.length) throw new RangeError(`unknown architecture ${unknown.join(', ')}: expected ${Object.keys(ARCHES).join(' or ')}`);
const arches = asked.length ? asked : Object.keys(ARCHES);
if (check) {
  const missing = arches.filter((a) => !existsSync(prebuildFile(a)));
  if (missing.length) {
    console.error(`prebuild: missing ${missing.map((a) => `linux-${a}`).join(', ')}; run npm run build:prebuilds`);
    process.exit(1);
  }
} else {
  for (const arch of arches) {
    if (ifStale && !stale(arch)) console.log(`prebuild: ${path.relative(ROOT, prebuildFile(arch))} is up to date`);
    else prebuild(arch);
  }
}
