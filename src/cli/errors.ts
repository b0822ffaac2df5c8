/** A user error: printed as one line (plus usage), exit code 2, no stack trace. */
export class UsageError extends Error {}
