package candles

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
)

// A hand-written protobuf decoder for GetCandlesResponse, the counterpart of
// appendCandlesJSON on the receiving side. proto.Unmarshal builds a
// 1,000-candle response from about 9,000 separate allocations (every candle,
// timestamp and string on its own), which cost the sidecar more than the
// JSON encoding and fed the garbage collector most of its work. This decoder
// builds the same message from four: all candles in one array, all
// timestamps in another, the pointers to the candles, and one string copy of
// the input that every string field is a substring of.
//
// The message must equal what proto.Unmarshal gives (proto.Equal), so only
// the plainest input is decoded here: the fields the contract declares, each
// with its declared wire type, strings valid UTF-8, each timestamp present at
// most once per candle (a repeated message field would have to be merged).
// Anything else, unknown fields included, is declined and the caller falls
// back to proto.Unmarshal, which also gives the same error as before for
// malformed input. codec_test.go checks that every field the
// descriptors declare is decoded here, so a field added to the .proto fails
// the tests until it is added here too.

// BackendCodec is the codec of the pricing sidecar's backend connection
// (service.Options.BackendCodec): protobuf, with GetCandlesResponse decoded
// here. It is passed to the connection explicitly (grpc.ForceCodecV2)
// rather than registered over grpc's global "proto" codec, so that nothing
// else in the process changes. Every other message goes to grpc's own
// protobuf codec.
func BackendCodec() encoding.CodecV2 {
	return candlesCodec{base: encoding.GetCodecV2(grpcproto.Name)}
}

type candlesCodec struct {
	base encoding.CodecV2
}

func (c candlesCodec) Name() string { return c.base.Name() }

func (c candlesCodec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c candlesCodec) Unmarshal(data mem.BufferSlice, v any) error {
	r, ok := v.(*pricingv1.GetCandlesResponse)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	// One string copy of the message, which the string fields share; a
	// Builder does not zero its memory first, unlike a pooled buffer.
	var text strings.Builder
	text.Grow(data.Len())
	for _, buffer := range data {
		text.Write(buffer.ReadOnlyData())
	}
	if decodeCandlesResponse(text.String(), r) {
		return nil
	}
	return proto.Unmarshal([]byte(text.String()), r)
}

// Field numbers of the contract (pricing_service.proto, timestamp.proto).
const (
	responseSymbol     = 1
	responseQuote      = 2
	responsePair       = 3
	responseDerivation = 4
	responseInterval   = 5
	responseCandles    = 6

	candleOpenTime    = 1
	candleCloseTime   = 2
	candleOpen        = 3
	candleHigh        = 4
	candleLow         = 5
	candleClose       = 6
	candleVolume      = 7
	candleQuoteVolume = 8
	candleTradeCount  = 9
	candleClosed      = 10

	timestampSeconds = 1
	timestampNanos   = 2
)

// decodeCandlesResponse sets r to the message encoded in raw and returns
// true, or returns false, leaving r untouched, for input it declines (see
// above).
func decodeCandlesResponse(raw string, r *pricingv1.GetCandlesResponse) bool {
	// First pass: count the candles, so that they are allocated at once.
	d := wireDecoder{text: raw}
	count := 0
	for d.pos < len(raw) {
		number, wireType, ok := d.tag()
		switch {
		case !ok:
			return false
		case wireType == protowire.VarintType:
			_, ok = d.varint()
		case wireType == protowire.BytesType:
			_, _, ok = d.length()
			if number == responseCandles {
				count++
			}
		default:
			return false
		}
		if !ok {
			return false
		}
	}

	d = wireDecoder{text: raw}
	var (
		symbol, quote, pair string
		derivation, period  int32
		candles             []*pricingv1.Candle
	)
	if count > 0 {
		values := make([]pricingv1.Candle, count)
		d.times = make([]timestamppb.Timestamp, 2*count)
		candles = make([]*pricingv1.Candle, count)
		for i := range candles {
			candles[i] = &values[i]
		}
	}
	next := 0
	for d.pos < len(raw) {
		number, wireType, ok := d.tag()
		if !ok {
			return false
		}
		switch {
		case wireType == protowire.BytesType && number == responseSymbol:
			symbol, ok = d.str()
		case wireType == protowire.BytesType && number == responseQuote:
			quote, ok = d.str()
		case wireType == protowire.BytesType && number == responsePair:
			pair, ok = d.str()
		case wireType == protowire.VarintType && number == responseDerivation:
			var v uint64
			v, ok = d.varint()
			derivation = int32(v)
		case wireType == protowire.VarintType && number == responseInterval:
			var v uint64
			v, ok = d.varint()
			period = int32(v)
		case wireType == protowire.BytesType && number == responseCandles:
			ok = d.candle(candles[next], next)
			next++
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	proto.Reset(r)
	r.Symbol, r.Quote, r.Pair = symbol, quote, pair
	r.Derivation = pricingv1.PriceDerivation(derivation)
	r.Interval = pricingv1.Interval(period)
	r.Candles = candles
	return true
}

// wireDecoder reads the encoded message text from pos; string fields are
// substrings of it.
type wireDecoder struct {
	text  string
	pos   int
	times []timestamppb.Timestamp // two per candle: open, close
}

// varint reads a base-128 varint, declining what protowire.ConsumeVarint
// rejects: a truncated one, or one beyond 64 bits (ten bytes, the last
// holding only the top bit).
func (d *wireDecoder) varint() (uint64, bool) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if d.pos >= len(d.text) {
			return 0, false
		}
		b := d.text[d.pos]
		d.pos++
		if shift == 63 && b > 1 {
			return 0, false
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, true
		}
	}
}

