import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { DatasetAdapter } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER, orderTs } from '../contract-writer';

const AGE: Record<string, string> = { '1': 'under 18', '18': '18-24', '25': '25-34', '35': '35-44', '45': '45-49', '50': '50-55', '56': '56+' };

/** users.dat / u.user rows → users.csv with gender, age (code), occupation labels. */
async function writeUsers(path: string, rows: Array<[string, string, string, string]>): Promise<string> {
  const w = new CsvWriter(path, ['customer_id', 'gender', 'age', 'occupation']);
  for (const r of rows) await w.row(r);
  return w.close();
}

/** MovieLens genres → category_1..3 (first three genres, in the file's order). */
async function writeMovies(path: string, rows: Array<[string, string, string[]]>): Promise<string> {
  const w = new CsvWriter(path, ITEM_HEADER);
  for (const [id, title, genres] of rows) await w.row([id, genres[0], genres[1], genres[2], null, null, null, null, title]);
  return w.close();
}

/** ML-1M: ml-1m_sequences.txt.gz (`user movie`, chronological per user) + users.dat + movies.dat (latin-1). */
export const movielens1m: DatasetAdapter = {
  name: 'movielens-1m',
  description: 'MovieLens-1M full histories (order only) + users.dat labels (gender, age, occupation) + genres',
  folder: 'movielens-1m',
  defaultSplit: 'loo',
  expected: { users: 6040, items: 3706, events: 1000209 },
  async toContract(dir, work) {
    const events = new CsvWriter(join(work, 'events.csv'), EVENT_HEADER);
    const lines = createInterface({ input: createReadStream(join(dir, 'ml-1m_sequences.txt.gz')).pipe(createGunzip()) });
    let last = '';
    let k = 0;
    for await (const line of lines) {
      const [user, movie] = line.trim().split(/\s+/);
      if (!user || !movie) continue;
      k = user === last ? k + 1 : 0;
      last = user;
      await events.row([user, movie, orderTs(k), 'view']);
    }
    const users = (await readFile(join(dir, 'users.dat'), 'latin1')).split('\n').filter((l) => l.trim());
    const movies = (await readFile(join(dir, 'movies.dat'), 'latin1')).split('\n').filter((l) => l.trim());
    return {
      events: [await events.close()],
      users: await writeUsers(join(work, 'users.csv'), users.map((l) => {
        const [id, g, age, occ] = l.split('::');
        return [id, g, age, occ] as [string, string, string, string];
      })),
      items: await writeMovies(join(work, 'items.csv'), movies.map((l) => {
        const [id, title, genres] = l.split('::');
        return [id, title, genres.trim().split('|')] as [string, string, string[]];
      })),
    };
  },
};

export { AGE as ML_AGE_BUCKETS };
