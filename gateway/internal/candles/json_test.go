package candles

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strconv"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/candles/candlestest"
)

// protojsonCompact is what the gateway's marshaler writes through protojson
// for r (EmitUnpopulated, compacted). Every output of the encoder must
// equal it; the gateway's own tests check that its marshaler writes the same
// through the pricing declaration.
func protojsonCompact(t testing.TB, r *pricingv1.GetCandlesResponse) []byte {
	t.Helper()
	var compacted bytes.Buffer
	data, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(r)
	if err == nil {
		err = json.Compact(&compacted, data)
	}
	if err != nil {
		t.Fatal(err)
	}
	return compacted.Bytes()
}

// assertCandlesJSON checks that the fast encoder accepts r and writes
// protojson's bytes, and that EncodeJSON returns them too.
func assertCandlesJSON(t *testing.T, r *pricingv1.GetCandlesResponse) {
	t.Helper()
	want := protojsonCompact(t, r)
	got, ok := appendCandlesJSON(nil, r)
	if !ok {
		t.Fatalf("declined %v", r)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("differs from protojson:\n got %s\nwant %s", got, want)
	}
	if viaHook, ok := EncodeJSON(r); !ok || !bytes.Equal(viaHook, want) {
		t.Fatalf("EncodeJSON differs (accepted %v):\n got %s\nwant %s", ok, viaHook, want)
	}
}

func TestCandlesJSONMatchesProtojsonOnARealisticResponse(t *testing.T) {
	assertCandlesJSON(t, candlestest.Realistic(1000))
}

func TestCandlesJSONMatchesProtojsonOnZeroValues(t *testing.T) {
	cases := map[string]*pricingv1.GetCandlesResponse{
		"nil message":   nil,
		"empty message": {},
		// A nil element is written like an empty candle by protojson.
		"nil and empty candles": {Candles: []*pricingv1.Candle{nil, {}}},
		"unset timestamps":      {Candles: []*pricingv1.Candle{{Open: "1", Closed: true}}},
		"unknown enum numbers":  {Derivation: 99, Interval: -3},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) { assertCandlesJSON(t, r) })
	}
}

func TestCandlesJSONMatchesProtojsonOnTimestampEdges(t *testing.T) {
	seconds := []int64{minTimestampSeconds, minTimestampSeconds + 5*366*86400, -1, 0, 951782400 /* 2000-02-29 */, maxTimestampSeconds}
	nanos := []int32{0, 1, 999, 1000, 120_000_000, 100_000, 999_999_999}
	for _, s := range seconds {
		for _, n := range nanos {
			assertCandlesJSON(t, &pricingv1.GetCandlesResponse{Candles: []*pricingv1.Candle{
				{OpenTime: &timestamppb.Timestamp{Seconds: s, Nanos: n}},
			}})
		}
	}
}

func TestCandlesJSONMatchesProtojsonOnRandomResponses(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	text := func() string {
		switch rng.Intn(6) {
		case 0:
			return ""
		case 1:
			// Printable ASCII that protojson leaves alone, HTML included.
			return " !#$%&'()*+,-./:;<=>?@[]^_`{|}~" + strconv.Itoa(rng.Intn(100))
		case 2:
			return "-" + strconv.Itoa(rng.Intn(1e6)) + "." + strconv.Itoa(rng.Intn(1e9))
		default:
			return strconv.Itoa(rng.Intn(1e9))
		}
	}
	timestamp := func() *timestamppb.Timestamp {
		if rng.Intn(10) == 0 {
			return nil
		}
		nanos := []int32{0, 1, 1000, 1_000_000, 120_000_000, 999_999_999, 5_000}[rng.Intn(7)]
		seconds := minTimestampSeconds + rng.Int63n(maxTimestampSeconds-minTimestampSeconds+1)
		return &timestamppb.Timestamp{Seconds: seconds, Nanos: nanos}
	}
	for range 2000 {
		r := &pricingv1.GetCandlesResponse{
			Symbol: text(), Quote: text(), Pair: text(),
			Derivation: pricingv1.PriceDerivation(rng.Intn(6)), Interval: pricingv1.Interval(rng.Intn(9)),
		}
		for j := rng.Intn(5); j > 0; j-- {
			r.Candles = append(r.Candles, &pricingv1.Candle{
				OpenTime: timestamp(), CloseTime: timestamp(),
				Open: text(), High: text(), Low: text(), Close: text(), Volume: text(), QuoteVolume: text(),
				TradeCount: rng.Int31() - rng.Int31(), Closed: rng.Intn(2) == 0,
			})
		}
		assertCandlesJSON(t, r)
	}
}

// What the encoder declines is left to the gateway's protojson path
// (which its marshaler tests cover): strings that need escapes or are not
// ASCII, and timestamps protojson refuses.
func TestCandlesJSONDeclines(t *testing.T) {
	var declined []*pricingv1.GetCandlesResponse
	for _, s := range []string{`a"b`, `a\b`, "\n", "\x00", "\x7f", "é", "\u2028", "\xff"} {
		declined = append(declined, &pricingv1.GetCandlesResponse{Symbol: "BTC", Candles: []*pricingv1.Candle{{Close: s}}})
	}
	for _, ts := range []*timestamppb.Timestamp{
		{Seconds: minTimestampSeconds - 1}, {Seconds: maxTimestampSeconds + 1},
		{Nanos: -1}, {Nanos: 1_000_000_000},
	} {
		declined = append(declined, &pricingv1.GetCandlesResponse{Candles: []*pricingv1.Candle{{CloseTime: ts}}})
	}
	for _, r := range declined {
		if _, ok := appendCandlesJSON(nil, r); ok {
			t.Errorf("%v accepted", r)
		}
		if _, ok := EncodeJSON(r); ok {
			t.Errorf("EncodeJSON accepted %v", r)
		}
	}
	// Other values are not the encoder's.
	for _, v := range []any{&pricingv1.GetCandlesRequest{Symbol: "BTC"}, map[string]any{"result": candlestest.Realistic(1)}} {
		if _, ok := EncodeJSON(v); ok {
			t.Errorf("EncodeJSON accepted %T", v)
		}
	}
}
