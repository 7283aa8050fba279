// A mistake in how the simulator was started (a bad option, a file that does not fit, a busy
// port, a missing program): the CLI prints its message as one line, without a stack trace.

/** Thrown for start-up mistakes the user can fix; the message says how. */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}
