/** Every error a read raises: `code` is errno's name (`ENOENT`, `EPERM`, ...) or one of ours. */
export class SockscopeError extends Error {
  /** `ENOENT`, `EPERM`, ... for a failed syscall; `ERR_PROC_PARSE`, `ERR_UNKNOWN_STATE`, ... otherwise. */
  readonly code: string;
  /** Negative errno, as in Node's own system errors; absent when no syscall failed. */
  readonly errno?: number;
  /** The syscall that failed (`open`, `read`, `recvmsg`, ...). */
  readonly syscall?: string;

  constructor(message: string, code: string, errno?: number, syscall?: string) {
    super(message);
    this.code = code;
    if (errno !== undefined) this.errno = errno;
    if (syscall !== undefined) this.syscall = syscall;
  }
}
Object.defineProperty(SockscopeError.prototype, 'name', {
  value: 'SockscopeError',
  enumerable: false,
  configurable: true,
  writable: true,
});

interface NativeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
}

/** Turns what the addon threw into a SockscopeError; `stack` is the caller's, for async calls. */
export function fromNative(err: unknown, stack?: string): unknown {
  if (!(err instanceof Error) || typeof (err as NativeError).code !== 'string') return err;
  const n = err as NativeError;
  const out = new SockscopeError(n.message, n.code!, n.errno, n.syscall);
  if (stack) out.stack = `${out.name}: ${out.message}\n${stack.split('\n').slice(1).join('\n')}`;
  return out;
}

/** Calls into the addon synchronously, rethrowing its errors as SockscopeError. */
export function callSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

/** Awaits an addon promise; the JS stack is captured before the native call so errors point home. */
export async function callAsync<T>(fn: () => Promise<T>): Promise<T> {
  const { stack } = new Error();
  try {
    return await fn();
  } catch (err) {
    throw fromNative(err, stack);
  }
}
