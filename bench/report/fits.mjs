// Cost model per method over the rounds: time ≈ fixed + perSocket·N, by least squares.
import { isDefaultMix } from '../lib/rounds.mjs';
import { fitLine } from '../lib/stats.mjs';

/** { id: { usPerSocket, fixedMs, points } } for every method timed at two or more N (default mix). */
export function fitMethods(rounds) {
  const points = {};
  for (const round of rounds.filter(isDefaultMix))
    for (const [id, r] of Object.entries(round.results))
      if (r.median !== undefined) (points[id] ??= []).push({ x: round.n, y: r.median });
  const fits = {};
  for (const [id, pts] of Object.entries(points)) {
    const line = fitLine(pts);
    if (line) fits[id] = { usPerSocket: line.slope * 1000, fixedMs: line.intercept, points: pts.length };
  }
  return fits;
}
