import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PricingApi, UserApi } from '../api/client';
import { SessionManager } from '../auth/session';
import { ServicesProvider, type Services } from '../app/services';
import { ThemeProvider } from '../app/theme';
import { routes } from '../App';
import { ConnectionBadge } from '../components/ConnectionBadge';
import { Sparkline } from '../components/Sparkline';
import { defaultConfig } from '../config';
import { assetJson, btcPriceJson, ethPriceJson, jsonResponse } from '../test/fixtures';

const base = 'http://app.test';

/** Routes requests by path to handlers; unknown paths are a network error. */
function routeFetch(handlers: Record<string, (url: URL, init?: RequestInit) => Response | Promise<Response>>) {
  return vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const handler = handlers[url.pathname];
    if (!handler) throw new TypeError(`unexpected ${url.pathname}`);
    return handler(url, init);
  });
}

function renderApp(path: string, fetchMock: ReturnType<typeof routeFetch>) {
  vi.stubGlobal('fetch', fetchMock);
  const userApi = new UserApi({ baseUrl: base, fetch: fetchMock as unknown as typeof fetch });
  const pricingApi = new PricingApi({ baseUrl: base, fetch: fetchMock as unknown as typeof fetch });
  const session = new SessionManager(userApi, { refreshLeadSeconds: 60 });
  void session.restore();
  const services: Services = { config: defaultConfig, userApi, pricingApi, session };
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(
    <ServicesProvider services={services}>
      <ThemeProvider>
        <RouterProvider router={router} />
      </ThemeProvider>
    </ServicesProvider>,
  );
  return { router, session };
}

const openStream = () =>
  new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`${JSON.stringify({ result: { price: { ...btcPriceJson, lastPrice: '65000.00', updateTime: '2026-01-02T03:04:06Z' } } })}\n`));
      },
    }),
    { status: 200 },
  );

const marketHandlers = {
  '/pricing-service/api/v1/assets': () =>
    jsonResponse({ assets: [assetJson('BTC', 'Bitcoin', 1), assetJson('ETH', 'Ethereum', 2)], nextPageToken: '' }),
  '/pricing-service/api/v1/prices': () => jsonResponse({ prices: [btcPriceJson, ethPriceJson] }),
  '/pricing-service/api/v1/market/summary': () =>
    jsonResponse({ quote: 'USD', topGainers: [btcPriceJson], topLosers: [ethPriceJson], assetCount: 2, totalVolume24h: '1000' }),
  '/pricing-service/api/v1/assets/BTC/candles': () => jsonResponse({ candles: [] }),
  '/pricing-service/api/v1/assets/ETH/candles': () => jsonResponse({ candles: [] }),
  '/pricing-service/api/v1/prices/stream': openStream,
};

afterEach(() => vi.unstubAllGlobals());

