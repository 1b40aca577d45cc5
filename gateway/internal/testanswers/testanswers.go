// Package testanswers provides realistic answers of the pricing service,
// its largest, that the tests and benchmarks of the JSON path and of the
// gateway serve, so that their figures compare.
package testanswers

import (
	"math/rand"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
)

// Candles returns a response shaped like the pricing service's answer to
// GET /api/v1/assets/BTC/candles?interval=1h&limit=n: hourly candles with
// decimal strings of the lengths the service writes, about 229 bytes of
// JSON per candle. It is deterministic, so benchmark runs compare.
func Candles(n int) *pricingv1.GetCandlesResponse {
	rng := rand.New(rand.NewSource(42))
	// Decimal strings without trailing zeros, as the service formats them.
	decimal := func(v float64, places int) string {
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', places, 64), "0"), ".")
	}
	response := &pricingv1.GetCandlesResponse{
		Symbol: "BTC", Quote: "USD", Pair: "BTCUSDT",
		Derivation: pricingv1.PriceDerivation_PRICE_DERIVATION_STABLECOIN,
		Interval:   pricingv1.Interval_INTERVAL_1H,
	}
	const start = 1792062000 // 2026-10-15T11:00:00Z
	price := 25410.2
	for i := 0; i < n; i++ {
		open := price
		price *= 1 + (rng.Float64()-0.5)*0.01
		high := max(open, price) * (1 + rng.Float64()*0.004)
		low := min(open, price) * (1 - rng.Float64()*0.004)
		volume := 2000 + rng.Float64()*1000
		response.Candles = append(response.Candles, &pricingv1.Candle{
			OpenTime:    &timestamppb.Timestamp{Seconds: start + int64(i)*3600},
			CloseTime:   &timestamppb.Timestamp{Seconds: start + int64(i+1)*3600},
			Open:        decimal(open, 2),
			High:        decimal(high, 2),
			Low:         decimal(low, 2),
			Close:       decimal(price, 2),
			Volume:      decimal(volume, 5),
			QuoteVolume: decimal(volume*price, 7),
			TradeCount:  3840,
			Closed:      i < n-1,
		})
	}
	return response
}

// Prices returns a response shaped like the pricing service's answer to
// GET /api/v1/prices for n assets (20 in the seed: about 7 KB of JSON),
// deterministic like Candles.
func Prices(n int) *pricingv1.GetPricesResponse {
	rng := rand.New(rand.NewSource(7))
	decimal := func(v float64, places int) string {
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', places, 64), "0"), ".")
	}
	response := &pricingv1.GetPricesResponse{}
	for i := 0; i < n; i++ {
		symbol := string(rune('A'+i%26)) + "TC"
		if i >= 26 {
			symbol += strconv.Itoa(i / 26)
		}
		last := 0.05 + rng.Float64()*70000
		open := last * (1 + (rng.Float64()-0.5)*0.1)
		volume := 1000 + rng.Float64()*1e6
		response.Prices = append(response.Prices, &pricingv1.Price{
			Symbol:            symbol,
			Quote:             "USD",
			Pair:              symbol + "USDT",
			Derivation:        pricingv1.PriceDerivation_PRICE_DERIVATION_STABLECOIN,
			Via:               "USDT",
			LastPrice:         decimal(last, 8),
			Open_24H:          decimal(open, 8),
			High_24H:          decimal(max(open, last)*1.02, 8),
			Low_24H:           decimal(min(open, last)*0.98, 8),
			Change_24H:        decimal(last-open, 8),
			ChangePercent_24H: decimal((last-open)/open*100, 4),
			Volume_24H:        decimal(volume, 8),
			QuoteVolume_24H:   decimal(volume*last, 8),
			Source:            "binance",
			UpdateTime:        &timestamppb.Timestamp{Seconds: 1792062000 + int64(i), Nanos: int32(rng.Intn(1000)) * 1000000},
			Stale:             i%7 == 6,
		})
	}
	return response
}
