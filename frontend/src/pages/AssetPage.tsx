import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Analysis, Interval, Price, StreamEvent } from '../api/types';
import { useServices } from '../app/services';
import { safeStorage, useTheme } from '../app/theme';
import { useAsync } from '../app/useAsync';
import { usePriceStream } from '../app/usePriceStream';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { EmptyState, ErrorState, Skeleton } from '../components/States';
import { applyTick, toBars, type Bar } from '../lib/candles';
import { ChartView, EMA_PERIOD, SMA_PERIOD, type IndicatorToggles } from '../lib/chartView';
import { direction, formatNumber, formatPercent, formatPrice } from '../lib/format';
import { INTERVALS, intervalFromLabel, labelOf } from '../lib/intervals';

const CANDLE_LIMIT = 500;
const TOGGLES_KEY = 'ct.indicators';
const DEFAULT_TOGGLES: IndicatorToggles = { sma: true, ema: false, bollinger: false, rsi: true, macd: false };
const TOGGLE_LABELS: Record<keyof IndicatorToggles, string> = {
  sma: `SMA ${SMA_PERIOD}`,
  ema: `EMA ${EMA_PERIOD}`,
  bollinger: 'Bollinger 20, 2',
  rsi: 'RSI 14',
  macd: 'MACD 12, 26, 9',
};

function readToggles(): IndicatorToggles {
  try {
    const stored = JSON.parse(safeStorage()?.getItem(TOGGLES_KEY) ?? 'null') as Partial<IndicatorToggles> | null;
    if (stored && typeof stored === 'object') {
      const toggles = { ...DEFAULT_TOGGLES };
      for (const key of Object.keys(DEFAULT_TOGGLES) as (keyof IndicatorToggles)[]) {
        if (typeof stored[key] === 'boolean') toggles[key] = stored[key];
      }
      return toggles;
    }
  } catch {
    // fall through to the defaults
  }
  return DEFAULT_TOGGLES;
}

export default function AssetPage() {
  const { symbol: rawSymbol = '' } = useParams();
  const symbol = rawSymbol.toUpperCase();
  const [params, setParams] = useSearchParams();
  const interval: Interval = intervalFromLabel(params.get('interval')) ?? 'INTERVAL_1H';
  const { pricingApi } = useServices();
  const { theme } = useTheme();
  const [toggles, setToggles] = useState<IndicatorToggles>(readToggles);
  const [price, setPrice] = useState<Price>();

  const candles = useAsync((signal) => pricingApi.getCandles(symbol, interval, CANDLE_LIMIT, signal), [
    pricingApi, symbol, interval,
  ]);
  const analysis = useAsync((signal) => pricingApi.getAnalysis(symbol, interval, signal), [
    pricingApi, symbol, interval,
  ]);

  const chartBox = useRef<HTMLDivElement>(null);
  const chart = useRef<ChartView | undefined>(undefined);
  const bars = useRef<Bar[]>([]);
  const redrawQueued = useRef(false);
  const candleCount = candles.data?.candles.length ?? 0;
  const hasChart = candles.status === 'ready' && candleCount > 0;

  // The chart exists while there are candles to draw.
  useEffect(() => {
    if (!hasChart || !chartBox.current) return;
    const view = new ChartView(chartBox.current, theme, toggles);
    chart.current = view;
    view.setBars(bars.current);
    return () => {
      view.destroy();
      chart.current = undefined;
    };
    // Theme and toggles are applied by the effects below, without a rebuild.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hasChart]);

  const loadedCandles = candles.status === 'ready' ? candles.data : undefined;
  useEffect(() => {
    if (!loadedCandles) return;
    bars.current = toBars(loadedCandles.candles);
    chart.current?.setBars(bars.current);
  }, [loadedCandles]);

  useEffect(() => chart.current?.setTheme(theme), [theme]);
  useEffect(() => {
    chart.current?.setToggles(toggles);
    safeStorage()?.setItem(TOGGLES_KEY, JSON.stringify(toggles));
  }, [toggles]);

  const { retry: reloadAnalysis } = analysis;
  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (event.kind !== 'price' || event.price.symbol !== symbol) return;
      setPrice(event.price);
      if (!bars.current.length) return;
      const before = bars.current.length;
      const time = Date.parse(event.price.updateTime);
      const changed = applyTick(bars.current, Number(event.price.lastPrice), Number.isNaN(time) ? Date.now() : time, interval);
      if (!changed) return;
      if (bars.current.length > before) reloadAnalysis(); // a candle closed
      if (!redrawQueued.current) {
        redrawQueued.current = true;
        requestAnimationFrame(() => {
          redrawQueued.current = false;
          chart.current?.updateLastBar();
        });
      }
    },
    [symbol, interval, reloadAnalysis],
  );
  const stream = usePriceStream([symbol], 'USD', onEvent);

  const setInterval_ = (next: Interval) => {
    setParams((current) => {
      const updated = new URLSearchParams(current);
      updated.set('interval', labelOf(next));
      return updated;
    }, { replace: true });
  };

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/">Markets</Link> <span aria-hidden="true">/</span> <span aria-current="page">{symbol}</span>
      </nav>
      <div className="page-header">
        <h1>
          {symbol}
          {price && (
            <span className="headline-price">
              <span className="num" data-testid="live-price">{formatPrice(price.lastPrice)}</span>
              <span className={`num change-${direction(price.changePercent24h)}`}>
                {formatPercent(price.changePercent24h)}
              </span>
              {price.stale && <span className="badge badge-stale">stale</span>}
            </span>
          )}
        </h1>
        <ConnectionBadge stream={stream} />
      </div>

      <div className="chart-controls">
        <div role="group" aria-label="Candle interval" className="segmented">
          {INTERVALS.map((option) => (
            <button key={option.value} type="button" aria-pressed={option.value === interval}
              onClick={() => setInterval_(option.value)}>
              {option.label}
            </button>
          ))}
        </div>
        <div role="group" aria-label="Indicators" className="segmented">
          {(Object.keys(TOGGLE_LABELS) as (keyof IndicatorToggles)[]).map((key) => (
            <button key={key} type="button" aria-pressed={toggles[key]}
              onClick={() => setToggles((current) => ({ ...current, [key]: !current[key] }))}>
              {TOGGLE_LABELS[key]}
            </button>
          ))}
        </div>
      </div>

      <div className="asset-layout">
        <section className="chart-card" aria-label={`${symbol} ${labelOf(interval)} candlestick chart`}>
          {candles.status === 'error' ? (
            <ErrorState title="Could not load the chart" error={candles.error} onRetry={candles.retry} />
          ) : candles.status === 'loading' && !candles.data ? (
            <Skeleton height="100%" label="Loading chart" />
          ) : candleCount === 0 ? (
            <EmptyState title="No candles yet" detail={`No ${labelOf(interval)} candles are stored for ${symbol} yet.`}
              action={<button type="button" className="button" onClick={candles.retry}>Retry</button>} />
          ) : null}
          <div ref={chartBox} className="chart" data-testid="price-chart" hidden={!hasChart} />
        </section>
        <AnalysisPanel state={analysis} />
      </div>
    </div>
  );
}

