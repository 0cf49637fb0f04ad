/** A start-up problem worth one clear line (port in use, folder not writable...). */
export class RuntimeStartError extends Error {}
