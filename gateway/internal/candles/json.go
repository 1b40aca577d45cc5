// Package candles is the hand-written JSON encoder and protobuf decoder of
// the pricing service's GetCandlesResponse, its largest answer. The pricing
// declaration (internal/service/declared.go) installs them through
// Options.EncodeJSON and Options.BackendCodec, so they run on the pricing
// sidecar only and the generic gateway never names the message.
package candles

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
)

// A hand-written JSON encoder for GetCandlesResponse, the largest answer the
// gateway serves (up to 1,000 candles, about 230 KB). protojson spends most
// of the sidecar's CPU on it walking every field through protoreflect; this
// writes the same bytes directly.
//
// The output must equal what the gateway's marshaler produces through
// protojson, byte for byte: protojson with EmitUnpopulated and default names, compacted.
// That means lowerCamelCase names in .proto declaration order, every field
// written even when zero ("" / 0 / false / [] / null for an unset
// Timestamp), enums by value name (the number when the value is unknown),
// int32 as a JSON number, Timestamps as RFC 3339 in UTC with 0, 3, 6 or 9
// fractional digits. json_test.go compares it with protojson, so a
// field added to the .proto fails the tests until it is added here too
// (protojson writes it even when zero; only a proto3 `optional` or oneof
// field stays absent until a test sets it).
//
// Anything whose protojson rendering is not trivial is declined instead of
// reimplemented: strings that would need escaping or hold non-ASCII bytes
// (protojson escapes, and rejects invalid UTF-8), and Timestamps protojson
// refuses. The caller then falls back to protojson, which also produces the
// same error as before for invalid messages.

// EncodeJSON writes a GetCandlesResponse as the gateway's marshaler would
// through protojson (service.Options.EncodeJSON); ok is false for any other
// value and for a response the encoder declines.
func EncodeJSON(v any) (_ []byte, ok bool) {
	message, isCandles := v.(*pricingv1.GetCandlesResponse)
	if !isCandles {
		return nil, false
	}
	// Candles are about 230 bytes each; a short guess only costs a
	// regrowth of the buffer.
	return appendCandlesJSON(make([]byte, 0, 256+240*len(message.GetCandles())), message)
}

