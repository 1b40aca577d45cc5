// Display formatting of the API's exact decimal strings. Values are only
// formatted here, never used for arithmetic that is shown as exact.

const EM_DASH = '—';

/** Number of a decimal string, or undefined for "" and junk. */
export function decimal(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Decimals to show a price with when the asset does not say. */
export function defaultPriceDecimals(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return 2;
  if (magnitude >= 1) return 2;
  if (magnitude >= 0.01) return 4;
  if (magnitude === 0) return 2;
  return 8;
}

const groupedFormats = new Map<number, Intl.NumberFormat>();
function grouped(decimals: number): Intl.NumberFormat {
  let format = groupedFormats.get(decimals);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    groupedFormats.set(decimals, format);
  }
  return format;
}

export function formatPrice(value: string | undefined, decimals?: number, quote = 'USD'): string {
  const parsed = decimal(value);
  if (parsed === undefined) return EM_DASH;
  const places = decimals && decimals > 0 ? Math.min(decimals, 10) : defaultPriceDecimals(parsed);
  const text = grouped(places).format(parsed);
  if (quote === 'USD') return `$${text}`;
  if (quote === 'EUR') return `€${text}`;
  return `${text} ${quote}`;
}

/** "+2.35%" / "−1.20%"; with a sign so the colour is not the only cue. */
export function formatPercent(value: string | undefined): string {
  const parsed = decimal(value);
  if (parsed === undefined) return EM_DASH;
  const sign = parsed > 0 ? '+' : parsed < 0 ? '−' : '';
  return `${sign}${grouped(2).format(Math.abs(parsed))}%`;
}

/** "up" / "down" / "flat" for colouring a change. */
export function direction(value: string | undefined): 'up' | 'down' | 'flat' {
  const parsed = decimal(value);
  if (parsed === undefined || parsed === 0) return 'flat';
  return parsed > 0 ? 'up' : 'down';
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });

/** 1.23B style for volumes and market caps. */
export function formatCompact(value: string | undefined, prefix = ''): string {
  const parsed = decimal(value);
  if (parsed === undefined) return EM_DASH;
  return `${prefix}${compact.format(parsed)}`;
}

/** Indicator values such as RSI: fixed decimals, no currency. */
export function formatNumber(value: string | number | undefined, decimals = 2): string {
  const parsed = typeof value === 'number' ? value : decimal(value);
  if (parsed === undefined || !Number.isFinite(parsed)) return EM_DASH;
  return grouped(decimals).format(parsed);
}

export function formatTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return EM_DASH;
  return new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
