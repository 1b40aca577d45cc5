// Imperative wrapper of lightweight-charts for the asset page: candles and
// volume, SMA/EMA/Bollinger overlays, RSI and MACD in panes below. React
// owns the data; this class only mirrors it into the chart.
import {
  CandlestickSeries,
  ColorType,
  createChart,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  type IChartApi,
  type ISeriesApi,
  type SeriesType,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Bar } from './candles';
import { bollinger, ema, macd, rsi, sma, type Series } from './indicators';
import type { Theme } from './theme';

export interface IndicatorToggles {
  sma: boolean;
  ema: boolean;
  bollinger: boolean;
  rsi: boolean;
  macd: boolean;
}

export const SMA_PERIOD = 20;
export const EMA_PERIOD = 50;

interface Palette {
  background: string;
  text: string;
  grid: string;
  up: string;
  down: string;
  sma: string;
  ema: string;
  band: string;
  rsi: string;
  macd: string;
  signal: string;
}

const PALETTES: Record<Theme, Palette> = {
  light: {
    background: '#ffffff', text: '#334155', grid: '#eef2f7', up: '#059669', down: '#dc2626',
    sma: '#2563eb', ema: '#d97706', band: '#7c3aed', rsi: '#7c3aed', macd: '#2563eb', signal: '#d97706',
  },
  dark: {
    background: '#0f172a', text: '#cbd5e1', grid: '#1e293b', up: '#34d399', down: '#f87171',
    sma: '#60a5fa', ema: '#fbbf24', band: '#a78bfa', rsi: '#a78bfa', macd: '#60a5fa', signal: '#fbbf24',
  },
};

type LinePoints = { time: UTCTimestamp; value: number }[];

function linePoints(bars: Bar[], values: Series): LinePoints {
  const points: LinePoints = [];
  values.forEach((value, i) => {
    if (value !== undefined && Number.isFinite(value)) points.push({ time: bars[i]!.time as UTCTimestamp, value });
  });
  return points;
}

export class ChartView {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private indicatorSeries: ISeriesApi<SeriesType>[] = [];
  private bars: Bar[] = [];
  private toggles: IndicatorToggles;
  private palette: Palette;

  constructor(
    private readonly container: HTMLElement,
    theme: Theme,
    toggles: IndicatorToggles,
  ) {
    this.palette = PALETTES[theme];
    this.toggles = toggles;
    this.chart = createChart(container, {
      autoSize: true,
      crosshair: { mode: CrosshairMode.Normal },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4 },
      layout: { attributionLogo: false },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, { priceLineVisible: true });
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.applyTheme();
    this.rebuildIndicators();
  }

  setTheme(theme: Theme): void {
    this.palette = PALETTES[theme];
    this.applyTheme();
    this.rebuildIndicators();
  }

  setToggles(toggles: IndicatorToggles): void {
    this.toggles = toggles;
    this.rebuildIndicators();
  }

  /** Replaces all bars (new symbol or interval, or a refetch). */
  setBars(bars: Bar[]): void {
    this.bars = bars;
    this.candles.setData(bars.map((bar) => this.candlePoint(bar)));
    this.volume.setData(bars.map((bar) => this.volumePoint(bar)));
    this.refreshIndicatorData();
    this.chart.timeScale().fitContent();
    this.publishState();
  }

  /** Redraws the last bar after a tick changed or appended it. */
  updateLastBar(): void {
    const last = this.bars[this.bars.length - 1];
    if (!last) return;
    this.candles.update(this.candlePoint(last));
    this.volume.update(this.volumePoint(last));
    this.refreshIndicatorData();
    this.publishState();
  }

  destroy(): void {
    this.chart.remove();
  }

