package wirejson

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// AppendJSON appends the JSON of the message of type md whose wire bytes
// are b, exactly as protojson (EmitUnpopulated) writes the message
// proto.Unmarshal makes of b, compacted. ok is false when it declines (see
// the package comment); dst[:len(dst)] is then untouched but the rest of
// the returned slice is garbage.
func AppendJSON(dst []byte, md protoreflect.MessageDescriptor, b []byte) (_ []byte, ok bool) {
	return appendMessage(dst, planOf(md), b, 0)
}

// Encode is AppendJSON into a new slice, sized by what earlier messages
// of the type needed per wire byte, so that large answers are written
// without regrowing the buffer.
func Encode(md protoreflect.MessageDescriptor, wire []byte) ([]byte, bool) {
	p := planOf(md)
	ratio := int(p.sixteenthsPerWireByte.Load())
	if ratio == 0 {
		ratio = 3 * 16
	}
	out, ok := appendMessage(make([]byte, 0, len(wire)*ratio/16+64), p, wire, 0)
	if ok && len(wire) > 0 {
		// A little more than this one needed: the next may be longer.
		p.sixteenthsPerWireByte.Store(uint32(min(len(out)*17/len(wire)+1, 1<<20)))
	}
	return out, ok
}

// consumeTag is protowire.ConsumeTag refusing what proto.Unmarshal
// refuses too: field numbers above protowire.MaxValidNumber.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num > protowire.MaxValidNumber {
		return 0, 0, -1
	}
	return num, typ, n
}

// nextField reads the field at the start of b: its number, wire type, the
// length of its tag and of the whole field; total is negative for bytes
// proto.Unmarshal refuses. One-byte tags with one-byte values or lengths,
// nearly every field of an answer, take a short path.
func nextField(b []byte) (num protowire.Number, typ protowire.Type, tagLength, total int) {
	if len(b) >= 2 && b[0] >= 1<<3 && b[0] < 0x80 && b[1] < 0x80 {
		num, typ = protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		switch typ {
		case protowire.VarintType:
			return num, typ, 1, 2
		case protowire.BytesType:
			if end := 2 + int(b[1]); end <= len(b) {
				return num, typ, 1, end
			}
			return 0, 0, 0, -1
		}
	}
	num, typ, tagLength = consumeTag(b)
	if tagLength < 0 {
		return 0, 0, 0, -1
	}
	n := protowire.ConsumeFieldValue(num, typ, b[tagLength:])
	if n < 0 {
		return 0, 0, 0, -1
	}
	return num, typ, tagLength, tagLength + n
}

// knownField is nextField with the field's index in p (-1 for a field p
// does not know); total is negative also for a known field whose wire type
// does not fit it, which is left to proto.Unmarshal.
func knownField(p *messagePlan, b []byte) (index int, typ protowire.Type, tagLength, total int) {
	num, typ, tagLength, total := nextField(b)
	if total < 0 {
		return -1, 0, 0, -1
	}
	index = p.index(num)
	if index >= 0 && !wireFits(&p.fields[index], typ) {
		return -1, 0, 0, -1
	}
	return index, typ, tagLength, total
}

// maxDepth bounds nesting; deeper messages are declined (protobuf itself
// refuses beyond 10,000).
const maxDepth = 100

// span is what the scan of a message saw of one field.
type span struct {
	count int32
	// first is the offset of the field's first tag: lists and maps are
	// read from there, in wire order.
	first int32
	// start and end bound the value of the last occurrence (singular
	// fields: the last one wins, as in proto.Unmarshal).
	start, end int32
	wire       protowire.Type
}

func (p *messagePlan) index(n protowire.Number) int {
	if int(n) < len(p.byNumber) {
		return int(p.byNumber[n])
	}
	if i, ok := p.sparse[n]; ok {
		return i
	}
	return -1
}

func appendMessage(out []byte, p *messagePlan, b []byte, depth int) ([]byte, bool) {
	if depth > maxDepth {
		return out, false
	}
	switch p.special {
	case unsupportedMessage:
		return out, false
	case timestampMessage:
		return appendTimestamp(out, b)
	case durationMessage:
		return appendDuration(out, b)
	}
	return appendFields(out, p, b, depth)
}

