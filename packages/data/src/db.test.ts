import { describe, expect, it } from 'vitest';
import { chunkViews, copyNumericResult, openDatabase, withConnection } from './db';

describe('numeric results read from DuckDB chunks', () => {
  it('copies a result of several chunks in order, and refuses non-numeric columns and wrong counts', async () => {
    const db = await openDatabase();
    try {
      await withConnection(db, async (conn) => {
        const n = 5000; // three chunks of up to 2,048 rows
        const result = await conn.run(`SELECT (i * 3)::INTEGER AS a, (i / 4)::DOUBLE AS b FROM range(${n}) t(i) ORDER BY i`);
        const cols = (await copyNumericResult(result, ['int32', 'float64'], n))!;
        expect(cols[0]).toBeInstanceOf(Int32Array);
        expect(cols[0].length).toBe(n);
        expect(cols[0][4999]).toBe(14997);
        expect(cols[1][2049]).toBe(2049 / 4);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += cols[0][i] - 3 * i;
        expect(sum).toBe(0);
        // the views of the same chunks agree with the copy
        const views = chunkViews(result, ['int32', 'float64'])!;
        expect(views.map((v) => v.rows).reduce((a, b) => a + b, 0)).toBe(n);
        expect(views[2].cols[0][0]).toBe(cols[0][views[0].rows + views[1].rows]);
        await expect(copyNumericResult(result, ['int32', 'float64'], n - 1)).rejects.toThrow(/more than/);
        await expect(copyNumericResult(result, ['int32', 'float64'], n + 1)).rejects.toThrow(/expected/);
        const text = await conn.run(`SELECT 'x' AS s FROM range(3)`);
        expect(await copyNumericResult(text, ['int32'], 3)).toBeUndefined();
      });
    } finally {
      db.closeSync();
    }
  });
});
