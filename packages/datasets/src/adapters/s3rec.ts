import { join } from 'node:path';
import { filesOf, type DatasetAdapter, type ExpectedCounts } from '../adapter';
import { CsvWriter, EVENT_HEADER, ITEM_HEADER, orderTs } from '../contract-writer';
import type { DatasetFiles } from '../raw-files';

/**
 * S3-Rec files: `<Name>.txt` = `user item item ...` (chronological; one raw line becomes several events),
 * `<Name>_item2attributes.json` = {"item": [attr, ...]}. Amazon lists are [brand?, category levels...]; an attribute
 * that never occurs after position 0 is taken as a brand. Yelp / LastFM attributes are categories / tags (first 4
 * distinct kept).
 */
export async function s3recToContract(files: DatasetFiles, file: string, workDir: string, amazon: boolean, eventType: string) {
  const events = new CsvWriter(join(workDir, 'events.csv'), EVENT_HEADER);
  for await (const {
    fields: [user, ...items],
  } of files.rows(`${file}.txt`, { sep: /\s+/, fields: [2, Infinity], oneRowPerLine: false })) {
    for (let k = 0; k < items.length; k++) await events.row([user, items[k], orderTs(k), eventType]);
  }
  const attrs = files.json<Record<string, number[]>>(`${file}_item2attributes.json`);
  const later = new Set<number>();
  if (amazon) for (const list of Object.values(attrs)) for (const a of list.slice(1)) later.add(a);
  const items = new CsvWriter(join(workDir, 'items.csv'), ITEM_HEADER);
  for (const [item, list] of Object.entries(attrs)) {
    const brand = amazon && list.length && !later.has(list[0]) ? list[0] : undefined;
    const cats = [...new Set(brand === undefined ? list : list.slice(1))].slice(0, 4).map((a) => `a${a}`);
    await items.row([item, cats[0], cats[1], cats[2], cats[3], null, brand === undefined ? null : `b${brand}`, null, null]);
  }
  return { events: [await events.close()], items: await items.close(), raw: files.raw };
}

function s3rec(name: string, file: string, amazon: boolean, expected: ExpectedCounts, eventType = 'purchase'): DatasetAdapter {
  return {
    name,
    description: `S3-Rec ${file} (order only; item attributes)`,
    folder: 's3rec',
    defaultSplit: 'loo',
    expected,
    toContract: (src, work) => s3recToContract(filesOf(src), file, work, amazon, eventType),
  };
}

export const s3recAdapters: DatasetAdapter[] = [
  s3rec('s3rec-beauty', 'Beauty', true, { users: 22363, items: 12101, events: 198502 }),
  s3rec('s3rec-sports', 'Sports_and_Outdoors', true, { users: 35598, items: 18357, events: 296337 }),
  s3rec('s3rec-toys', 'Toys_and_Games', true, { users: 19412, items: 11924, events: 167597 }),
  s3rec('s3rec-yelp', 'Yelp', false, { users: 30431, items: 20033, events: 316354 }),
  s3rec('s3rec-lastfm', 'LastFM', false, { users: 1090, items: 3646, events: 52551 }, 'view'),
];
