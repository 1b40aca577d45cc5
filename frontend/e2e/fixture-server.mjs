// A stand-in ingress for trying the SPA's market-data paths in a browser when
// the real pricing-service has no live feed: serves dist/ (with /config.js and
// the SPA fallback) like the NGINX ingress, forwards /user-service/ to a real
// stack, and answers /pricing-service/api/v1/... from simulated data in the
// contract's JSON shape (a seeded random walk, a live NDJSON stream).
//
//   node e2e/fixture-server.mjs   (CT_FIXTURE_PORT=18290, CT_USER_UPSTREAM=http://localhost:8080)
//
// It is a development and test tool only; production never uses it.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const port = Number(process.env.CT_FIXTURE_PORT ?? 18290);
const userUpstream = new URL(process.env.CT_USER_UPSTREAM ?? 'http://localhost:8080');
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const ASSETS = [
  ['BTC', 'Bitcoin', 64250], ['ETH', 'Ethereum', 3120], ['SOL', 'Solana', 148.2], ['XRP', 'XRP', 0.5321],
  ['ADA', 'Cardano', 0.4512], ['DOGE', 'Dogecoin', 0.1234], ['DOT', 'Polkadot', 6.78], ['LINK', 'Chainlink', 14.56],
];
const INTERVAL_SECONDS = { INTERVAL_1M: 60, INTERVAL_5M: 300, INTERVAL_15M: 900, INTERVAL_1H: 3600, INTERVAL_4H: 14400, INTERVAL_1D: 86400 };

// Deterministic pseudo-random numbers (mulberry32) so screenshots are stable-ish.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(42);
const decimalsOf = (price) => (price >= 1 ? 2 : 4);
const fixed = (value, price) => value.toFixed(decimalsOf(price));

const state = new Map(
  ASSETS.map(([symbol, name, price], index) => [
    symbol,
    { symbol, name, rank: index + 1, last: price, open: price * (1 + (random() - 0.5) * 0.08), high: price * 1.03, low: price * 0.96 },
  ]),
);

function tick() {
  for (const s of state.values()) {
    s.last *= 1 + (random() - 0.5) * 0.004;
    s.high = Math.max(s.high, s.last);
    s.low = Math.min(s.low, s.last);
  }
}
setInterval(tick, 1000).unref();

function priceJson(s, stale = false) {
  const change = s.last - s.open;
  return {
    symbol: s.symbol, quote: 'USD', pair: `${s.symbol}USDT`, derivation: 'PRICE_DERIVATION_STABLECOIN', via: 'USDT',
    lastPrice: fixed(s.last, s.last), open24h: fixed(s.open, s.last), high24h: fixed(s.high, s.last),
    low24h: fixed(s.low, s.last), change24h: fixed(change, s.last), changePercent24h: ((change / s.open) * 100).toFixed(2),
    volume24h: (1e6 / s.last).toFixed(4), quoteVolume24h: (1e6 * (s.rank * 37 % 11 + 1)).toFixed(2),
    source: 'fixture', updateTime: new Date().toISOString(), stale,
  };
}