// appendFields writes a message of fields: in one pass when its fields
// come in declaration order, each singular field once and each list in
// one run (as every marshaler writes them), else in two.
func appendFields(out []byte, p *messagePlan, b []byte, depth int) ([]byte, bool) {
	if p.ordered && inOrder(p, b) {
		written, ok, _ := appendInOrder(out, p, b, depth)
		return written, ok
	}
	return appendAnyOrder(out, p, b, depth)
}

// inOrder reports whether appendInOrder will take b, from its tags alone:
// deciding before writing anything keeps a fallback from writing nested
// messages twice at every level (exponential in the depth).
func inOrder(p *messagePlan, b []byte) bool {
	next, openList := 0, -1
	var oneofsSeen uint64
	for i := 0; i < len(b); {
		num, _, _, total := nextField(b[i:])
		if total < 0 {
			return true // appendInOrder declines it as the two passes would
		}
		i += total
		index := p.index(num)
		if index < 0 || index == openList {
			continue
		}
		openList = -1
		if index < next {
			return false
		}
		next = index + 1
		f := &p.fields[index]
		if f.oneof >= 0 {
			if oneofsSeen&(1<<f.oneof) != 0 {
				return false
			}
			oneofsSeen |= 1 << f.oneof
		}
		if f.list {
			openList = index
		}
	}
	return true
}

// appendInOrder is the one pass, for messages inOrder takes; done is false
// when the fields are not in that order after all, and nothing it wrote
// past len(out) counts.
func appendInOrder(out []byte, p *messagePlan, b []byte, depth int) (_ []byte, ok, done bool) {
	out = append(out, '{')
	next := 0      // the first field not written yet
	openList := -1 // the list field whose '[' is open
	written, listWritten := false, false
	var oneofsSeen uint64
	for i := 0; i < len(b); {
		index, typ, tagLength, total := knownField(p, b[i:])
		if total < 0 {
			return out, false, true
		}
		value := b[i+tagLength : i+total]
		i += total
		if index < 0 {
			continue // an unknown field, which protojson does not write
		}
		f := &p.fields[index]
		if index == openList {
			if out, ok = appendElements(out, f, typ, value, &listWritten, depth); !ok {
				return out, false, true
			}
			continue
		}
		if openList >= 0 {
			out = append(out, ']')
			openList = -1
		}
		if index < next {
			return out, false, false // out of order, or a field again
		}
		for j := next; j < index; j++ {
			if out, ok = appendAbsent(out, &p.fields[j], &written, depth); !ok {
				return out, false, true
			}
		}
		next = index + 1
		if f.oneof >= 0 {
			if oneofsSeen&(1<<f.oneof) != 0 {
				return out, false, false // two members of one oneof
			}
			oneofsSeen |= 1 << f.oneof
		}
		if written {
			out = append(out, ',')
		}
		written = true
		out = append(out, f.name...)
		if f.list {
			out = append(out, '[')
			openList, listWritten = index, false
			if out, ok = appendElements(out, f, typ, value, &listWritten, depth); !ok {
				return out, false, true
			}
			continue
		}
		if out, ok = appendValue(out, f, typ, value, depth); !ok {
			return out, false, true
		}
	}
	if openList >= 0 {
		out = append(out, ']')
	}
	for j := next; j < len(p.fields); j++ {
		if out, ok = appendAbsent(out, &p.fields[j], &written, depth); !ok {
			return out, false, true
		}
	}
	return append(out, '}'), true, true
}

// appendAbsent writes a field that is not on the wire.
func appendAbsent(out []byte, f *fieldPlan, written *bool, depth int) ([]byte, bool) {
	if f.oneof >= 0 {
		return out, true
	}
	if *written {
		out = append(out, ',')
	}
	*written = true
	out = append(out, f.name...)
	switch {
	case f.list:
		return append(out, '[', ']'), true
	case f.null:
		return append(out, "null"...), true
	}
	return appendZero(out, f, depth)
}

