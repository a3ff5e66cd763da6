// watch() never keeps the process alive; callers that wait on it to finish a job (the CLI's
// watch, diagnose's durationMs) hold the process themselves, as pending I/O would.

/** Keeps the process alive until the returned function is called. */
export function holdProcess(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}
