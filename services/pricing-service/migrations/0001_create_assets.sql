-- The catalogue of tracked assets, seeded with about twenty large coins.
-- Market data (capitalisation, supply, rank, metadata) is refreshed from
-- CoinGecko at run time; the seed only has to be good enough to start with.

CREATE TABLE assets (
    -- Base-asset ticker as the API shows it: upper-case A-Z and 0-9.
    symbol             text        PRIMARY KEY,
    name               text        NOT NULL,
    -- Market-capitalisation rank, 1 = largest; NULL when unknown.
    rank               integer,
    -- Exchange the prices come from, lower-case.
    exchange           text        NOT NULL DEFAULT 'binance',
    -- The USD reference pair on that exchange (quoted in USDT).
    pair               text        NOT NULL,
    -- CoinGecko's coin id, for /coins/markets.
    coingecko_id       text        NOT NULL,
    market_cap_usd     numeric,
    circulating_supply numeric,
    price_decimals     integer     NOT NULL,
    quantity_decimals  integer     NOT NULL,
    logo_url           text        NOT NULL DEFAULT '',
    website_url        text        NOT NULL DEFAULT '',
    description        text        NOT NULL DEFAULT '',
    categories         text[]      NOT NULL DEFAULT '{}',
    -- Whether the service tracks the asset; lets an operator retire a coin
    -- without deleting its candles.
    enabled            boolean     NOT NULL DEFAULT true,
    update_time        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT assets_symbol_format CHECK (symbol ~ '^[A-Z0-9]{1,20}$'),
    CONSTRAINT assets_pair_format CHECK (pair ~ '^[A-Z0-9]{2,30}$'),
    CONSTRAINT assets_pair_key UNIQUE (exchange, pair),
    CONSTRAINT assets_coingecko_id_key UNIQUE (coingecko_id),
    CONSTRAINT assets_rank_positive CHECK (rank IS NULL OR rank > 0),
    CONSTRAINT assets_decimals_range CHECK (
        price_decimals BETWEEN 0 AND 18 AND quantity_decimals BETWEEN 0 AND 18),
    CONSTRAINT assets_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT assets_description_length CHECK (char_length(description) <= 1000)
);

INSERT INTO assets (symbol, name, rank, pair, coingecko_id, price_decimals,
                    quantity_decimals, website_url, categories) VALUES
    ('BTC',  'Bitcoin',           1, 'BTCUSDT',  'bitcoin',             2, 5, 'https://bitcoin.org',           '{layer-1}'),
    ('ETH',  'Ethereum',          2, 'ETHUSDT',  'ethereum',            2, 4, 'https://ethereum.org',          '{layer-1,smart-contracts}'),
    ('XRP',  'XRP',               4, 'XRPUSDT',  'ripple',              4, 0, 'https://xrpl.org',              '{layer-1,payments}'),
    ('BNB',  'BNB',               5, 'BNBUSDT',  'binancecoin',         2, 3, 'https://www.bnbchain.org',      '{layer-1,exchange}'),
    ('SOL',  'Solana',            6, 'SOLUSDT',  'solana',              2, 3, 'https://solana.com',            '{layer-1,smart-contracts}'),
    ('DOGE', 'Dogecoin',          8, 'DOGEUSDT', 'dogecoin',            5, 0, 'https://dogecoin.com',          '{meme}'),
    ('ADA',  'Cardano',           9, 'ADAUSDT',  'cardano',             4, 1, 'https://cardano.org',           '{layer-1,smart-contracts}'),
    ('TRX',  'TRON',             10, 'TRXUSDT',  'tron',                5, 1, 'https://tron.network',          '{layer-1}'),
    ('LINK', 'Chainlink',        12, 'LINKUSDT', 'chainlink',           3, 2, 'https://chain.link',            '{oracle,defi}'),
    ('AVAX', 'Avalanche',        13, 'AVAXUSDT', 'avalanche-2',         2, 2, 'https://www.avax.network',      '{layer-1,smart-contracts}'),
    ('XLM',  'Stellar',          14, 'XLMUSDT',  'stellar',             5, 0, 'https://stellar.org',           '{layer-1,payments}'),
    ('TON',  'Toncoin',          15, 'TONUSDT',  'the-open-network',    3, 2, 'https://ton.org',               '{layer-1}'),
    ('SHIB', 'Shiba Inu',        16, 'SHIBUSDT', 'shiba-inu',           8, 0, 'https://shibatoken.com',        '{meme}'),
    ('LTC',  'Litecoin',         17, 'LTCUSDT',  'litecoin',            2, 3, 'https://litecoin.org',          '{layer-1,payments}'),
    ('BCH',  'Bitcoin Cash',     18, 'BCHUSDT',  'bitcoin-cash',        2, 3, 'https://bitcoincash.org',       '{layer-1,payments}'),
    ('DOT',  'Polkadot',         19, 'DOTUSDT',  'polkadot',            3, 2, 'https://polkadot.network',      '{layer-0}'),
    ('UNI',  'Uniswap',          20, 'UNIUSDT',  'uniswap',             3, 2, 'https://uniswap.org',           '{defi,dex}'),
    ('NEAR', 'NEAR Protocol',    21, 'NEARUSDT', 'near',                3, 1, 'https://near.org',              '{layer-1,smart-contracts}'),
    ('APT',  'Aptos',            22, 'APTUSDT',  'aptos',               3, 2, 'https://aptosfoundation.org',   '{layer-1,smart-contracts}'),
    ('ATOM', 'Cosmos Hub',       23, 'ATOMUSDT', 'cosmos',              3, 2, 'https://cosmos.network',        '{layer-0}');