// appendAnyOrder is the two passes: where each field is, then the fields
// in declaration order.
func appendAnyOrder(out []byte, p *messagePlan, b []byte, depth int) ([]byte, bool) {
	var local [16]span
	spans := local[:0]
	if len(p.fields) <= len(local) {
		spans = local[:len(p.fields)]
	} else {
		spans = make([]span, len(p.fields))
	}
	for i := 0; i < len(b); {
		index, typ, tagLength, total := knownField(p, b[i:])
		if total < 0 {
			return out, false
		}
		tag, value := i, i+tagLength
		i += total
		if index < 0 {
			continue // an unknown field, which protojson does not write
		}
		f := &p.fields[index]
		s := &spans[index]
		if s.count == 0 {
			s.first = int32(tag)
		}
		s.count++
		s.start, s.end, s.wire = int32(value), int32(i), typ
		if s.count > 1 && f.kind == protoreflect.MessageKind && !f.list && f.mapKey == nil {
			return out, false // proto.Unmarshal merges the occurrences
		}
	}
	if p.oneofs > 0 && !oneMemberEach(p, spans) {
		return out, false
	}
	if p.special == wrapperMessage {
		// {"value": x} is written as x.
		return appendField(out, &p.fields[0], spans[0], b, depth)
	}
	out = append(out, '{')
	written := false
	for i := range p.fields {
		f := &p.fields[i]
		if f.oneof >= 0 && spans[i].count == 0 {
			continue
		}
		if written {
			out = append(out, ',')
		}
		written = true
		out = append(out, f.name...)
		var ok bool
		if out, ok = appendField(out, f, spans[i], b, depth); !ok {
			return out, false
		}
	}
	return append(out, '}'), true
}

// oneMemberEach reports whether at most one member of each oneof is on
// the wire; proto.Unmarshal keeps the last, which is rare enough to leave
// to it.
func oneMemberEach(p *messagePlan, spans []span) bool {
	var local [16]uint8
	seen := local[:0]
	if p.oneofs <= len(local) {
		seen = local[:p.oneofs]
	} else {
		seen = make([]uint8, p.oneofs)
	}
	for i := range p.fields {
		if o := p.fields[i].oneof; o >= 0 && spans[i].count > 0 {
			if seen[o]++; seen[o] > 1 {
				return false
			}
		}
	}
	return true
}

func appendField(out []byte, f *fieldPlan, s span, b []byte, depth int) ([]byte, bool) {
	switch {
	case f.mapKey != nil:
		return appendMap(out, f, s, b, depth)
	case f.list:
		return appendList(out, f, s, b, depth)
	case s.count == 0:
		if f.null {
			return append(out, "null"...), true
		}
		return appendZero(out, f, depth)
	}
	return appendValue(out, f, s.wire, b[s.start:s.end], depth)
}

// elementWire is the wire type of one value of kind k.
func elementWire(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind,
		protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	}
	return protowire.BytesType
}

func wireFits(f *fieldPlan, typ protowire.Type) bool {
	return typ == f.wire || (f.list && typ == protowire.BytesType)
}

// appendZero writes the value of an absent field without presence.
func appendZero(out []byte, f *fieldPlan, depth int) ([]byte, bool) {
	switch f.kind {
	case protoreflect.BoolKind:
		return append(out, "false"...), true
	case protoreflect.StringKind, protoreflect.BytesKind:
		return append(out, `""`...), true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind,
		protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return append(out, `"0"`...), true
	case protoreflect.EnumKind:
		return appendEnum(out, f.enum, 0)
	case protoreflect.MessageKind:
		// Only map values get here: an entry without its value holds an
		// empty message.
		return appendMessage(out, f.message, nil, depth+1)
	}
	return append(out, '0'), true
}

