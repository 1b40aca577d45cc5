import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/errors';
import type { MarketSummary, Price, StreamEvent } from '../api/types';
import { useServices } from '../app/services';
import { useAsync } from '../app/useAsync';
import { usePriceStream } from '../app/usePriceStream';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { Sparkline } from '../components/Sparkline';
import { EmptyState, ErrorState, Skeleton, SkeletonRows } from '../components/States';
import { direction, formatCompact, formatPercent, formatPrice } from '../lib/format';
import {
  COLUMN_LABELS,
  marketRows,
  nextSortOrder,
  type MarketRow,
  type SortKey,
  type SortOrder,
} from '../lib/marketRows';
import { usePriceBook } from '../markets/usePriceBook';
import { useSparklines } from '../markets/useSparklines';

const SUMMARY_REFRESH_MS = 60_000;
const SORTABLE: SortKey[] = ['rank', 'name', 'price', 'change', 'high', 'low', 'volume'];

export function MarketsPage() {
  const { pricingApi, config } = useServices();
  const quote = config.quote;
  const assets = useAsync((signal) => pricingApi.listAssets(signal), [pricingApi]);
  const { prices, put } = usePriceBook();
  const [query, setQuery] = useState('');
  const [order, setOrder] = useState<SortOrder>({ key: 'rank', direction: 'ascending' });

  // Initial prices by request so the table fills even before the stream
  // answers; a 503 (no price received yet) is fine, the stream brings them.
  const initialPrices = useAsync(async (signal) => {
    try {
      return await pricingApi.getPrices(quote, [], signal);
    } catch (error) {
      if (error instanceof ApiError && error.status === 503) return [];
      throw error;
    }
  }, [pricingApi, quote]);
  const initialData = initialPrices.status === 'ready' ? initialPrices.data : undefined;
  useEffect(() => {
    if (initialData) put(initialData, true);
  }, [initialData, put]);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (event.kind === 'price') put([event.price]);
    },
    [put],
  );
  const stream = usePriceStream([], quote, onEvent, assets.status !== 'error');
  const sparklines = useSparklines(pricingApi, assets.data);

  const rows = useMemo(
    () => marketRows(assets.data ?? [], prices, query, order),
    [assets.data, prices, query, order],
  );

  return (
    <div className="page">
      <div className="page-header">
        <h1>Markets</h1>
        <ConnectionBadge stream={stream} />
      </div>
      <SummaryPanel quote={quote} />
      <div className="toolbar">
        <label htmlFor="market-search" className="visually-hidden">
          Search assets
        </label>
        <input
          id="market-search"
          type="search"
          placeholder="Search by name or symbol"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          autoComplete="off"
        />
        <span className="muted" aria-live="polite">
          {assets.data ? `${rows.length} of ${assets.data.length} assets` : ''}
        </span>
      </div>
      {assets.status === 'error' && !assets.data ? (
        <ErrorState title="Could not load the markets" error={assets.error} onRetry={assets.retry} />
      ) : !assets.data ? (
        <SkeletonRows rows={8} label="Loading markets" />
      ) : assets.data.length === 0 ? (
        <EmptyState title="No assets yet" detail="The pricing service does not track any asset yet." />
      ) : rows.length === 0 ? (
        <EmptyState
          title={`No asset matches “${query}”`}
          action={
            <button type="button" className="button button-quiet" onClick={() => setQuery('')}>
              Clear search
            </button>
          }
        />
      ) : (
        <MarketTable rows={rows} order={order} onSort={(key) => setOrder((o) => nextSortOrder(o, key))}
          sparklines={sparklines} quote={quote} />
      )}
    </div>
  );
}

