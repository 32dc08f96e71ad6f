/**
 * Paged admin listings (DESIGN §8: no admin response exceeds the gRPC message limit). A page holds at
 * most `page_size` items (default and cap below) and stops early once its items would take more than
 * PAGE_BYTES, so however large the fleet or its statuses, every response stays well under
 * MAX_MESSAGE_BYTES. A page token names where the previous page ended (a cursor, not an offset), so an
 * item added or removed between pages neither repeats nor hides the others.
 */
import { ValidationError } from '../../shared/errors.js';
import { MAX_MESSAGE_BYTES } from '../../shared/proto.js';

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 5_000;
/** Budget of one page, measured as UTF-8 JSON (larger than the protobuf encoding of the same items). */
export const PAGE_BYTES = Math.floor(MAX_MESSAGE_BYTES / 4);

/** The page size a request asks for: 0 (unset) is the default; more than the cap is the cap. */
export function pageSizeOf(requested: number | undefined): number {
  if (!requested) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

/**
 * The longest prefix of `items` within `max` items and PAGE_BYTES (always at least one item, so a
 * listing makes progress), and whether items were left over.
 */
export function takePage<T>(items: readonly T[], max: number): { page: T[]; more: boolean } {
  const page: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (page.length >= max) break;
    const size = Buffer.byteLength(JSON.stringify(item) ?? '');
    if (page.length > 0 && bytes + size > PAGE_BYTES) break;
    bytes += size;
    page.push(item);
  }
  return { page, more: page.length < items.length };
}

/** A page token: the cursor of the last item of a page, opaque to clients. */
export function encodeToken(cursor: unknown): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** The cursor in a page token; a token this master did not make is refused with a clear error. */
export function decodeToken<C>(token: string, valid: (c: unknown) => c is C): C {
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    cursor = undefined;
  }
  if (!valid(cursor))
    throw new ValidationError(
      `page_token ${JSON.stringify(token.slice(0, 64))} is not a token from this listing`,
    );
  return cursor;
}

/**
 * One page of a list sorted by `compare` over cursors: the items after the token's cursor (all items
 * when there is no token), and the token of the next page ('' when this is the last one).
 */
export function pageAfter<T, C>(
  sorted: readonly T[],
  req: { page_size?: number; page_token?: string },
  cursorOf: (item: T) => C,
  compare: (a: C, b: C) => number,
  valid: (c: unknown) => c is C,
): { items: T[]; next_page_token: string } {
  let rest = sorted;
  if (req.page_token) {
    const after = decodeToken(req.page_token, valid);
    const start = sorted.findIndex((item) => compare(cursorOf(item), after) > 0);
    rest = start < 0 ? [] : sorted.slice(start);
  }
  const { page, more } = takePage(rest, pageSizeOf(req.page_size));
  const last = page.at(-1);
  return { items: page, next_page_token: more && last !== undefined ? encodeToken(cursorOf(last)) : '' };
}