function candles(symbol, interval, limit) {
  const s = state.get(symbol);
  const width = INTERVAL_SECONDS[interval];
  const walk = rng(symbol.charCodeAt(0) * 31 + width);
  const now = Math.floor(Date.now() / 1000);
  const lastOpen = Math.floor(now / width) * width;
  const out = [];
  let close = s.last;
  // Walk backwards from the live price so the newest candle meets it.
  for (let i = 0; i < limit; i++) {
    const openTime = lastOpen - i * width;
    const open = close * (1 + (walk() - 0.5) * 0.02);
    const high = Math.max(open, close) * (1 + walk() * 0.006);
    const low = Math.min(open, close) * (1 - walk() * 0.006);
    out.push({
      openTime: new Date(openTime * 1000).toISOString(), closeTime: new Date((openTime + width) * 1000).toISOString(),
      open: fixed(open, s.last), high: fixed(high, s.last), low: fixed(low, s.last), close: fixed(close, s.last),
      volume: (walk() * 100).toFixed(4), quoteVolume: (walk() * 1e6).toFixed(2), tradeCount: Math.floor(walk() * 500),
      closed: i !== 0,
    });
    close = open;
  }
  return out.reverse();
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function pricing(req, res, url) {
  const path = url.pathname.replace(/^\/pricing-service/, '');
  let m;
  if (path === '/api/v1/assets') {
    return sendJson(res, 200, {
      assets: [...state.values()].map((s) => ({
        symbol: s.symbol, name: s.name, rank: s.rank, exchange: 'fixture', pair: `${s.symbol}USDT`, marketCapUsd: '',
        circulatingSupply: '', priceDecimals: decimalsOf(s.last), quantityDecimals: 4,
        metadata: { logoUrl: '', websiteUrl: '', description: '', categories: [] }, updateTime: new Date().toISOString(),
      })),
      nextPageToken: '',
    });
  }
  if (path === '/api/v1/prices') return sendJson(res, 200, { prices: [...state.values()].map((s) => priceJson(s)) });
  if (path === '/api/v1/market/summary') {
    const prices = [...state.values()].map((s) => priceJson(s)).sort((a, b) => b.changePercent24h - a.changePercent24h);
    return sendJson(res, 200, {
      quote: 'USD', topGainers: prices.slice(0, 3), topLosers: prices.slice(-3).reverse(), assetCount: prices.length,
      staleCount: 0, totalVolume24h: '52000000.00',
      breadth: { advancingCount: prices.filter((p) => p.changePercent24h > 0).length,
        decliningCount: prices.filter((p) => p.changePercent24h < 0).length, unchangedCount: 0,
        advanceDeclineRatio: '1', advancingPercent: '50' },
      computeTime: new Date().toISOString(),
    });
  }
  if (path === '/api/v1/prices/stream') {
    const symbols = url.searchParams.getAll('symbols');
    const wanted = [...state.values()].filter((s) => symbols.length === 0 || symbols.includes(s.symbol));
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
    const send = () => {
      for (const s of wanted) res.write(`${JSON.stringify({ result: { price: priceJson(s) } })}\n`);
    };
    send();
    const timer = setInterval(send, 1000);
    req.on('close', () => clearInterval(timer));
    return undefined;
  }
  if ((m = path.match(/^\/api\/v1\/assets\/([A-Z0-9]+)\/candles$/)) && state.has(m[1])) {
    const interval = url.searchParams.get('interval') ?? '';
    if (!INTERVAL_SECONDS[interval]) return sendJson(res, 400, { code: 3, message: 'interval is required', details: [] });
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 500) || 500, 1000);
    return sendJson(res, 200, { symbol: m[1], quote: 'USD', pair: `${m[1]}USDT`, derivation: 'PRICE_DERIVATION_STABLECOIN', interval, candles: candles(m[1], interval, limit) });
  }
  if ((m = path.match(/^\/api\/v1\/assets\/([A-Z0-9]+)\/analysis$/)) && state.has(m[1])) {
    const s = state.get(m[1]);
    const interval = url.searchParams.get('interval') ?? 'INTERVAL_1H';
    const p = (f) => fixed(s.last * f, s.last);
    return sendJson(res, 200, {
      symbol: m[1], quote: 'USD', pair: `${m[1]}USDT`, interval,
      candleRange: { startTime: new Date(Date.now() - 500 * 3600e3).toISOString(), endTime: new Date().toISOString(), candleCount: 500 },
      lastClose: p(1), sma: [20, 50, 200].map((period, i) => ({ period, value: p(1 - 0.01 * (i + 1)) })),
      ema: [12, 26, 50, 200].map((period, i) => ({ period, value: p(1 - 0.005 * (i + 1)) })),
      rsi: { period: 14, value: '57.42' },
      macd: { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, macd: '12.3456', signal: '10.9876', histogram: '1.3580' },
      bollinger: { period: 20, stdDevMultiplier: '2', middle: p(0.99), upper: p(1.03), lower: p(0.95) },
      atr: { period: 14, value: p(0.012) }, realizedVolatilityPercent: '48.21', maxDrawdownPercent: '18.70',
      returns: { changePercent1h: '0.42', changePercent24h: '2.10', changePercent7d: '-3.25', changePercent30d: '11.80' },
      computeTime: new Date().toISOString(),
    });
  }
  return sendJson(res, 404, { code: 5, message: `no route for ${req.method} ${path}`, details: [] });
}

function proxyUser(req, res) {
  const upstream = httpRequest(
    { host: userUpstream.hostname, port: userUpstream.port, path: req.url, method: req.method, headers: req.headers },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    },
  );
  upstream.on('error', () => sendJson(res, 502, { code: 14, message: 'user-service is unavailable', details: [] }));
  req.pipe(upstream);
}

const TYPES = { '.html': 'text/html', '.js': 'application/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' };

function serveStatic(res, pathname) {
  let file = normalize(join(dist, decodeURIComponent(pathname)));
  if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://fixture');
  if (url.pathname.startsWith('/pricing-service/')) return pricing(req, res, url);
  if (url.pathname.startsWith('/user-service/')) return proxyUser(req, res);
  return serveStatic(res, url.pathname);
}).listen(port, '127.0.0.1', () => {
  console.log(`fixture server on http://localhost:${port}/ (user-service via ${userUpstream.origin})`);
});
