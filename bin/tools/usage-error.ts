/**
 * A mistake in how a tool was called (a flag, a value, a file it was pointed at): the
 * tools print its message with a pointer to --help and exit with code 2.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
