import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

// Secrets must never reach a log line, whatever object a caller happens to log.
const REDACT = [
  'authorization',
  'password',
  'token',
  '*.authorization',
  '*.password',
  '*.token',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
];

/** The one logger factory: JSON lines on stdout, secrets censored. */
export function createLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'abonent' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