// appendValue writes one value of f, whose wire type is typ and whose
// encoded value (after the tag) is v.
func appendValue(out []byte, f *fieldPlan, typ protowire.Type, v []byte, depth int) ([]byte, bool) {
	var x uint64
	var payload []byte
	var n int
	switch typ {
	case protowire.VarintType:
		x, n = protowire.ConsumeVarint(v)
	case protowire.Fixed32Type:
		var x32 uint32
		x32, n = protowire.ConsumeFixed32(v)
		x = uint64(x32)
	case protowire.Fixed64Type:
		x, n = protowire.ConsumeFixed64(v)
	case protowire.BytesType:
		if len(v) > 0 && v[0] < 0x80 && 1+int(v[0]) <= len(v) {
			payload, n = v[1:1+int(v[0])], 1+int(v[0]) // a length of one byte
		} else {
			payload, n = protowire.ConsumeBytes(v)
		}
	default:
		return out, false
	}
	if n < 0 {
		return out, false
	}
	switch f.kind {
	case protoreflect.BoolKind:
		if x != 0 {
			return append(out, "true"...), true
		}
		return append(out, "false"...), true
	case protoreflect.Int32Kind:
		return strconv.AppendInt(out, int64(int32(x)), 10), true
	case protoreflect.Sint32Kind:
		return strconv.AppendInt(out, int64(int32(protowire.DecodeZigZag(x&math.MaxUint32))), 10), true
	case protoreflect.Sfixed32Kind:
		return strconv.AppendInt(out, int64(int32(uint32(x))), 10), true
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return strconv.AppendUint(out, uint64(uint32(x)), 10), true
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		return appendQuoted(strconv.AppendInt(append(out, '"'), int64(x), 10)), true
	case protoreflect.Sint64Kind:
		return appendQuoted(strconv.AppendInt(append(out, '"'), protowire.DecodeZigZag(x), 10)), true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return appendQuoted(strconv.AppendUint(append(out, '"'), x, 10)), true
	case protoreflect.FloatKind:
		return appendFloat(out, float64(math.Float32frombits(uint32(x))), 32), true
	case protoreflect.DoubleKind:
		return appendFloat(out, math.Float64frombits(x), 64), true
	case protoreflect.EnumKind:
		return appendEnum(out, f.enum, int32(x))
	case protoreflect.StringKind:
		return appendValidString(out, payload)
	case protoreflect.BytesKind:
		out = append(out, '"')
		return append(base64.StdEncoding.AppendEncode(out, payload), '"'), true
	case protoreflect.MessageKind:
		return appendMessage(out, f.message, payload, depth+1)
	}
	return out, false
}

func appendQuoted(out []byte) []byte { return append(out, '"') }

func appendEnum(out []byte, e *enumPlan, n int32) ([]byte, bool) {
	if e.null {
		return append(out, "null"...), true
	}
	if name := e.quotedName(n); name != nil {
		return append(out, name...), true
	}
	if e.closed {
		// proto.Unmarshal keeps an unknown value of a closed enum among
		// the unknown fields.
		return out, false
	}
	return strconv.AppendInt(out, int64(n), 10), true
}

// appendList writes the s.count occurrences of a repeated field, packed or
// not, in wire order.
func appendList(out []byte, f *fieldPlan, s span, b []byte, depth int) ([]byte, bool) {
	out = append(out, '[')
	written := false
	var ok bool
	for i, left := int(s.first), s.count; left > 0; left-- {
		var typ protowire.Type
		var value []byte
		typ, value, i = nextOccurrence(b, i, f.number)
		if out, ok = appendElements(out, f, typ, value, &written, depth); !ok {
			return out, false
		}
	}
	return append(out, ']'), true
}

// nextOccurrence finds the next field numbered number in b from offset i,
// which the scan counted, so it is there and well formed: its wire type,
// its value and the offset after it.
func nextOccurrence(b []byte, i int, number protowire.Number) (protowire.Type, []byte, int) {
	for {
		num, typ, tagLength, total := nextField(b[i:])
		value := b[i+tagLength : i+total]
		i += total
		if num == number {
			return typ, value, i
		}
	}
}

