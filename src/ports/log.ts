/** Structured logging as the core uses it (pino's Logger fits). */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface LogPort {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
