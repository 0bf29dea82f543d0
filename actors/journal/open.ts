import { join } from 'node:path';
import { openMongoJournal } from './mongo.ts';
import { openSqliteJournal } from './sqlite.ts';
import type { CommitObserver, Journal } from './types.ts';

/** MongoDB when a URL is configured, else the embedded SQLite file in the data directory. */
export function openJournal(opts: {
  dataDir: string;
  mongodbUrl?: string | undefined;
  observer?: CommitObserver;
}): Promise<Journal> {
  const { dataDir, mongodbUrl, observer } = opts;
  if (mongodbUrl) return openMongoJournal({ url: mongodbUrl, observer });
  return openSqliteJournal({ file: join(dataDir, 'journal.sqlite'), observer });
}