// appendElements writes one occurrence of a list field: one element, or
// all those packed in it; written tells whether one came before.
func appendElements(out []byte, f *fieldPlan, typ protowire.Type, value []byte, written *bool, depth int) ([]byte, bool) {
	var ok bool
	if typ == protowire.BytesType && f.wire != protowire.BytesType {
		packed, _ := protowire.ConsumeBytes(value)
		for len(packed) > 0 {
			width := elementWidth(f.wire, packed)
			if width < 0 {
				return out, false
			}
			if *written {
				out = append(out, ',')
			}
			*written = true
			if out, ok = appendValue(out, f, f.wire, packed[:width], depth); !ok {
				return out, false
			}
			packed = packed[width:]
		}
		return out, true
	}
	if *written {
		out = append(out, ',')
	}
	*written = true
	return appendValue(out, f, typ, value, depth)
}

func elementWidth(typ protowire.Type, b []byte) int {
	switch typ {
	case protowire.VarintType:
		_, n := protowire.ConsumeVarint(b)
		return n
	case protowire.Fixed32Type:
		if len(b) < 4 {
			return -1
		}
		return 4
	default:
		if len(b) < 8 {
			return -1
		}
		return 8
	}
}

// mapEntry is one entry of a map field as found on the wire.
type mapEntry struct {
	order      int
	text       string // the key as written in JSON (unquoted, unescaped)
	number     int64  // integer keys, for sorting
	unsigned   uint64
	value      []byte
	valueWire  protowire.Type
	valueFound bool
}

// appendMap writes a map in protojson's key order (numeric for integer
// keys, false before true, byte order for strings), the last entry of a
// repeated key winning as in proto.Unmarshal.
func appendMap(out []byte, f *fieldPlan, s span, b []byte, depth int) ([]byte, bool) {
	entries := make([]mapEntry, 0, s.count)
	for i, left := int(s.first), s.count; left > 0; left-- {
		var value []byte
		_, value, i = nextOccurrence(b, i, f.number)
		payload, _ := protowire.ConsumeBytes(value)
		entry, ok := readMapEntry(f, payload)
		if !ok {
			return out, false
		}
		entry.order = len(entries)
		entries = append(entries, entry)
	}
	signed := f.mapKey.kind != protoreflect.Uint32Kind && f.mapKey.kind != protoreflect.Uint64Kind &&
		f.mapKey.kind != protoreflect.Fixed32Kind && f.mapKey.kind != protoreflect.Fixed64Kind
	isString := f.mapKey.kind == protoreflect.StringKind
	slices.SortStableFunc(entries, func(x, y mapEntry) int {
		switch {
		case isString:
			return strings.Compare(x.text, y.text)
		case signed:
			return compare(x.number, y.number)
		default:
			return compare(x.unsigned, y.unsigned)
		}
	})
	out = append(out, '{')
	written := false
	var ok bool
	for i := range entries {
		if i+1 < len(entries) && entries[i+1].text == entries[i].text {
			continue // a later entry with the same key wins
		}
		if written {
			out = append(out, ',')
		}
		written = true
		out = append(appendString(out, entries[i].text), ':')
		if !entries[i].valueFound {
			out, ok = appendZero(out, f.mapValue, depth)
		} else {
			out, ok = appendValue(out, f.mapValue, entries[i].valueWire, entries[i].value, depth)
		}
		if !ok {
			return out, false
		}
	}
	return append(out, '}'), true
}

