// Package candlestest provides the candle answer that the tests and
// benchmarks of the candle codec and of the gateway serve, so that their
// figures compare.
package candlestest

import (
	"math/rand"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
)

// Realistic returns a response shaped like the pricing service's answer to
// GET /api/v1/assets/BTC/candles?interval=1h&limit=n: hourly candles with
// decimal strings of the lengths the service writes, about 229 bytes of
// JSON per candle. It is deterministic, so benchmark runs compare.
func Realistic(n int) *pricingv1.GetCandlesResponse {
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