function AnalysisPanel({ state }: { state: ReturnType<typeof useAsync<Analysis>> }) {
  if (state.status === 'error' && !state.data) {
    return (
      <aside className="card analysis" aria-label="Analysis">
        <h2>Analysis</h2>
        <ErrorState title="Analysis unavailable" error={state.error} onRetry={state.retry} />
      </aside>
    );
  }
  const a = state.data;
  if (!a) {
    return (
      <aside className="card analysis" aria-label="Analysis" aria-busy="true">
        <h2>Analysis</h2>
        <Skeleton height="14rem" label="Loading analysis" />
      </aside>
    );
  }
  const rows: [string, string, string?][] = [
    ['Last close', formatPrice(a.lastClose)],
    ...a.sma.map((m): [string, string] => [`SMA ${m.period}`, formatPrice(m.value)]),
    ...a.ema.map((m): [string, string] => [`EMA ${m.period}`, formatPrice(m.value)]),
    [`RSI ${a.rsi.period || 14}`, formatNumber(a.rsi.value)],
    ['MACD', formatNumber(a.macd.macd, 4)],
    ['MACD signal', formatNumber(a.macd.signal, 4)],
    ['MACD histogram', formatNumber(a.macd.histogram, 4), direction(a.macd.histogram)],
    ['Bollinger upper', formatPrice(a.bollinger.upper)],
    ['Bollinger lower', formatPrice(a.bollinger.lower)],
    [`ATR ${a.atr.period || 14}`, formatPrice(a.atr.value)],
    ['Volatility (annualised)', a.realizedVolatilityPercent ? `${formatNumber(a.realizedVolatilityPercent)}%` : '—'],
    ['Max drawdown', a.maxDrawdownPercent ? `${formatNumber(a.maxDrawdownPercent)}%` : '—'],
    ['Return 1h', formatPercent(a.returns.changePercent1h), direction(a.returns.changePercent1h)],
    ['Return 24h', formatPercent(a.returns.changePercent24h), direction(a.returns.changePercent24h)],
    ['Return 7d', formatPercent(a.returns.changePercent7d), direction(a.returns.changePercent7d)],
    ['Return 30d', formatPercent(a.returns.changePercent30d), direction(a.returns.changePercent30d)],
  ];
  return (
    <aside className="card analysis" aria-label="Analysis" data-testid="analysis">
      <h2>Analysis <span className="muted">({labelOf(a.interval)}, {a.candleRange.candleCount} candles)</span></h2>
      <dl className="facts">
        {rows.map(([label, value, dir]) => (
          <div key={label} className="fact">
            <dt>{label}</dt>
            <dd className={`num${dir ? ` change-${dir}` : ''}`}>{value}</dd>
          </div>
        ))}
      </dl>
    </aside>
  );
}
