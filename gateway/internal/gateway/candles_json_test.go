package gateway

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strconv"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
)

// protojsonCompact is what the gateway wrote before the fast encoder and the
// whitespace probe: runtime.JSONPb under the gateway's options, then
// json.Compact. Every output of Marshal must equal it.
func protojsonCompact(t testing.TB, v any) []byte {
	t.Helper()
	data, err := newJSONMarshaler().JSONPb.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var compacted bytes.Buffer
	if err := json.Compact(&compacted, data); err != nil {
		t.Fatal(err)
	}
	return compacted.Bytes()
}

// assertCandlesJSON checks that the fast encoder accepts r and writes
// protojson's bytes, and that Marshal returns them too.
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
	if viaMarshal, err := newJSONMarshaler().Marshal(r); err != nil || !bytes.Equal(viaMarshal, want) {
		t.Fatalf("Marshal differs (%v):\n got %s\nwant %s", err, viaMarshal, want)
	}
}

func TestCandlesJSONMatchesProtojsonOnARealisticResponse(t *testing.T) {
	assertCandlesJSON(t, realisticCandles(1000))
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

// What the encoder declines still comes out of Marshal as protojson wrote
// it, or as protojson's error.
func TestCandlesJSONDeclinesAndMarshalFallsBack(t *testing.T) {
	for _, s := range []string{`a"b`, `a\b`, "\n", "\x00", "\x7f", "é", "\u2028", "\xff"} {
		r := &pricingv1.GetCandlesResponse{Symbol: "BTC", Candles: []*pricingv1.Candle{{Close: s}}}
		if _, ok := appendCandlesJSON(nil, r); ok {
			t.Errorf("%q accepted", s)
		}
		got, err := newJSONMarshaler().Marshal(r)
		if _, protojsonErr := newJSONMarshaler().JSONPb.Marshal(r); protojsonErr != nil {
			// Invalid UTF-8: protojson refuses it, and so must Marshal.
			if err == nil {
				t.Errorf("%q: no error, protojson's is %v", s, protojsonErr)
			}
			continue
		}
		if want := protojsonCompact(t, r); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: got %s (%v), want %s", s, got, err, want)
		}
	}
	for _, ts := range []*timestamppb.Timestamp{
		{Seconds: minTimestampSeconds - 1}, {Seconds: maxTimestampSeconds + 1},
		{Nanos: -1}, {Nanos: 1_000_000_000},
	} {
		r := &pricingv1.GetCandlesResponse{Candles: []*pricingv1.Candle{{CloseTime: ts}}}
		if _, ok := appendCandlesJSON(nil, r); ok {
			t.Errorf("%v accepted", ts)
		}
		if _, err := newJSONMarshaler().Marshal(r); err == nil {
			t.Errorf("%v: Marshal gave no error, protojson refuses it", ts)
		}
	}
}

// BenchmarkMarshalCandlesProtojson is the path Marshal took for candles
// before the fast encoder (protojson, then json.Compact), kept so both can be
// compared in one run on a noisy machine.
func BenchmarkMarshalCandlesProtojson(b *testing.B) {
	response := realisticCandles(1000)
	marshaler := newJSONMarshaler()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, err := marshaler.JSONPb.Marshal(response)
		if err != nil {
			b.Fatal(err)
		}
		var compacted bytes.Buffer
		if err := json.Compact(&compacted, data); err != nil {
			b.Fatal(err)
		}
		size = compacted.Len()
	}
	b.SetBytes(int64(size))
}