function MarketTable({ rows, order, onSort, sparklines, quote }: {
  rows: MarketRow[];
  order: SortOrder;
  onSort: (key: SortKey) => void;
  sparklines: ReadonlyMap<string, number[]>;
  quote: string;
}) {
  return (
    <div className="table-wrap">
      <table className="market-table" data-testid="market-table">
        <caption className="visually-hidden">Tracked assets with live prices; column headers sort the table</caption>
        <thead>
          <tr>
            {SORTABLE.map((key) => (
              <th key={key} scope="col" className={`col-${key}`}
                aria-sort={order.key === key ? order.direction : 'none'}>
                <button type="button" className="sort-button" onClick={() => onSort(key)}>
                  {COLUMN_LABELS[key]}
                  <span aria-hidden="true" className="sort-arrow">
                    {order.key === key ? (order.direction === 'ascending' ? '▲' : '▼') : ''}
                  </span>
                </button>
              </th>
            ))}
            <th scope="col" className="col-spark">
              Last 24h
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ asset, price }) => (
            <tr key={asset.symbol} data-symbol={asset.symbol} className={price?.stale ? 'row-stale' : undefined}>
              <td className="col-rank">{asset.rank > 0 ? asset.rank : '—'}</td>
              <td className="col-name">
                <Link to={`/markets/${encodeURIComponent(asset.symbol)}`} className="asset-link">
                  <span className="asset-symbol">{asset.symbol}</span>
                  <span className="asset-name">{asset.name}</span>
                </Link>
                {price?.stale && <span className="badge badge-stale" title="No update within the last minute">stale</span>}
              </td>
              <td className="col-price num" data-testid="price">
                {price ? formatPrice(price.lastPrice, asset.priceDecimals, quote) : <Skeleton width="5rem" />}
              </td>
              <td className={`col-change num change-${direction(price?.changePercent24h)}`}>
                {formatPercent(price?.changePercent24h)}
              </td>
              <td className="col-high num">{formatPrice(price?.high24h, asset.priceDecimals, quote)}</td>
              <td className="col-low num">{formatPrice(price?.low24h, asset.priceDecimals, quote)}</td>
              <td className="col-volume num">{formatCompact(price?.quoteVolume24h, quote === 'USD' ? '$' : '')}</td>
              <td className="col-spark">
                <Sparkline
                  values={withLivePoint(sparklines.get(asset.symbol), price)}
                  label={`${asset.name} over the last 24 hours`}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The hourly closes plus the live price as the newest point. */
function withLivePoint(closes: number[] | undefined, price: Price | undefined): number[] {
  const live = Number(price?.lastPrice);
  if (!closes) return [];
  return Number.isFinite(live) && price?.lastPrice ? [...closes, live] : closes;
}

function SummaryPanel({ quote }: { quote: string }) {
  const { pricingApi } = useServices();
  const summary = useAsync((signal) => pricingApi.getMarketSummary(quote, 5, signal), [pricingApi, quote]);
  const { retry } = summary;
  useEffect(() => {
    const timer = setInterval(retry, SUMMARY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [retry]);

  if (summary.status === 'error' && !summary.data) {
    return (
      <section className="summary" aria-label="Market summary">
        <ErrorState title="Market summary unavailable" error={summary.error} onRetry={summary.retry} />
      </section>
    );
  }
  if (!summary.data) {
    return (
      <section className="summary" aria-label="Market summary" aria-busy="true">
        <div className="summary-grid">
          <Skeleton height="7rem" label="Loading market summary" />
          <Skeleton height="7rem" />
          <Skeleton height="7rem" />
        </div>
      </section>
    );
  }
  return <SummaryContent summary={summary.data} quote={quote} />;
}

function SummaryContent({ summary, quote }: { summary: MarketSummary; quote: string }) {
  const { breadth } = summary;
  return (
    <section className="summary" aria-label="Market summary">
      <div className="summary-grid">
        <div className="card">
          <h2>Market</h2>
          <p className="big">{formatCompact(summary.totalVolume24h, quote === 'USD' ? '$' : '')}</p>
          <p className="muted">24h volume of {summary.assetCount} assets</p>
          <p>
            <span className="change-up">{breadth.advancingCount} up</span> ·{' '}
            <span className="change-down">{breadth.decliningCount} down</span> · {breadth.unchangedCount} flat
          </p>
          {summary.staleCount > 0 && <p className="muted">{summary.staleCount} without a fresh price</p>}
        </div>
        <Movers title="Top gainers" prices={summary.topGainers} quote={quote} />
        <Movers title="Top losers" prices={summary.topLosers} quote={quote} />
      </div>
    </section>
  );
}

function Movers({ title, prices, quote }: { title: string; prices: Price[]; quote: string }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      {prices.length === 0 ? (
        <p className="muted">No fresh prices yet.</p>
      ) : (
        <ol className="movers">
          {prices.map((price) => (
            <li key={price.symbol}>
              <Link to={`/markets/${encodeURIComponent(price.symbol)}`}>{price.symbol}</Link>
              <span className="num">{formatPrice(price.lastPrice, undefined, quote)}</span>
              <span className={`num change-${direction(price.changePercent24h)}`}>
                {formatPercent(price.changePercent24h)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