describe('MarketsPage', () => {
  it('lists assets with coloured changes, sorts, searches and applies streamed prices', async () => {
    renderApp('/', routeFetch(marketHandlers));
    const table = await screen.findByTestId('market-table');
    const rows = () => within(table).getAllByRole('row').slice(1).map((row) => row.getAttribute('data-symbol'));
    await waitFor(() => expect(within(table).getByText('−3.11%')).toBeTruthy());
    expect(within(table).getByText('−3.11%').className).toContain('change-down');
    expect(within(table).getByText('+1.98%').className).toContain('change-up');
    expect(rows()).toEqual(['BTC', 'ETH']);

    fireEvent.click(screen.getByRole('button', { name: /24h change/ }));
    expect(rows()).toEqual(['BTC', 'ETH']); // descending first
    fireEvent.click(screen.getByRole('button', { name: /24h change/ }));
    expect(rows()).toEqual(['ETH', 'BTC']);
    expect(screen.getByRole('columnheader', { name: /24h change/ }).getAttribute('aria-sort')).toBe('ascending');

    fireEvent.change(screen.getByLabelText('Search assets'), { target: { value: 'ether' } });
    expect(rows()).toEqual(['ETH']);
    fireEvent.change(screen.getByLabelText('Search assets'), { target: { value: '' } });

    // The streamed BTC price replaces the fetched one.
    await waitFor(() => expect(within(table).getByText('$65,000.00')).toBeTruthy(), { timeout: 3000 });
    expect(await screen.findByText('Live')).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Market summary' }).textContent).toContain('Top gainers');
  });

  it('shows an error with a retry that recovers', async () => {
    let fail = true;
    renderApp('/', routeFetch({
      ...marketHandlers,
      '/pricing-service/api/v1/assets': () =>
        fail
          ? jsonResponse({ code: 14, message: 'service unavailable, try again later', details: [] }, 503)
          : marketHandlers['/pricing-service/api/v1/assets'](),
    }));
    expect(await screen.findByText('Could not load the markets')).toBeTruthy();
    expect(screen.getByText('service unavailable, try again later')).toBeTruthy();
    fail = false;
    fireEvent.click(within(screen.getByText('Could not load the markets').parentElement!).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('market-table')).toBeTruthy();
  });

  it('shows an empty state when nothing is tracked', async () => {
    renderApp('/', routeFetch({ ...marketHandlers, '/pricing-service/api/v1/assets': () => jsonResponse({ assets: [] }) }));
    expect(await screen.findByText('No assets yet')).toBeTruthy();
  });
});

describe('auth pages', () => {
  it('signs in and shows the user; a wrong password shows the server message', async () => {
    let attempts = 0;
    const fetchMock = routeFetch({
      ...marketHandlers,
      '/user-service/api/v1/auth/login': () =>
        ++attempts === 1
          ? jsonResponse({ code: 16, message: 'invalid email or password', details: [] }, 401)
          : jsonResponse({ accessToken: 'a.b.c', expiresIn: 900 }),
      '/user-service/api/v1/users/me': () => jsonResponse({ id: 'u1', email: 'me@example.com', displayName: 'Me' }),
    });
    const { router } = renderApp('/signin?next=%2Fprofile', fetchMock);
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'me@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe('invalid email or password');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByTestId('user-name')).toBeTruthy();
    await waitFor(() => expect(router.state.location.pathname).toBe('/profile'));
    expect(await screen.findByTestId('profile-email')).toBeTruthy();
  });

  it('checks that the passwords match before calling the server', async () => {
    const fetchMock = routeFetch({});
    renderApp('/signup', fetchMock);
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'me@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse 1' } });
    fireEvent.change(screen.getByLabelText('Confirm password'), { target: { value: 'correct horse 2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    expect((await screen.findByRole('alert')).textContent).toContain('do not match');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('sends signed-out visitors of the profile to sign in', async () => {
    const { router } = renderApp('/profile', routeFetch({}));
    await waitFor(() => expect(router.state.location.pathname).toBe('/signin'));
    expect(router.state.location.search).toBe('?next=%2Fprofile');
  });
});

describe('small components', () => {
  it('sparkline reports its trend and handles too little data', () => {
    const { container, rerender } = render(<Sparkline values={[1, 3, 2, 4]} label="BTC" />);
    expect(container.querySelector('svg')?.getAttribute('aria-label')).toBe('BTC: trending up');
    rerender(<Sparkline values={[5]} label="BTC" />);
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe('BTC: no recent data');
  });

  it('connection badge offers a reconnect while disconnected', () => {
    vi.useFakeTimers();
    const reconnectNow = vi.fn();
    render(<ConnectionBadge stream={{ status: 'reconnecting', detail: { retryInMs: 4000 }, reconnectNow }} />);
    expect(screen.getByRole('status').textContent).toContain('in 4s');
    act(() => vi.advanceTimersByTime(2000));
    expect(screen.getByRole('status').textContent).toContain('in 2s');
    fireEvent.click(screen.getByRole('button', { name: 'Reconnect now' }));
    expect(reconnectNow).toHaveBeenCalled();
    vi.useRealTimers();
  });
});