func compare[T int64 | uint64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func readMapEntry(f *fieldPlan, b []byte) (mapEntry, bool) {
	var entry mapEntry
	var key []byte
	keyWire := elementWire(f.mapKey.kind)
	for i := 0; i < len(b); {
		num, typ, n := consumeTag(b[i:])
		if n < 0 {
			return entry, false
		}
		i += n
		n = protowire.ConsumeFieldValue(num, typ, b[i:])
		if n < 0 {
			return entry, false
		}
		value := b[i : i+n]
		i += n
		switch num {
		case 1:
			if typ != keyWire {
				return entry, false
			}
			key = value
		case 2:
			if typ != elementWire(f.mapValue.kind) {
				return entry, false
			}
			entry.value, entry.valueWire, entry.valueFound = value, typ, true
		}
	}
	// The key as protojson writes it: its MapKey.String().
	var x uint64
	switch keyWire {
	case protowire.VarintType:
		x, _ = protowire.ConsumeVarint(key)
	case protowire.Fixed32Type:
		x32, _ := protowire.ConsumeFixed32(key)
		x = uint64(x32)
	case protowire.Fixed64Type:
		x, _ = protowire.ConsumeFixed64(key)
	}
	switch f.mapKey.kind {
	case protoreflect.StringKind:
		payload, _ := protowire.ConsumeBytes(key)
		if !utf8.Valid(payload) {
			return entry, false
		}
		entry.text = string(payload)
	case protoreflect.BoolKind:
		entry.text = strconv.FormatBool(x != 0)
		if x != 0 {
			entry.number = 1
		}
	case protoreflect.Int32Kind:
		entry.number = int64(int32(x))
	case protoreflect.Sint32Kind:
		entry.number = int64(int32(protowire.DecodeZigZag(x & math.MaxUint32)))
	case protoreflect.Sfixed32Kind:
		entry.number = int64(int32(uint32(x)))
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		entry.number = int64(x)
	case protoreflect.Sint64Kind:
		entry.number = protowire.DecodeZigZag(x)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		entry.unsigned = uint64(uint32(x))
		entry.text = strconv.FormatUint(entry.unsigned, 10)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		entry.unsigned = x
		entry.text = strconv.FormatUint(x, 10)
	default:
		return entry, false
	}
	if entry.text == "" && f.mapKey.kind != protoreflect.StringKind {
		entry.text = strconv.FormatInt(entry.number, 10)
	}
	return entry, true
}

// secondsAndNanos reads a Timestamp or Duration.
func secondsAndNanos(b []byte) (seconds int64, nanos int32, ok bool) {
	for i := 0; i < len(b); {
		num, typ, n := consumeTag(b[i:])
		if n < 0 {
			return 0, 0, false
		}
		i += n
		n = protowire.ConsumeFieldValue(num, typ, b[i:])
		if n < 0 {
			return 0, 0, false
		}
		value := b[i : i+n]
		i += n
		if num != 1 && num != 2 {
			continue
		}
		if typ != protowire.VarintType {
			return 0, 0, false
		}
		x, _ := protowire.ConsumeVarint(value)
		if num == 1 {
			seconds = int64(x)
		} else {
			nanos = int32(x)
		}
	}
	return seconds, nanos, true
}

// The ranges protojson accepts.
const (
	maxNanos             = 999999999
	minTimestampSeconds  = -62135596800 // 0001-01-01T00:00:00Z
	maxTimestampSeconds  = 253402300799 // 9999-12-31T23:59:59Z
	maxSecondsInDuration = 315576000000
)

// appendTimestamp writes RFC 3339 in UTC with 0, 3, 6 or 9 fractional
// digits, as protojson does. Two of these per candle: by hand, since
// time.Time.AppendFormat took a third of a candle answer's time.
func appendTimestamp(out []byte, b []byte) ([]byte, bool) {
	seconds, nanos, ok := secondsAndNanos(b)
	if !ok || seconds < minTimestampSeconds || seconds > maxTimestampSeconds || nanos < 0 || nanos > maxNanos {
		return out, false
	}
	days, clock := seconds/86400, seconds%86400
	if clock < 0 {
		days, clock = days-1, clock+86400
	}
	year, month, day := civilDate(days)
	out = append(out, '"')
	out = appendDigits(out, year/100, 2)
	out = appendDigits(out, year%100, 2)
	out = append(out, '-')
	out = appendDigits(out, month, 2)
	out = append(out, '-')
	out = appendDigits(out, day, 2)
	out = append(out, 'T')
	out = appendDigits(out, clock/3600, 2)
	out = append(out, ':')
	out = appendDigits(out, clock/60%60, 2)
	out = append(out, ':')
	out = appendDigits(out, clock%60, 2)
	out = appendFraction(out, int64(nanos))
	return append(out, 'Z', '"'), true
}

// civilDate is the proleptic Gregorian date of a day counted from
// 1970-01-01 (after Howard Hinnant's days_from_civil inverse).
func civilDate(days int64) (year, month, day int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	dayOfEra := z - era*146097
	yearOfEra := (dayOfEra - dayOfEra/1460 + dayOfEra/36524 - dayOfEra/146096) / 365
	dayOfYear := dayOfEra - (365*yearOfEra + yearOfEra/4 - yearOfEra/100)
	shiftedMonth := (5*dayOfYear + 2) / 153 // March is 0
	day = dayOfYear - (153*shiftedMonth+2)/5 + 1
	month = shiftedMonth + 3
	if month > 12 {
		month -= 12
	}
	year = yearOfEra + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendDigits writes 0 <= v < 10^width with leading zeros.
func appendDigits(out []byte, v int64, width int) []byte {
	if width == 2 {
		return append(out, twoDigits[2*v], twoDigits[2*v+1])
	}
	var digits [9]byte
	for i := width - 1; i >= 0; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	return append(out, digits[:width]...)
}

const twoDigits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendFraction writes nanoseconds as protojson does: nothing for none,
// else a point and 3, 6 or 9 digits, as few as hold them exactly.
func appendFraction(out []byte, nanos int64) []byte {
	switch {
	case nanos == 0:
		return out
	case nanos%1000000 == 0:
		return appendDigits(append(out, '.'), nanos/1000000, 3)
	case nanos%1000 == 0:
		return appendDigits(append(out, '.'), nanos/1000, 6)
	}
	return appendDigits(append(out, '.'), nanos, 9)
}

// appendDuration writes seconds with 0, 3, 6 or 9 fractional digits and
// an "s".
func appendDuration(out []byte, b []byte) ([]byte, bool) {
	seconds, nanos, ok := secondsAndNanos(b)
	if !ok || seconds < -maxSecondsInDuration || seconds > maxSecondsInDuration ||
		nanos < -maxNanos || nanos > maxNanos || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0) {
		return out, false
	}
	out = append(out, '"')
	if seconds < 0 || nanos < 0 {
		out = append(out, '-')
		seconds, nanos = -seconds, -nanos
	}
	out = strconv.AppendInt(out, seconds, 10)
	out = appendFraction(out, int64(nanos))
	return append(out, 's', '"'), true
}

// appendFloat writes a float as protojson does: the shortest
// representation, in exponent form only below 1e-6 or from 1e21 on (with
// a one-digit negative exponent not zero-padded), and the special values
// as strings.
func appendFloat(out []byte, x float64, bits int) []byte {
	switch {
	case math.IsNaN(x):
		return append(out, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(out, `"Infinity"`...)
	case math.IsInf(x, -1):
		return append(out, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(x); abs != 0 {
		small, large := abs < 1e-6, abs >= 1e21
		if bits == 32 {
			small, large = float32(abs) < 1e-6, float32(abs) >= 1e21
		}
		if small || large {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, x, format, -1, bits)
	if format == 'e' {
		// e-07 -> e-7
		if n := len(out); n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
			out[n-2] = out[n-1]
			out = out[:n-1]
		}
	}
	return out
}

// appendValidString is appendString for wire bytes, which it checks are
// UTF-8 (protojson refuses anything else) in the same pass: ASCII, nearly
// all there is, needs no decoding.
func appendValidString(out []byte, b []byte) ([]byte, bool) {
	for i := 0; i < len(b); i++ {
		if b[i] >= utf8.RuneSelf {
			if !utf8.Valid(b[i:]) {
				return out, false
			}
			break
		}
	}
	// Read only, never kept: no copy needed.
	return appendString(out, unsafe.String(unsafe.SliceData(b), len(b))), true
}

// appendString writes s as a JSON string the way protojson does: only
// '"', '\\' and control characters are escaped (\b \f \n \r \t, the rest
// as \u00XX). s must be valid UTF-8.
func appendString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		start = i + 1
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
