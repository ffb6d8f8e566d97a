import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { syncErrorCsvColumns } from '../contracts/sync-error.ts';
import type { Page } from '../../store/person-store.ts';
import type { SyncErrorRecord } from '../../store/run-log-store.ts';

/**
 * The sync errors as CSV (interfaces.md §4), every page from `first` on, streamed so a large export never sits
 * in memory. RFC 4180: CRLF line ends, a header row, cells with a comma, quote or line break quoted and inner
 * quotes doubled. Cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'` (csv-stringify's
 * `escape_formulas`), because error messages echo CRM data and a spreadsheet would run them as formulas.
 *
 * The first page is fetched by the caller, so a bad query still gets a clean error answer; a failure on a later
 * page can only cut the download short (the status is already sent) and is reported to `onFailure`.
 */
export function syncErrorsCsv(
  first: Page<SyncErrorRecord>,
  nextPage: (cursor: string) => Promise<Page<SyncErrorRecord>>,
  onFailure: (error: Error) => void,
): Readable {
  async function* records(): AsyncGenerator<SyncErrorRecord> {
    let page = first;
    for (;;) {
      yield* page.items;
      if (page.nextCursor === null) return;
      page = await nextPage(page.nextCursor);
    }
  }
  const csv = stringify({
    header: true,
    columns: [...syncErrorCsvColumns],
    record_delimiter: 'windows',
    escape_formulas: true,
  });
  return pipeline(Readable.from(records()), csv, (error) => {
    if (error !== null && error !== undefined) onFailure(error);
  });
}
