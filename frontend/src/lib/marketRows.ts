// The rows of the markets table: assets joined with their latest price,
// filtered by the search box and sorted by any column.
import type { Asset, Price } from '../api/types';
import { decimal } from './format';

export interface MarketRow {
  asset: Asset;
  price?: Price;
}

export type SortKey = 'rank' | 'name' | 'price' | 'change' | 'high' | 'low' | 'volume';
export type SortDirection = 'ascending' | 'descending';

export interface SortOrder {
  key: SortKey;
  direction: SortDirection;
}

export const COLUMN_LABELS: Record<SortKey, string> = {
  rank: '#',
  name: 'Name',
  price: 'Price',
  change: '24h change',
  high: '24h high',
  low: '24h low',
  volume: '24h volume',
};

/** Numeric columns start descending on first click (largest first). */
export function defaultDirection(key: SortKey): SortDirection {
  return key === 'rank' || key === 'name' ? 'ascending' : 'descending';
}

export function nextSortOrder(current: SortOrder, key: SortKey): SortOrder {
  if (current.key !== key) return { key, direction: defaultDirection(key) };
  return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
}

function sortValue(row: MarketRow, key: SortKey): number | string | undefined {
  switch (key) {
    case 'rank':
      return row.asset.rank > 0 ? row.asset.rank : undefined;
    case 'name':
      return row.asset.name.toLowerCase() || row.asset.symbol.toLowerCase();
    case 'price':
      return decimal(row.price?.lastPrice);
    case 'change':
      return decimal(row.price?.changePercent24h);
    case 'high':
      return decimal(row.price?.high24h);
    case 'low':
      return decimal(row.price?.low24h);
    case 'volume':
      return decimal(row.price?.quoteVolume24h);
  }
}

export function matchesQuery(asset: Asset, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (!needle) return true;
  return asset.symbol.toLowerCase().includes(needle) || asset.name.toLowerCase().includes(needle);
}

/** Filters and sorts; rows without a value for the key always go last. */
export function marketRows(
  assets: Asset[],
  prices: ReadonlyMap<string, Price>,
  query: string,
  order: SortOrder,
): MarketRow[] {
  const rows = assets
    .filter((asset) => matchesQuery(asset, query))
    .map((asset) => ({ asset, price: prices.get(asset.symbol) }));
  const sign = order.direction === 'ascending' ? 1 : -1;
  return rows.sort((a, b) => {
    const left = sortValue(a, order.key);
    const right = sortValue(b, order.key);
    if (left === undefined && right === undefined) return a.asset.symbol.localeCompare(b.asset.symbol);
    if (left === undefined) return 1;
    if (right === undefined) return -1;
    const compared =
      typeof left === 'string' || typeof right === 'string'
        ? String(left).localeCompare(String(right))
        : left - right;
    return compared !== 0 ? sign * compared : a.asset.symbol.localeCompare(b.asset.symbol);
  });
}
