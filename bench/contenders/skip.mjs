/** Thrown by a contender's prepare() when it cannot run here; the run records the reason. */
export class Skip extends Error {}