// appendCandlesJSON appends the compact JSON of r to b. ok is false when r
// holds something this encoder declines; b is then unusable.
func appendCandlesJSON(b []byte, r *pricingv1.GetCandlesResponse) (_ []byte, ok bool) {
	w := jsonWriter{out: b, ok: true}
	w.raw(`{"symbol":`)
	w.str(r.GetSymbol())
	w.raw(`,"quote":`)
	w.str(r.GetQuote())
	w.raw(`,"pair":`)
	w.str(r.GetPair())
	w.raw(`,"derivation":`)
	w.enum(r.GetDerivation())
	w.raw(`,"interval":`)
	w.enum(r.GetInterval())
	w.raw(`,"candles":[`)
	for i, c := range r.GetCandles() {
		if !w.ok {
			// Stop early: the output is discarded anyway.
			return w.out, false
		}
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"openTime":`)
		w.timestamp(c.GetOpenTime())
		w.raw(`,"closeTime":`)
		w.timestamp(c.GetCloseTime())
		w.raw(`,"open":`)
		w.str(c.GetOpen())
		w.raw(`,"high":`)
		w.str(c.GetHigh())
		w.raw(`,"low":`)
		w.str(c.GetLow())
		w.raw(`,"close":`)
		w.str(c.GetClose())
		w.raw(`,"volume":`)
		w.str(c.GetVolume())
		w.raw(`,"quoteVolume":`)
		w.str(c.GetQuoteVolume())
		w.raw(`,"tradeCount":`)
		w.out = strconv.AppendInt(w.out, int64(c.GetTradeCount()), 10)
		w.raw(`,"closed":`)
		w.out = strconv.AppendBool(w.out, c.GetClosed())
		w.raw("}")
	}
	w.raw("]}")
	return w.out, w.ok
}

// jsonWriter appends JSON values to out. ok turns false, and stays false,
// once a value cannot be written exactly as protojson would; writing goes on
// so the encoders stay straight-line code, and the caller discards out.
type jsonWriter struct {
	out []byte
	ok  bool
	// The last date timestamp wrote, "YYYY-MM-DDT", and its day number
	// since the epoch: candles of a response mostly share their day with
	// the previous one, so the calendar arithmetic runs once per day.
	dateDay   int64
	date      []byte
	dateValid bool
}

func (w *jsonWriter) raw(s string) { w.out = append(w.out, s...) }

// str writes s quoted. protojson copies printable ASCII other than '"' and
// '\\' verbatim; everything else is declined (control characters and quotes
// need escapes, and non-ASCII would need UTF-8 validation). Decimal strings,
// tickers and pair names never hit that.
func (w *jsonWriter) str(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			w.ok = false
			return
		}
	}
	w.out = append(w.out, '"')
	w.out = append(w.out, s...)
	w.out = append(w.out, '"')
}

// enum writes the value name, or the number for a value the compiled-in
// descriptor does not know (a newer backend), as protojson does.
func (w *jsonWriter) enum(e protoreflect.Enum) {
	value := e.Descriptor().Values().ByNumber(e.Number())
	if value == nil {
		w.out = strconv.AppendInt(w.out, int64(e.Number()), 10)
		return
	}
	w.out = append(w.out, '"')
	w.out = append(w.out, value.Name()...)
	w.out = append(w.out, '"')
}

// protojson's range for Timestamp: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z. It refuses anything outside with an error.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

// timestamp writes t as protojson does: null when unset, else RFC 3339 in UTC
// with the fraction cut to 0, 3, 6 or 9 digits (trailing zero groups
// dropped), e.g. "2026-10-15T11:00:00Z" or "2026-10-15T11:00:00.120Z".
func (w *jsonWriter) timestamp(t *timestamppb.Timestamp) {
	if t == nil {
		w.raw("null")
		return
	}
	seconds, nanos := t.GetSeconds(), t.GetNanos()
	if seconds < minTimestampSeconds || seconds > maxTimestampSeconds || nanos < 0 || nanos > 999_999_999 {
		w.ok = false
		return
	}
	const secondsPerDay = 86400
	day, second := seconds/secondsPerDay, int(seconds%secondsPerDay)
	if second < 0 {
		day, second = day-1, second+secondsPerDay
	}
	if !w.dateValid || day != w.dateDay {
		// time.Time does the calendar arithmetic; the digits are written
		// here directly rather than through time.Format.
		year, month, dayOfMonth := time.Unix(day*secondsPerDay, 0).UTC().Date()
		w.date = appendDigits(w.date[:0], year, 4)
		w.date = append(w.date, '-')
		w.date = appendDigits(w.date, int(month), 2)
		w.date = append(w.date, '-')
		w.date = appendDigits(w.date, dayOfMonth, 2)
		w.date = append(w.date, 'T')
		w.dateDay, w.dateValid = day, true
	}
	w.out = append(w.out, '"')
	w.out = append(w.out, w.date...)
	w.twoDigits(second / 3600)
	w.out = append(w.out, ':')
	w.twoDigits(second / 60 % 60)
	w.out = append(w.out, ':')
	w.twoDigits(second % 60)
	if nanos != 0 {
		fraction, width := int(nanos), 9
		for width > 3 && fraction%1000 == 0 {
			fraction /= 1000
			width -= 3
		}
		w.out = append(w.out, '.')
		w.digits(fraction, width)
	}
	w.raw(`Z"`)
}

// digits writes 0 <= v < 10^width zero-padded to width digits (width <= 9).
func (w *jsonWriter) digits(v, width int) { w.out = appendDigits(w.out, v, width) }

// twoDigitText holds "00" to "99", two bytes each.
const twoDigitText = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" +
	"60616263646566676869" + "70717273747576777879" + "80818283848586878889" +
	"90919293949596979899"

// twoDigits writes 0 <= v < 100 as two digits, for the time of day.
func (w *jsonWriter) twoDigits(v int) { w.out = append(w.out, twoDigitText[2*v:2*v+2]...) }

// appendDigits appends 0 <= v < 10^width zero-padded to width digits (width
// <= 9).
func appendDigits(b []byte, v, width int) []byte {
	var buf [9]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}