// tag reads a field's key. The numbers are compared with the contract's
// only, so out-of-range ones need no check of their own.
func (d *wireDecoder) tag() (uint64, protowire.Type, bool) {
	v, ok := d.varint()
	return v >> 3, protowire.Type(v & 7), ok
}

// length reads a length prefix and returns the bounds of what follows,
// leaving pos at its end.
func (d *wireDecoder) length() (start, end int, ok bool) {
	v, ok := d.varint()
	if !ok || v > uint64(len(d.text)-d.pos) {
		return 0, 0, false
	}
	start = d.pos
	end = start + int(v)
	d.pos = end
	return start, end, true
}

// str reads a string field; invalid UTF-8 is declined (proto.Unmarshal
// rejects it for proto3 strings).
func (d *wireDecoder) str() (string, bool) {
	start, end, ok := d.length()
	if !ok {
		return "", false
	}
	s := d.text[start:end]
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return s, utf8.ValidString(s)
		}
	}
	return s, true
}

// candle decodes the index-th candle into c.
func (d *wireDecoder) candle(c *pricingv1.Candle, index int) bool {
	start, end, ok := d.length()
	if !ok {
		return false
	}
	// length left pos at end; the fields are read from start and, when all
	// are well-formed, finish exactly there again.
	d.pos = start
	for d.pos < end {
		number, wireType, ok := d.tag()
		if !ok {
			return false
		}
		switch {
		case wireType == protowire.BytesType && number == candleOpenTime:
			if c.OpenTime != nil {
				return false
			}
			c.OpenTime = &d.times[2*index]
			ok = d.timestamp(c.OpenTime, end)
		case wireType == protowire.BytesType && number == candleCloseTime:
			if c.CloseTime != nil {
				return false
			}
			c.CloseTime = &d.times[2*index+1]
			ok = d.timestamp(c.CloseTime, end)
		case wireType == protowire.BytesType && number == candleOpen:
			c.Open, ok = d.str()
		case wireType == protowire.BytesType && number == candleHigh:
			c.High, ok = d.str()
		case wireType == protowire.BytesType && number == candleLow:
			c.Low, ok = d.str()
		case wireType == protowire.BytesType && number == candleClose:
			c.Close, ok = d.str()
		case wireType == protowire.BytesType && number == candleVolume:
			c.Volume, ok = d.str()
		case wireType == protowire.BytesType && number == candleQuoteVolume:
			c.QuoteVolume, ok = d.str()
		case wireType == protowire.VarintType && number == candleTradeCount:
			var v uint64
			v, ok = d.varint()
			c.TradeCount = int32(v)
		case wireType == protowire.VarintType && number == candleClosed:
			var v uint64
			v, ok = d.varint()
			c.Closed = protowire.DecodeBool(v)
		default:
			return false
		}
		// A field running past the candle's end is malformed.
		if !ok || d.pos > end {
			return false
		}
	}
	return true
}

// timestamp decodes a Timestamp that must end by limit.
func (d *wireDecoder) timestamp(t *timestamppb.Timestamp, limit int) bool {
	start, end, ok := d.length()
	if !ok || end > limit {
		return false
	}
	d.pos = start // back at end once the fields are read, as in candle
	for d.pos < end {
		number, wireType, ok := d.tag()
		if !ok || wireType != protowire.VarintType {
			return false
		}
		v, ok := d.varint()
		if !ok || d.pos > end {
			return false
		}
		switch number {
		case timestampSeconds:
			t.Seconds = int64(v)
		case timestampNanos:
			t.Nanos = int32(v)
		default:
			return false
		}
	}
	return true
}
