// `npm run fuzz [-- --seconds N]`: builds the libFuzzer targets (clang; ASan, UBSan and LSan) and
// runs them side by side for N seconds each (60 by default). Any crash, leak, timeout or sanitizer
// report fails the run, and the input that caused it is copied to
// test/fixtures/regressions/<target>/, which the vitest suite replays through the public API.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, run, seconds } from './common.mjs';

// Each target (native/fuzz/<target>.cc) and its read-only seed corpora; the regressions found so
// far are replayed first as seeds too. A new target is one line here.
const TARGETS = {
  fuzz_proc: ['test/fixtures/proc/recorded', 'test/fixtures/corpus/fuzz_proc'],
  fuzz_netlink: ['test/fixtures/netlink'],
  fuzz_unix: ['test/fixtures/corpus/fuzz_unix'],
};

const BUILD = path.join(ROOT, 'build-fuzz');
const limit = seconds(60);

run('sh', ['scripts/need-tools.sh', 'clang']);
run('cmake', ['-S', '.', '-B', BUILD, '-DSOCKSCOPE_FUZZ=ON', '-DCMAKE_CXX_COMPILER=clang++']);
run('cmake', ['--build', BUILD, '--parallel']);

function fuzz(target, seeds) {
  const corpus = path.join(BUILD, 'corpus', target);  // grows across runs; not committed
  const artifacts = path.join(BUILD, 'artifacts', target);
  const regressions = path.join(ROOT, 'test/fixtures/regressions', target);
  fs.mkdirSync(corpus, { recursive: true });
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  const dirs = [corpus, ...seeds.map((s) => path.join(ROOT, s)), regressions].filter((d) => fs.existsSync(d));
  const args = [`-max_total_time=${limit}`, '-timeout=10', '-rss_limit_mb=2048', '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/`, ...dirs];
  const log = path.join(BUILD, `${target}.log`);
  const child = spawn(path.join(BUILD, target), args, { stdio: ['ignore', 'ignore', fs.openSync(log, 'w')] });
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    const out = fs.readFileSync(log, 'utf8');
    const stat = (name) => out.match(new RegExp(`stat::${name}:\\s+(\\d+)`))?.[1] ?? '?';
    // The exit status covers crashes; the text also catches a report a sanitizer chose to survive.
    const clean = code === 0 && !/ERROR: \w+Sanitizer|runtime error:/.test(out);
    const found = fs.readdirSync(artifacts).filter((f) => /^(crash|leak|timeout|oom)-/.test(f));
    for (const f of found) {
      fs.mkdirSync(regressions, { recursive: true });
      fs.copyFileSync(path.join(artifacts, f), path.join(regressions, f));
    }
    console.log(`${target}: ${stat('number_of_executed_units')} runs, ${stat('average_exec_per_sec')} exec/s, ` +
      `corpus ${fs.readdirSync(corpus).length} inputs, peak RSS ${stat('peak_rss_mb')} MB: ` +
      (clean ? 'clean' : `FAILED (exit ${code ?? signal}), log ${path.relative(ROOT, log)}`));
    if (!clean) console.log(out.split('\n').filter((l) => !l.startsWith('#')).slice(-40).join('\n'));
    for (const f of found) console.log(`  new regression fixture: test/fixtures/regressions/${target}/${f} (commit it)`);
    resolve(clean);
  }));
}

const results = await Promise.all(Object.entries(TARGETS).map(([t, seeds]) => fuzz(t, seeds)));
process.exit(results.every(Boolean) ? 0 : 1);
