-- OHLCV candles of exchange pairs, one row per (pair, interval, open_time).
--
-- Partitioned by RANGE on open_time into one partition per UTC calendar
-- month, named candles_pYYYYMM. The service creates partitions ahead of the
-- data it writes (storage::PricingRepository::EnsurePartitions, called before
-- every batch and by the `rollup` job for the next months), so this
-- migration creates none: there is deliberately no DEFAULT partition, which
-- would have to be scanned (and emptied) every time a new month is attached.
-- Retention drops whole months once every interval in them has expired.
--
-- The unique key makes every write an idempotent upsert: a restart, a
-- replayed batch or a gap repair overwrites the same row instead of adding
-- a second one.
CREATE TABLE candles (
    pair          text        NOT NULL,
    -- '1m' for candles built from trades or read from the exchange;
    -- '5m', '15m', '1h', '4h', '1d' for materialised roll-ups.
    interval_name text        NOT NULL,
    open_time     timestamptz NOT NULL,
    open          numeric     NOT NULL,
    high          numeric     NOT NULL,
    low           numeric     NOT NULL,
    close         numeric     NOT NULL,
    volume        numeric     NOT NULL,
    quote_volume  numeric     NOT NULL,
    trade_count   bigint      NOT NULL,
    -- Who wrote the row: '<provider>:trades' (built from trades),
    -- '<provider>:klines' (closed candles the exchange reported; these are
    -- never replaced by trades candles) or 'rollup'.
    source        text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT candles_key UNIQUE (pair, interval_name, open_time),
    CONSTRAINT candles_interval_known CHECK (
        interval_name IN ('1m', '5m', '15m', '1h', '4h', '1d')),
    CONSTRAINT candles_prices_positive CHECK (
        open > 0 AND high > 0 AND low > 0 AND close > 0),
    CONSTRAINT candles_ohlc_consistent CHECK (
        low <= high AND open BETWEEN low AND high AND close BETWEEN low AND high),
    CONSTRAINT candles_amounts_not_negative CHECK (
        volume >= 0 AND quote_volume >= 0 AND trade_count >= 0)
) PARTITION BY RANGE (open_time);

-- Rows arrive in time order, so a BRIN index on open_time is tiny and lets
-- time-range scans (retention, roll-up) skip whole block ranges. Lookups of
-- one pair's recent candles use the unique key's btree.
CREATE INDEX candles_open_time_brin ON candles USING brin (open_time);
