// `sockscope doctor`: what the tables, counters and sysctls say is wrong, critical first.
import { diagnose, type Finding } from '../doctor.js';
import { positive, queueReadOptions, type Flags } from './args.js';

const LABEL: Record<Finding['severity'], string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };
const numbers = (e: Record<string, number>) => Object.entries(e).map(([k, v]) => `${k}=${v}`).join(' ');

/** JSON: the array diagnose() returns. */
export async function doctor(f: Flags): Promise<string> {
  const read = queueReadOptions(f, 'doctor');
  const options = f.duration === undefined ? read : { ...read, durationMs: positive(f.duration, '--duration', 1, false) * 1000 };
  const findings = await diagnose(options);
  if (f.json) return JSON.stringify(findings, null, 2);
  if (findings.length === 0) return 'No findings.';
  return findings
    .map((finding) =>
      [
        `${LABEL[finding.severity]} ${finding.id}: ${finding.title}`,
        `  evidence: ${numbers(finding.evidence)}`,
        ...finding.endpoints.map((e) => `  ${e.endpoint} ${numbers(e.evidence)}`),
        `  ${finding.advice}`,
      ].join('\n'),
    )
    .join('\n\n');
}
