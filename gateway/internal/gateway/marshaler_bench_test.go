package gateway

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cryptotracker/cryptotracker/gateway/internal/candles"
	"github.com/cryptotracker/cryptotracker/gateway/internal/candles/candlestest"
)

// protojsonCompact is what the gateway wrote before declared encoders and
// the whitespace probe: runtime.JSONPb under the gateway's options, then
// json.Compact. Every output of Marshal must equal it.
func protojsonCompact(t testing.TB, v any) []byte {
	t.Helper()
	data, err := newJSONMarshaler(nil).JSONPb.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var compacted bytes.Buffer
	if err := json.Compact(&compacted, data); err != nil {
		t.Fatal(err)
	}
	return compacted.Bytes()
}

// ProtojsonCompact lets the handler tests of package gateway_test compare
// with protojsonCompact.
var ProtojsonCompact = protojsonCompact

// BenchmarkMarshalCandles is the pricing gateway's whole JSON rendering of
// a 1,000-candle response, through the encoder the pricing service
// declares: what runtime.ForwardResponseMessage asks of the marshaler.
func BenchmarkMarshalCandles(b *testing.B) {
	response := candlestest.Realistic(1000)
	marshaler := newJSONMarshaler(candles.EncodeJSON)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, err := marshaler.Marshal(response)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.SetBytes(int64(size))
}

// BenchmarkMarshalCandlesProtojson is the path Marshal took for candles
// before the declared encoder (protojson, then json.Compact), kept so both
// can be compared in one run on a noisy machine.
func BenchmarkMarshalCandlesProtojson(b *testing.B) {
	response := candlestest.Realistic(1000)
	marshaler := newJSONMarshaler(nil)
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

// spacedCandlesJSON is 1,000 candles as protojson writes them in the builds
// that add a space after every comma.
func spacedCandlesJSON(b *testing.B) []byte {
	compact := protojsonCompact(b, candlestest.Realistic(1000))
	// No string of these candles holds a comma.
	return bytes.ReplaceAll(compact, []byte(","), []byte(", "))
}

// BenchmarkStripJSONWhitespace and BenchmarkJSONCompact compare the two ways
// of removing protojson's spaces.
func BenchmarkStripJSONWhitespace(b *testing.B) {
	spaced := spacedCandlesJSON(b)
	work := make([]byte, len(spaced))
	b.SetBytes(int64(len(spaced)))
	for b.Loop() {
		copy(work, spaced)
		stripJSONWhitespace(work)
	}
}

func BenchmarkJSONCompact(b *testing.B) {
	spaced := spacedCandlesJSON(b)
	b.SetBytes(int64(len(spaced)))
	for b.Loop() {
		var compacted bytes.Buffer
		if err := json.Compact(&compacted, spaced); err != nil {
			b.Fatal(err)
		}
	}
}