  private candlePoint(bar: Bar) {
    return { time: bar.time as UTCTimestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  }

  private volumePoint(bar: Bar) {
    const color = bar.close >= bar.open ? this.palette.up : this.palette.down;
    return { time: bar.time as UTCTimestamp, value: bar.volume, color: `${color}66` };
  }

  private applyTheme(): void {
    const p = this.palette;
    this.chart.applyOptions({
      layout: { background: { type: ColorType.Solid, color: p.background }, textColor: p.text },
      grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
    });
    this.candles.applyOptions({
      upColor: p.up, downColor: p.down, borderUpColor: p.up, borderDownColor: p.down,
      wickUpColor: p.up, wickDownColor: p.down,
    });
    if (this.bars.length) this.volume.setData(this.bars.map((bar) => this.volumePoint(bar)));
  }

  /** Removes and re-adds the indicator series and panes for the toggles. */
  private rebuildIndicators(): void {
    for (const series of this.indicatorSeries) this.chart.removeSeries(series);
    this.indicatorSeries = [];
    while (this.chart.panes().length > 1) this.chart.removePane(this.chart.panes().length - 1);
    const p = this.palette;
    const line = (color: string, pane = 0, dashed = false) =>
      this.chart.addSeries(
        LineSeries,
        {
          color, lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false,
          lineStyle: dashed ? LineStyle.Dashed : LineStyle.Solid,
        },
        pane,
      );
    if (this.toggles.sma) this.indicatorSeries.push(line(p.sma));
    if (this.toggles.ema) this.indicatorSeries.push(line(p.ema));
    if (this.toggles.bollinger) {
      this.indicatorSeries.push(line(p.band, 0, true), line(p.band), line(p.band, 0, true));
    }
    let pane = 1;
    if (this.toggles.rsi) {
      const series = line(p.rsi, pane);
      series.applyOptions({ lastValueVisible: true });
      series.createPriceLine({ price: 70, color: p.down, lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: false, title: '' });
      series.createPriceLine({ price: 30, color: p.up, lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: false, title: '' });
      this.indicatorSeries.push(series);
      pane += 1;
    }
    if (this.toggles.macd) {
      const histogram = this.chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false }, pane);
      this.indicatorSeries.push(histogram, line(p.macd, pane), line(p.signal, pane));
    }
    for (const extra of this.chart.panes().slice(1)) extra.setStretchFactor(0.35);
    this.refreshIndicatorData();
    this.publishState();
  }

  private refreshIndicatorData(): void {
    const closes = this.bars.map((bar) => bar.close);
    const series = [...this.indicatorSeries];
    const next = () => series.shift()!;
    if (this.toggles.sma) next().setData(linePoints(this.bars, sma(closes, SMA_PERIOD)));
    if (this.toggles.ema) next().setData(linePoints(this.bars, ema(closes, EMA_PERIOD)));
    if (this.toggles.bollinger) {
      const bands = bollinger(closes);
      next().setData(linePoints(this.bars, bands.upper));
      next().setData(linePoints(this.bars, bands.middle));
      next().setData(linePoints(this.bars, bands.lower));
    }
    if (this.toggles.rsi) next().setData(linePoints(this.bars, rsi(closes)));
    if (this.toggles.macd) {
      const m = macd(closes);
      next().setData(
        linePoints(this.bars, m.histogram).map((point) => ({
          ...point,
          color: point.value >= 0 ? `${this.palette.up}99` : `${this.palette.down}99`,
        })),
      );
      next().setData(linePoints(this.bars, m.macd));
      next().setData(linePoints(this.bars, m.signal));
    }
  }

  /** Facts about what is drawn, as data attributes for tests and tooling. */
  private publishState(): void {
    this.container.dataset.candles = String(this.bars.length);
    this.container.dataset.panes = String(this.chart.panes().length);
    this.container.dataset.rsi = this.toggles.rsi ? 'on' : 'off';
    this.container.dataset.macd = this.toggles.macd ? 'on' : 'off';
    const last = this.bars[this.bars.length - 1];
    this.container.dataset.lastClose = last ? String(last.close) : '';
  }
}
